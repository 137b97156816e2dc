package ag_test

import (
	"math/rand/v2"
	"testing"

	"backprop/ag"
	"backprop/gradcheck"
	"backprop/tensor"
)

func s(dims ...int) []int { return dims }

var (
	positive     = gradcheck.Positive
	awayFromZero = gradcheck.AwayFromZero
)

func reductionCases(name string, f func(*ag.Var, bool, ...int) *ag.Var) []gradcheck.Case {
	var cs []gradcheck.Case
	for _, c := range []struct {
		shape []int
		axes  []int
	}{
		{s(), nil}, {s(5), nil}, {s(5), s(0)}, {s(3, 4), nil}, {s(3, 4), s(0)}, {s(3, 4), s(1)},
		{s(3, 4), s(-1)}, {s(2, 3, 4), s(0, 2)}, {s(2, 1, 3), s(1)}, {s(1, 1), s(0, 1)},
	} {
		for _, keep := range []bool{false, true} {
			cs = append(cs, gradcheck.Case{Gate: name, Shapes: [][]int{c.shape},
				F: func(in []*ag.Var) *ag.Var { return f(in[0], keep, c.axes...) }})
		}
	}
	return cs
}

func gateCases() []gradcheck.Case {
	var cs []gradcheck.Case
	add := func(c ...gradcheck.Case) { cs = append(cs, c...) }

	add(gradcheck.Unary("Neg", ag.Neg, nil)...)
	add(gradcheck.Unary("Exp", ag.Exp, nil)...)
	add(gradcheck.Unary("Log", ag.Log, positive)...)
	add(gradcheck.Unary("Sqrt", ag.Sqrt, positive)...)
	add(gradcheck.Unary("Abs", ag.Abs, awayFromZero)...)
	add(gradcheck.Unary("Sin", ag.Sin, nil)...)
	add(gradcheck.Unary("Cos", ag.Cos, nil)...)
	add(gradcheck.Unary("Tanh", ag.Tanh, nil)...)
	add(gradcheck.Unary("Sigmoid", ag.Sigmoid, nil)...)
	add(gradcheck.Unary("ReLU", ag.ReLU, awayFromZero)...)
	add(gradcheck.Unary("LeakyReLU", func(x *ag.Var) *ag.Var { return ag.LeakyReLU(x, 0.01) }, awayFromZero)...)
	add(gradcheck.Unary("Transpose", ag.Transpose, nil)...)

	add(gradcheck.Binary("Add", ag.Add, nil)...)
	add(gradcheck.Binary("Sub", ag.Sub, nil)...)
	add(gradcheck.Binary("Mul", ag.Mul, nil)...)
	add(gradcheck.Binary("Div", ag.Div, positive)...)
	add(gradcheck.Binary("Pow", ag.Pow, positive)...)
	add(gradcheck.Binary("Maximum", ag.Maximum, nil)...)
	add(gradcheck.Binary("Minimum", ag.Minimum, nil)...)
	for name, f := range map[string]func(a, b *ag.Var) *ag.Var{
		"Greater": ag.Greater, "GreaterEqual": ag.GreaterEqual, "Less": ag.Less,
		"LessEqual": ag.LessEqual, "Equal": ag.Equal, "NotEqual": ag.NotEqual,
	} {
		add(gradcheck.Binary(name, f, nil)...)
	}
	// A negative base with a constant integer exponent: only ∂/∂a exists.
	add(gradcheck.Case{Gate: "Pow", Shapes: [][]int{s(3, 2)}, F: func(in []*ag.Var) *ag.Var {
		return ag.Pow(in[0], ag.Scalar(in[0].DType(), 3))
	}})

	add(reductionCases("Sum", ag.Sum)...)
	add(reductionCases("Mean", ag.Mean)...)
	add(reductionCases("Max", ag.Max)...)
	add(reductionCases("Min", ag.Min)...)

	for _, c := range []struct {
		shape []int
		axis  int
	}{{s(5), 0}, {s(3, 4), 1}, {s(3, 4), 0}, {s(2, 3, 4), -1}, {s(2, 3, 4), 1}, {s(4, 1), 1}} {
		add(gradcheck.Case{Gate: "Softmax", Shapes: [][]int{c.shape},
			F: func(in []*ag.Var) *ag.Var { return ag.Softmax(in[0], c.axis) }})
		add(gradcheck.Case{Gate: "LogSoftmax", Shapes: [][]int{c.shape},
			F: func(in []*ag.Var) *ag.Var { return ag.LogSoftmax(in[0], c.axis) }})
	}

	for _, c := range []struct{ a, b []int }{
		{s(2, 3), s(3, 4)}, {s(1, 1), s(1, 1)}, {s(1, 5), s(5, 1)}, {s(5, 1), s(1, 3)},
		{s(7, 3), s(3, 5)}, {s(2, 3, 4), s(2, 4, 5)}, {s(3, 4), s(2, 4, 5)}, {s(2, 1, 2, 3), s(3, 3, 2)},
	} {
		add(gradcheck.Case{Gate: "MatMul", Shapes: [][]int{c.a, c.b},
			F: func(in []*ag.Var) *ag.Var { return ag.MatMul(in[0], in[1]) }})
	}
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			a, b := s(3, 4), s(4, 5)
			if ta {
				a = s(4, 3)
			}
			if tb {
				b = s(5, 4)
			}
			add(gradcheck.Case{Gate: "MatMulT", Shapes: [][]int{a, b},
				F: func(in []*ag.Var) *ag.Var { return ag.MatMulT(in[0], in[1], ta, tb) }})
			add(gradcheck.Case{Gate: "MatMulT", Shapes: [][]int{append(s(2), a...), b},
				F: func(in []*ag.Var) *ag.Var { return ag.MatMulT(in[0], in[1], ta, tb) }})
		}
	}
	add(gradcheck.Case{Gate: "MatMul", Shapes: [][]int{s(3, 3)}, // fan-out: x·x
		F: func(in []*ag.Var) *ag.Var { return ag.MatMul(in[0], in[0]) }})

	add(gradcheck.Case{Gate: "Reshape", Shapes: [][]int{s(2, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.Reshape(in[0], 3, -1) }})
	add(gradcheck.Case{Gate: "Reshape", Shapes: [][]int{s(1)},
		F: func(in []*ag.Var) *ag.Var { return ag.Reshape(in[0]) }})
	add(gradcheck.Case{Gate: "Permute", Shapes: [][]int{s(2, 3, 4)},
		F: func(in []*ag.Var) *ag.Var { return ag.Permute(in[0], 2, 0, 1) }})
	add(gradcheck.Case{Gate: "Permute", Shapes: [][]int{s(3, 1)},
		F: func(in []*ag.Var) *ag.Var { return ag.Permute(in[0], 1, 0) }})
	add(gradcheck.Case{Gate: "Slice", Shapes: [][]int{s(5, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.Slice(in[0], 0, 1, 4) }})
	add(gradcheck.Case{Gate: "Slice", Shapes: [][]int{s(2, 5, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.Slice(in[0], -2, 2, 3) }})
	add(gradcheck.Case{Gate: "IndexSelect", Shapes: [][]int{s(4, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.IndexSelect(in[0], 0, []int{3, 0, 3, 1}) }})
	add(gradcheck.Case{Gate: "IndexSelect", Shapes: [][]int{s(2, 4)},
		F: func(in []*ag.Var) *ag.Var { return ag.IndexSelect(in[0], 1, []int{2, 2}) }})
	add(gradcheck.Case{Gate: "Pick", Shapes: [][]int{s(3, 4)},
		F: func(in []*ag.Var) *ag.Var { return ag.Pick(in[0], []int{0, 3, 3}) }})
	add(gradcheck.Case{Gate: "Concat", Shapes: [][]int{s(2, 3), s(1, 3), s(4, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.Concat(0, in...) }})
	add(gradcheck.Case{Gate: "Concat", Shapes: [][]int{s(2, 1), s(2, 5)},
		F: func(in []*ag.Var) *ag.Var { return ag.Concat(-1, in...) }})
	add(gradcheck.Case{Gate: "Concat", Shapes: [][]int{s(2, 3)}, // fan-out
		F: func(in []*ag.Var) *ag.Var { return ag.Concat(1, in[0], in[0]) }})
	add(gradcheck.Case{Gate: "Stack", Shapes: [][]int{s(2, 3), s(2, 3), s(2, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.Stack(1, in...) }})
	add(gradcheck.Case{Gate: "Stack", Shapes: [][]int{s(), s()},
		F: func(in []*ag.Var) *ag.Var { return ag.Stack(0, in...) }})
	cond := tensor.FromSlice([]float64{1, 0, 0, 1, 1, 0}, 2, 3)
	add(gradcheck.Case{Gate: "Where", Shapes: [][]int{s(2, 3), s(2, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.Where(ag.Const(cond), in[0], in[1]) }})
	add(gradcheck.Case{Gate: "Where", Shapes: [][]int{s(3), s()},
		F: func(in []*ag.Var) *ag.Var { return ag.Where(ag.Const(cond), in[0], in[1]) }})
	add(gradcheck.Case{Gate: "Where", Shapes: [][]int{s(2, 3)}, // relu as where(x > 0, x, 0)
		Gen: awayFromZero,
		F: func(in []*ag.Var) *ag.Var {
			zero := ag.Scalar(in[0].DType(), 0)
			return ag.Where(ag.Greater(in[0], zero), in[0], zero)
		}})
	add(gradcheck.Case{Gate: "Linear", Shapes: [][]int{s(4, 3), s(5, 3), s(5)},
		F: func(in []*ag.Var) *ag.Var { return ag.Linear(in[0], in[1], in[2]) }})
	add(gradcheck.Case{Gate: "Linear", Shapes: [][]int{s(1, 1), s(1, 1), s(1)},
		F: func(in []*ag.Var) *ag.Var { return ag.Linear(in[0], in[1], in[2]) }})
	add(gradcheck.Case{Gate: "Linear", Shapes: [][]int{s(3, 3), s(3, 3)}, // fan-out: x·xᵀ + x[0]
		F: func(in []*ag.Var) *ag.Var { return ag.Linear(in[0], in[0], ag.Reshape(ag.Slice(in[0], 0, 0, 1), 3)) }})
	// |x| ≥ 0.5 and |b| ≤ 0.2: no finite difference straddles the kink.
	biasGen := func(rng *rand.Rand, i int, shape []int) *tensor.Tensor {
		if i == 1 {
			return tensor.Uniform(rng, tensor.Float64, -0.2, 0.2, shape...)
		}
		t := tensor.Uniform(rng, tensor.Float64, 0.5, 2, shape...)
		for j := 0; j < t.Len(); j++ {
			if rng.IntN(2) == 0 {
				t.SetFlat(j, -t.Flat(j))
			}
		}
		return t
	}
	for _, sh := range [][2][]int{{s(4, 3), s(3)}, {s(2, 3, 5), s(5)}, {s(1, 1), s(1)}, {s(3, 4), s(1, 4)}} {
		add(gradcheck.Case{Gate: "BiasReLU", Shapes: [][]int{sh[0], sh[1]}, Gen: biasGen,
			F: func(in []*ag.Var) *ag.Var { return ag.BiasReLU(in[0], in[1]) }})
	}
	add(gradcheck.Case{Gate: "SoftmaxCrossEntropy", Shapes: [][]int{s(4, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.SoftmaxCrossEntropy(in[0], []int{0, 2, 1, 2}) }})
	add(gradcheck.Case{Gate: "SoftmaxCrossEntropy", Shapes: [][]int{s(1, 1)},
		F: func(in []*ag.Var) *ag.Var { return ag.SoftmaxCrossEntropy(in[0], []int{0}) }})
	add(cnnCases()...)
	add(seqCases()...)
	add(rnnCases()...)
	add(attnCases()...)
	return cs
}

// cnnCases are the rows of the convolution, pooling and normalisation
// gates: odd sizes, stride, padding, dilation, groups, with and without a
// bias or an affine transform, and a fan-out.
func cnnCases() []gradcheck.Case {
	var cs []gradcheck.Case
	add := func(c ...gradcheck.Case) { cs = append(cs, c...) }
	conv := func(p tensor.ConvParams, bias bool) func(in []*ag.Var) *ag.Var {
		return func(in []*ag.Var) *ag.Var {
			if bias {
				return ag.Conv2d(in[0], in[1], in[2], p)
			}
			return ag.Conv2d(in[0], in[1], nil, p)
		}
	}
	for _, c := range []struct {
		x, w []int
		p    tensor.ConvParams
	}{
		{s(2, 3, 5, 6), s(4, 3, 3, 3), tensor.ConvParams{}},
		{s(1, 2, 7, 5), s(3, 2, 2, 3), tensor.ConvParams{Stride: [2]int{2, 1}, Padding: [2]int{1, 2}}},
		{s(2, 2, 7, 7), s(2, 2, 3, 3), tensor.ConvParams{Dilation: [2]int{2, 2}, Padding: [2]int{1, 1}}},
		{s(1, 4, 5, 5), s(6, 2, 3, 3), tensor.ConvParams{Groups: 2, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}},
		{s(2, 3, 4, 4), s(3, 1, 3, 3), tensor.ConvParams{Groups: 3, Padding: [2]int{1, 1}}}, // depthwise
		{s(1, 1, 1, 1), s(1, 1, 1, 1), tensor.ConvParams{}},
	} {
		add(gradcheck.Case{Gate: "Conv2d", Shapes: [][]int{c.x, c.w}, F: conv(c.p, false)})
		add(gradcheck.Case{Gate: "Conv2d", Shapes: [][]int{c.x, c.w, s(c.w[0])}, F: conv(c.p, true)})
	}
	add(gradcheck.Case{Gate: "Conv2d", Shapes: [][]int{s(1, 2, 4, 4)}, // fan-out: the input is its own kernel
		F: func(in []*ag.Var) *ag.Var {
			return ag.Conv2d(in[0], ag.Reshape(ag.Slice(in[0], 2, 1, 3), 1, 2, 2, 4), nil, tensor.ConvParams{})
		}})

	for _, c := range []struct {
		x []int
		p tensor.PoolParams
	}{
		{s(2, 3, 4, 6), tensor.PoolParams{Kernel: [2]int{2, 2}}},
		{s(1, 2, 7, 5), tensor.PoolParams{Kernel: [2]int{3, 2}, Stride: [2]int{2, 1}, Padding: [2]int{1, 1}}},
		{s(1, 1, 7, 7), tensor.PoolParams{Kernel: [2]int{3, 3}, Stride: [2]int{1, 2}, Dilation: [2]int{2, 1}}},
	} {
		add(gradcheck.Case{Gate: "MaxPool2d", Shapes: [][]int{c.x},
			F: func(in []*ag.Var) *ag.Var { return ag.MaxPool2d(in[0], c.p) }})
	}
	for _, c := range []struct {
		x []int
		p tensor.PoolParams
	}{
		{s(2, 3, 4, 6), tensor.PoolParams{Kernel: [2]int{2, 2}}},
		{s(1, 2, 7, 5), tensor.PoolParams{Kernel: [2]int{3, 3}, Stride: [2]int{2, 1}, Padding: [2]int{1, 1}}},
		{s(1, 2, 5, 5), tensor.PoolParams{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, ExcludePad: true}},
	} {
		add(gradcheck.Case{Gate: "AvgPool2d", Shapes: [][]int{c.x},
			F: func(in []*ag.Var) *ag.Var { return ag.AvgPool2d(in[0], c.p) }})
	}
	add(gradcheck.Case{Gate: "GlobalAvgPool2d", Shapes: [][]int{s(2, 3, 4, 5)},
		F: func(in []*ag.Var) *ag.Var { return ag.GlobalAvgPool2d(in[0]) }})
	// Convolutions sum many products, and normalising groups of two
	// elements is ill-conditioned: the finite differences are noisier.
	for i := range cs {
		cs[i].Tol = 1e-5
	}

	bn := func(training, affine bool) func(in []*ag.Var) *ag.Var {
		return func(in []*ag.Var) *ag.Var {
			c := in[0].Value.Dim(1)
			rm, rv := tensor.New(in[0].DType(), c), tensor.New(in[0].DType(), c)
			for i := range c {
				rm.SetFlat(i, 0.1*float64(i)-0.2)
				rv.SetFlat(i, 1+0.3*float64(i))
			}
			if affine {
				return ag.BatchNorm(in[0], in[1], in[2], rm, rv, training, 0.1, 1e-5)
			}
			return ag.BatchNorm(in[0], nil, nil, rm, rv, training, 0.1, 1e-5)
		}
	}
	for _, x := range [][]int{s(5, 3), s(2, 3, 2, 3), s(3, 1, 1, 2)} {
		for _, training := range []bool{true, false} {
			add(gradcheck.Case{Gate: "BatchNorm", Shapes: [][]int{x}, F: bn(training, false)})
			add(gradcheck.Case{Gate: "BatchNorm", Shapes: [][]int{x, s(x[1]), s(x[1])}, F: bn(training, true)})
		}
	}
	add(gradcheck.Case{Gate: "BatchNorm", Shapes: [][]int{s(4, 3)}, // fan-out: γ is the first row
		F: func(in []*ag.Var) *ag.Var {
			row := ag.Reshape(ag.Slice(in[0], 0, 0, 1), 3)
			return ag.BatchNorm(in[0], row, row, nil, nil, true, 0.1, 1e-5)
		}})
	for _, c := range []struct {
		x []int
		d int
	}{{s(4, 5), 5}, {s(2, 3, 4), 12}, {s(3, 2, 2), 2}} {
		add(gradcheck.Case{Gate: "LayerNorm", Shapes: [][]int{c.x},
			F: func(in []*ag.Var) *ag.Var { return ag.LayerNorm(in[0], nil, nil, c.d, 1e-5) }})
		gshape := c.x[len(c.x)-1:]
		if c.d == 12 {
			gshape = s(3, 4)
		}
		add(gradcheck.Case{Gate: "LayerNorm", Shapes: [][]int{c.x, gshape, gshape},
			F: func(in []*ag.Var) *ag.Var { return ag.LayerNorm(in[0], in[1], in[2], c.d, 1e-5) }})
	}
	for _, c := range []struct {
		x      []int
		groups int
	}{{s(2, 4, 3, 3), 2}, {s(1, 6, 2, 5), 3}, {s(3, 4, 2), 4}, {s(2, 3, 2, 2), 1}} {
		add(gradcheck.Case{Gate: "GroupNorm", Shapes: [][]int{c.x},
			F: func(in []*ag.Var) *ag.Var { return ag.GroupNorm(in[0], nil, nil, c.groups, 1e-5) }})
		add(gradcheck.Case{Gate: "GroupNorm", Shapes: [][]int{c.x, s(c.x[1]), s(c.x[1])},
			F: func(in []*ag.Var) *ag.Var { return ag.GroupNorm(in[0], in[1], in[2], c.groups, 1e-5) }})
	}
	for i := range cs {
		if cs[i].Tol == 0 {
			cs[i].Tol = 1e-5
		}
	}
	return cs
}

// TestGates checks every gate against numerical gradients through the
// shared harness (gradcheck.RunCases): a random upstream gradient, the
// fan-out cases, exactly zero gradients for a zero upstream, unchanged
// inputs, the same bits in a graph that recycles its memory, and float32
// against float64.
func TestGates(t *testing.T) { gradcheck.RunCases(t, gateCases()) }

// TestEveryGateHasARow fails when an exported function of package ag that
// builds a gate has no row in the gradient-check table.
func TestEveryGateHasARow(t *testing.T) {
	gradcheck.CheckCoverage(t, ".", gateCases(), 30, "Param", "Const", "Scalar", "Detach", "Apply")
}

// wrongMulGate forgets to multiply by the upstream gradient: the classic
// backprop bug. The checker must reject it.
type wrongMulGate struct{ a, b *tensor.Tensor }

func (g *wrongMulGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.a, g.b = in[0], in[1]
	return tensor.Mul(in[0], in[1])
}

func (g *wrongMulGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return []*tensor.Tensor{g.b.Clone(), g.a.Clone()}
}

// swappedSubGate gives b the gradient of a.
type swappedSubGate struct{}

func (swappedSubGate) Forward(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Sub(in[0], in[1]) }
func (swappedSubGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return []*tensor.Tensor{dout, dout}
}

func TestCheckerRejectsWrongGates(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	in := []*tensor.Tensor{tensor.Randn(rng, tensor.Float64, 3, 2), tensor.Randn(rng, tensor.Float64, 3, 2)}
	for name, g := range map[string]func(a, b *ag.Var) *ag.Var{
		"ignores upstream": func(a, b *ag.Var) *ag.Var { return ag.Apply(&wrongMulGate{}, a, b) },
		"wrong sign":       func(a, b *ag.Var) *ag.Var { return ag.Apply(&swappedSubGate{}, a, b) },
	} {
		for _, dirs := range []int{0, 3} {
			r, err := gradcheck.Check(func(v []*ag.Var) *ag.Var { return g(v[0], v[1]) },
				in, &gradcheck.Options{Directions: dirs})
			if err != nil {
				t.Fatal(err)
			}
			if r.MaxRelErr <= gradcheck.Wrong || r.Verdict() != "wrong" {
				t.Errorf("%s (directions %d): relative error %.3g, verdict %q; want > %g, \"wrong\"",
					name, dirs, r.MaxRelErr, r.Verdict(), gradcheck.Wrong)
			}
		}
	}
}
