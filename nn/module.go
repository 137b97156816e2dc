package nn

import (
	"strconv"
	"strings"

	"backprop/ag"
)

// Module is a layer or a network: a function of a batch of inputs with
// named parameters and a training/evaluation mode.
type Module interface {
	// Forward maps the batch x, one example per row, to the outputs.
	Forward(x *ag.Var) *ag.Var
	// Parameters returns the module's parameters with their names, in a
	// fixed order.
	Parameters() []Parameter
	// SetTraining switches between training mode (true, the initial
	// mode: dropout active) and evaluation mode.
	SetTraining(on bool)
}

// Parameter is a named parameter of a Module.
type Parameter struct {
	Name string
	Var  *ag.Var
}

// Vars returns the Vars of m's parameters, as an optimizer wants them.
func Vars(m Module) []*ag.Var {
	ps := m.Parameters()
	vs := make([]*ag.Var, len(ps))
	for i, p := range ps {
		vs[i] = p.Var
	}
	return vs
}

// Weights returns the Vars of m's parameters named "weight" or ending in
// ".weight": the ones L2 regularization usually applies to (biases are
// left out).
func Weights(m Module) []*ag.Var {
	var vs []*ag.Var
	for _, p := range m.Parameters() {
		if p.Name == "weight" || strings.HasSuffix(p.Name, ".weight") {
			vs = append(vs, p.Var)
		}
	}
	return vs
}

// stateless is embedded by modules without parameters or modes.
type stateless struct{}

// Parameters returns none.
func (stateless) Parameters() []Parameter { return nil }

// SetTraining does nothing: the module behaves the same in both modes.
func (stateless) SetTraining(bool) {}

// Sequential applies its layers in order. Parameters of layer i are named
// "i." followed by the layer's own name, as in PyTorch's nn.Sequential.
type Sequential struct {
	Layers []Module
}

// NewSequential returns a Sequential of the given layers.
func NewSequential(layers ...Module) *Sequential { return &Sequential{Layers: layers} }

// Forward applies the layers in order. A Linear layer followed by a ReLU
// runs as the product x·Wᵀ and one fused gate for the bias and the
// activation (ag.BiasReLU): the same values, one pass fewer.
func (s *Sequential) Forward(x *ag.Var) *ag.Var {
	for i := 0; i < len(s.Layers); i++ {
		if l, ok := s.Layers[i].(*Linear); ok && i+1 < len(s.Layers) {
			if _, ok := s.Layers[i+1].(ReLU); ok {
				x = l.forwardReLU(x)
				i++
				continue
			}
		}
		x = s.Layers[i].Forward(x)
	}
	return x
}

// Parameters returns the layers' parameters, prefixed by their index.
func (s *Sequential) Parameters() []Parameter {
	var ps []Parameter
	for i, l := range s.Layers {
		for _, p := range l.Parameters() {
			ps = append(ps, Parameter{Name: strconv.Itoa(i) + "." + p.Name, Var: p.Var})
		}
	}
	return ps
}

// SetTraining sets the mode of every layer.
func (s *Sequential) SetTraining(on bool) {
	for _, l := range s.Layers {
		l.SetTraining(on)
	}
}
