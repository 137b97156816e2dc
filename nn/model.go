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
	// Arch is the architecture (Build makes the network from it).
	Arch Spec
	// Input is applied to every input before the network.
	Input Standardization
	// Labels names the classes, in order; nil means "0", "1", "2" ….
	Labels []string
}

// NewModel returns net with the preprocessing in and the class names
// labels (nil for "0", "1" …) as a Model whose description is derived
// from net itself (see Describe). It does not change net's mode: Forward
// and Predict use the network as it is (train.Fit leaves it in evaluation
// mode; Load returns it so).
func NewModel(net *Sequential, in Standardization, labels []string) (*Model, error) {
	arch, err := Describe(net)
	if err != nil {
		return nil, err
	}
	d := Description{Arch: arch, Input: in, Labels: labels}
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
	if err := d.Arch.Check(); err != nil {
		return d, err
	}
	var err error
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

// Inputs returns the number of features of one example.
func (d Description) Inputs() int { return d.Arch.Sizes[0] }

// Classes returns the number of outputs.
func (d Description) Classes() int { return d.Arch.Sizes[len(d.Arch.Sizes)-1] }

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
