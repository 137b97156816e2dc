package nn

import (
	"fmt"
	"strconv"

	"backprop/ag"
	"backprop/tensor"
)

// Model is a network ready to predict: the layers, their description and
// the input preprocessing they were trained with, which Forward applies
// itself, so that the inputs it takes are raw (MNIST pixels in [0, 1], not
// standardised ones). It is what a model file holds: Load reads one,
// train.SaveModel writes one.
//
// A Model is a Module (its parameters are the network's, under the same
// names), so train.Evaluate and train.Fit take it as they take the bare
// network, fed raw data.
type Model struct {
	// Net is the network, and Description what the file says of it: the
	// architecture, derived from Net (see Describe), the preprocessing and
	// the names of the classes.
	Net *Sequential
	Description
	// Extra holds the entries of the file's metadata that are not the
	// model's, such as the data set train records; nil for a Model not
	// read from a file.
	Extra map[string]string
}

// Description is what a model file says about its model besides the
// weights: enough to build the network again and to use it.
type Description struct {
	// Arch is the architecture in the text of ParseArch, derived from the
	// network (see Describe), such as "linear(512) relu linear(10)" or
	// "unflatten(1,28,28) conv(32,3) relu … linear(10)".
	Arch string
	// Shape is the shape of one example the network was planned for, such
	// as [784] or [1 28 28]; the network takes them flat, [N, D].
	Shape []int
	// Input is applied to every input before the network.
	Input Standardization
	// Labels names the classes, in order; nil means "0", "1", "2" ….
	Labels []string
	// plan is Arch planned for Shape, set by check.
	plan *Plan
}

// NewModel returns net with the preprocessing in and the class names
// labels (nil for "0", "1" …) as a Model whose description is derived
// from net itself (see Describe) for examples of the shape shape (nil:
// the shape the network's first layer says, see InputShape). It does not
// change net's mode: Forward and Predict use the network as it is
// (train.Fit leaves it in evaluation mode; Load returns it so).
func NewModel(net *Sequential, shape []int, in Standardization, labels []string) (*Model, error) {
	if shape == nil {
		var ok bool
		if shape, ok = InputShape(net); !ok {
			return nil, fmt.Errorf("nn: NewModel: the shape of an example is not known from the network's first layer: give it")
		}
	}
	arch, err := Describe(net, shape)
	if err != nil {
		return nil, err
	}
	d := Description{Arch: arch, Shape: append([]int(nil), shape...), Input: in, Labels: labels}
	if d, err = d.check(); err != nil {
		return nil, fmt.Errorf("nn: NewModel: %v", err)
	}
	return &Model{Net: net, Description: d}, nil
}

// MaxLabel bounds the length of a class name in a model file.
const MaxLabel = 64

// check returns d with its preprocessing normalised (see
// Standardization), or an error if it cannot describe a model.
func (d Description) check() (Description, error) {
	a, err := ParseArch(d.Arch)
	if err != nil {
		return d, fmt.Errorf("architecture: %v", err)
	}
	if d.plan, err = a.Plan(d.Shape); err != nil {
		return d, fmt.Errorf("architecture %s for examples %v: %v", d.Arch, d.Shape, err)
	}
	if out := d.plan.Out(); len(out) != 1 && !(len(out) == 2 && len(d.Shape) == 1 && out[0] == d.Shape[0]) {
		return d, fmt.Errorf("architecture %s: its output %v is not a vector of classes", d.Arch, out)
	}
	if d.Input, err = d.Input.normal(); err != nil {
		return d, err
	}
	if d.Labels != nil {
		if n := d.Classes(); len(d.Labels) != n {
			return d, fmt.Errorf("labels: %d names for %d classes", len(d.Labels), n)
		}
		for i, l := range d.Labels {
			if l == "" || len(l) > MaxLabel {
				return d, fmt.Errorf("labels: class %d is named %q: want 1 to %d bytes", i, l, MaxLabel)
			}
		}
	}
	return d, nil
}

// Plan returns the architecture planned for examples of d.Shape: the
// layers with their shapes and parameter counts. d must be checked (as
// NewModel and ReadDescription return it).
func (d Description) Plan() *Plan { return d.plan }

// Inputs returns the number of features of one (flat) example.
func (d Description) Inputs() int {
	n := 1
	for _, s := range d.Shape {
		n *= s
	}
	return n
}

// Classes returns the number of outputs: of an example, or for a
// sequence model (examples [T], outputs [T C]: the logits of the next
// symbol at every position) of a position.
func (d Description) Classes() int { out := d.plan.Out(); return out[len(out)-1] }

// Sequence reports whether d describes a sequence model: examples of T
// indices [T], such as bytes, and outputs [T C], a row of logits per
// position.
func (d Description) Sequence() bool { return len(d.plan.Out()) == 2 }

// InputShape returns the shape of an example that the network's first
// layer says: an Unflatten's shape, or a Linear layer's [In]; ok is false
// when the first layer does not say (a convolution of flat inputs cannot
// be).
func InputShape(net *Sequential) (shape []int, ok bool) {
	if len(net.Layers) == 0 {
		return nil, false
	}
	switch l := net.Layers[0].(type) {
	case Unflatten:
		return append([]int(nil), l.Shape...), true
	case *Linear:
		return []int{l.In}, true
	}
	return nil, false
}

// Label returns the name of class k.
func (d Description) Label(k int) string {
	if d.Labels != nil {
		return d.Labels[k]
	}
	return strconv.Itoa(k)
}

// Forward returns the logits of the raw batch x [N, Inputs]: the network
// applied to x standardised with m.Input. Like the network's Forward it
// only reads the parameters, so many goroutines may call it at once, each
// on Vars of its own graph.
func (m *Model) Forward(x *ag.Var) *ag.Var {
	if !m.Input.identity() {
		x = Standardize(x, m.Input.Mean, m.Input.Std)
	}
	return m.Net.Forward(x)
}

// Parameters returns the network's parameters, under its names.
func (m *Model) Parameters() []Parameter { return m.Net.Parameters() }

// Buffers returns the network's buffers (running statistics), under its
// names.
func (m *Model) Buffers() []Buffer { return Buffers(m.Net) }

// SetTraining sets the network's mode.
func (m *Model) SetTraining(on bool) { m.Net.SetTraining(on) }

// Predict returns the class probabilities softmax(m(x)) of the raw batch
// x [N, Inputs], computed without recording gradients in a graph of its
// own, in ordinary memory: row i holds the probabilities of example i.
// It is safe for concurrent use while nothing trains m.
func (m *Model) Predict(x *tensor.Tensor) *tensor.Tensor {
	if x.Dims() != 2 || x.Dim(1) != m.Inputs() {
		panic(fmt.Sprintf("nn: Model.Predict: inputs of shape %v, want [N %d]", x.Shape(), m.Inputs()))
	}
	g := ag.NewGraph(ag.NoGrad)
	p := tensor.Softmax(m.Forward(g.Const(x)).Value, 1).Clone()
	g.Reset()
	return p
}
