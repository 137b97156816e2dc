package nn

import (
	"fmt"
	"math/rand/v2"

	"backprop/ag"
	"backprop/tensor"
)

// Conv2d is a 2-d convolution layer over NCHW images, as PyTorch's
// nn.Conv2d: weights [Out, In/Groups, KH, KW], an optional bias [Out], and
// the stride, padding, dilation and groups of P.
type Conv2d struct {
	stateless
	In, Out int
	Kernel  [2]int
	P       tensor.ConvParams
	Weight  *ag.Var // [Out, In/Groups, KH, KW]
	Bias    *ag.Var // [Out], or nil
}

// NewConv2d returns a Float32 convolution layer whose weights init draws
// from rng (nil means HeUniform over the fan-in In/Groups·KH·KW) and
// whose bias, if any, is zero.
func NewConv2d(rng *rand.Rand, in, out int, kernel [2]int, p tensor.ConvParams, bias bool, init Init) *Conv2d {
	groups := max(p.Groups, 1)
	if in <= 0 || out <= 0 || kernel[0] <= 0 || kernel[1] <= 0 || in%groups != 0 || out%groups != 0 {
		panic(fmt.Sprintf("nn: NewConv2d: %d→%d channels, kernel %v, %d groups", in, out, kernel, groups))
	}
	if init == nil {
		init = HeUniform
	}
	w := tensor.New(tensor.Float32, out, in/groups, kernel[0], kernel[1])
	init(rng, w)
	c := &Conv2d{In: in, Out: out, Kernel: kernel, P: p, Weight: ag.Param(w)}
	if bias {
		c.Bias = ag.Param(tensor.New(tensor.Float32, out))
	}
	return c
}

// Forward returns the convolution of x, [N, In, H, W], plus the bias.
func (c *Conv2d) Forward(x *ag.Var) *ag.Var { return ag.Conv2d(x, c.Weight, c.Bias, c.P) }

// Parameters returns "weight" and, with a bias, "bias".
func (c *Conv2d) Parameters() []Parameter {
	if c.Bias == nil {
		return []Parameter{{"weight", c.Weight}}
	}
	return []Parameter{{"weight", c.Weight}, {"bias", c.Bias}}
}

// MaxPool2d is the module form of ag.MaxPool2d.
type MaxPool2d struct {
	stateless
	P tensor.PoolParams
}

// Forward returns the maximum of every window of x.
func (m MaxPool2d) Forward(x *ag.Var) *ag.Var { return ag.MaxPool2d(x, m.P) }

// AvgPool2d is the module form of ag.AvgPool2d.
type AvgPool2d struct {
	stateless
	P tensor.PoolParams
}

// Forward returns the mean of every window of x.
func (m AvgPool2d) Forward(x *ag.Var) *ag.Var { return ag.AvgPool2d(x, m.P) }

// GlobalAvgPool2d is the module form of ag.GlobalAvgPool2d: [N, C, H, W]
// to [N, C].
type GlobalAvgPool2d struct{ stateless }

// Forward returns the mean of every plane of x.
func (GlobalAvgPool2d) Forward(x *ag.Var) *ag.Var { return ag.GlobalAvgPool2d(x) }

// Flatten reshapes [N, …] to [N, the product of the rest], as PyTorch's
// nn.Flatten: the bridge from convolutions to Linear layers.
type Flatten struct{ stateless }

// Forward returns x viewed as [N, −1].
func (Flatten) Forward(x *ag.Var) *ag.Var {
	if x.Value.Dims() < 1 {
		panic(&tensor.Error{Op: "nn.Flatten", Msg: fmt.Sprintf("input shape %v: no batch axis", x.Shape())})
	}
	n := x.Value.Dim(0)
	if n == 0 {
		return ag.Reshape(x, 0, x.Value.Len())
	}
	return ag.Reshape(x, n, -1)
}

// Unflatten reshapes [N, D] to [N, Shape…]: flat examples, as data sets
// and the prediction server hold them, to the images a convolution wants.
type Unflatten struct {
	stateless
	Shape []int
}

// Forward returns x viewed as [N, Shape…].
func (u Unflatten) Forward(x *ag.Var) *ag.Var {
	if x.Value.Dims() < 1 {
		panic(&tensor.Error{Op: "nn.Unflatten", Msg: fmt.Sprintf("input shape %v: no batch axis", x.Shape())})
	}
	return ag.Reshape(x, append([]int{x.Value.Dim(0)}, u.Shape...)...)
}

// A Buffer is a named tensor of a module that is not a parameter — the
// running statistics of batch normalisation — saved and loaded with the
// parameters (PyTorch's buffers in a state_dict).
type Buffer struct {
	Name  string
	Value *tensor.Tensor
}

// BatchNorm is batch normalisation over the channels of [N, C] (PyTorch's
// BatchNorm1d) or [N, C, H, W] (BatchNorm2d) inputs: in training with the
// batch's statistics, updating the running mean and the unbiased running
// variance with Momentum (PyTorch's 0.1); in evaluation with the running
// statistics. Weight (γ) and Bias (β), [C], are nil without an affine
// transform. Its buffers are running_mean, running_var and
// num_batches_tracked, as in PyTorch.
type BatchNorm struct {
	C                       int
	Momentum, Eps           float64
	Weight, Bias            *ag.Var
	RunningMean, RunningVar *tensor.Tensor
	// NumBatchesTracked counts the training batches seen, as PyTorch's
	// num_batches_tracked (a 0-d tensor, so that it is saved).
	NumBatchesTracked *tensor.Tensor
	eval              bool
}

// NewBatchNorm returns a Float32 batch normalisation of c channels with
// PyTorch's defaults: momentum 0.1, ε = 1e-5, γ = 1, β = 0, running mean 0
// and variance 1, in training mode.
func NewBatchNorm(c int, affine bool) *BatchNorm {
	if c <= 0 {
		panic(fmt.Sprintf("nn: NewBatchNorm: %d channels", c))
	}
	b := &BatchNorm{C: c, Momentum: 0.1, Eps: 1e-5,
		RunningMean: tensor.New(tensor.Float32, c), RunningVar: tensor.Full(tensor.Float32, 1, c),
		NumBatchesTracked: tensor.Scalar(tensor.Float64, 0)}
	if affine {
		b.Weight = ag.Param(tensor.Full(tensor.Float32, 1, c))
		b.Bias = ag.Param(tensor.New(tensor.Float32, c))
	}
	return b
}

// Forward normalises x, [N, C, …].
func (b *BatchNorm) Forward(x *ag.Var) *ag.Var {
	if x.Value.Dims() < 2 || x.Value.Dim(1) != b.C {
		panic(&tensor.Error{Op: "nn.BatchNorm", Msg: fmt.Sprintf("input shape %v for %d channels: want [N %d …]", x.Shape(), b.C, b.C)})
	}
	if !b.eval {
		b.NumBatchesTracked.SetFlat(0, b.NumBatchesTracked.Flat(0)+1)
	}
	return ag.BatchNorm(x, b.Weight, b.Bias, b.RunningMean, b.RunningVar, !b.eval, b.Momentum, b.Eps)
}

// Parameters returns "weight" and "bias", or none without an affine
// transform.
func (b *BatchNorm) Parameters() []Parameter {
	if b.Weight == nil {
		return nil
	}
	return []Parameter{{"weight", b.Weight}, {"bias", b.Bias}}
}

// Buffers returns running_mean, running_var and num_batches_tracked.
func (b *BatchNorm) Buffers() []Buffer {
	return []Buffer{{"running_mean", b.RunningMean}, {"running_var", b.RunningVar}, {"num_batches_tracked", b.NumBatchesTracked}}
}

// SetTraining switches between batch statistics (training) and running
// statistics (evaluation).
func (b *BatchNorm) SetTraining(on bool) { b.eval = !on }

// LayerNorm normalises the last axes of its input, of shape Shape (PyTorch's
// normalized_shape), as nn.LayerNorm; Weight and Bias have that shape, or
// are nil without an affine transform.
type LayerNorm struct {
	stateless
	Shape        []int
	Eps          float64
	Weight, Bias *ag.Var
}

// NewLayerNorm returns a Float32 layer normalisation over the trailing
// shape with ε = 1e-5, γ = 1 and β = 0.
func NewLayerNorm(shape []int, affine bool) *LayerNorm {
	n := 1
	for _, d := range shape {
		if d <= 0 {
			panic(fmt.Sprintf("nn: NewLayerNorm: shape %v", shape))
		}
		n *= d
	}
	if len(shape) == 0 {
		panic("nn: NewLayerNorm: no shape")
	}
	l := &LayerNorm{Shape: append([]int(nil), shape...), Eps: 1e-5}
	if affine {
		l.Weight = ag.Param(tensor.Full(tensor.Float32, 1, shape...))
		l.Bias = ag.Param(tensor.New(tensor.Float32, shape...))
	}
	return l
}

// Forward normalises x over its trailing Shape.
func (l *LayerNorm) Forward(x *ag.Var) *ag.Var {
	d := 1
	for _, s := range l.Shape {
		d *= s
	}
	sh := x.Shape()
	if len(sh) < len(l.Shape) || !tensor.SameShape(sh[len(sh)-len(l.Shape):], l.Shape) {
		panic(&tensor.Error{Op: "nn.LayerNorm", Msg: fmt.Sprintf("input shape %v does not end in %v", sh, l.Shape)})
	}
	return ag.LayerNorm(x, l.Weight, l.Bias, d, l.Eps)
}

// Parameters returns "weight" and "bias", or none.
func (l *LayerNorm) Parameters() []Parameter {
	if l.Weight == nil {
		return nil
	}
	return []Parameter{{"weight", l.Weight}, {"bias", l.Bias}}
}

// GroupNorm normalises groups of C/Groups channels of each image, as
// PyTorch's nn.GroupNorm; Weight and Bias, [C], are nil without an affine
// transform.
type GroupNorm struct {
	stateless
	Groups, C    int
	Eps          float64
	Weight, Bias *ag.Var
}

// NewGroupNorm returns a Float32 group normalisation of c channels in
// groups with ε = 1e-5, γ = 1 and β = 0.
func NewGroupNorm(groups, c int, affine bool) *GroupNorm {
	if groups <= 0 || c <= 0 || c%groups != 0 {
		panic(fmt.Sprintf("nn: NewGroupNorm: %d groups of %d channels", groups, c))
	}
	g := &GroupNorm{Groups: groups, C: c, Eps: 1e-5}
	if affine {
		g.Weight = ag.Param(tensor.Full(tensor.Float32, 1, c))
		g.Bias = ag.Param(tensor.New(tensor.Float32, c))
	}
	return g
}

// Forward normalises x, [N, C, …], by groups of channels.
func (g *GroupNorm) Forward(x *ag.Var) *ag.Var {
	if x.Value.Dims() < 2 || x.Value.Dim(1) != g.C {
		panic(&tensor.Error{Op: "nn.GroupNorm", Msg: fmt.Sprintf("input shape %v for %d channels", x.Shape(), g.C)})
	}
	return ag.GroupNorm(x, g.Weight, g.Bias, g.Groups, g.Eps)
}

// Parameters returns "weight" and "bias", or none.
func (g *GroupNorm) Parameters() []Parameter {
	if g.Weight == nil {
		return nil
	}
	return []Parameter{{"weight", g.Weight}, {"bias", g.Bias}}
}

// Buffers returns the named buffers of m — those of m itself if it has a
// Buffers method, and, for a Sequential, its layers' prefixed by their
// index as PyTorch's state_dict names them ("1.running_mean").
func Buffers(m Module) []Buffer {
	switch m := m.(type) {
	case *Sequential:
		var bs []Buffer
		for i, l := range m.Layers {
			for _, b := range Buffers(l) {
				bs = append(bs, Buffer{Name: fmt.Sprint(i) + "." + b.Name, Value: b.Value})
			}
		}
		return bs
	case interface{ Buffers() []Buffer }:
		return m.Buffers()
	}
	return nil
}

// StateDict returns what a model file holds for m, as PyTorch's
// state_dict: the parameters, then the buffers as constant Vars, each
// with its name.
func StateDict(m Module) []Parameter {
	ps := m.Parameters()
	for _, b := range Buffers(m) {
		ps = append(ps, Parameter{Name: b.Name, Var: ag.Const(b.Value)})
	}
	return ps
}
