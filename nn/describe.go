package nn

import (
	"fmt"
	"math/rand/v2"

	"backprop/tensor"
)

// Describe returns the architecture of the network m: the Spec that
// Build turns back into the same layers with the same parameter names and
// shapes. A model file stores this description, derived from the model
// itself, so that what is saved is what was trained: a Tanh network is
// described as tanh whatever its caller believes.
//
// Today a description is an MLP's Spec: m must be a *Sequential (or a
// *Model) of Linear layers, each but the last followed by one activation
// (the same everywhere) and, optionally, a Dropout layer of the same
// probability everywhere. Anything else is an error naming the layer.
func Describe(m Module) (Spec, error) {
	var seq *Sequential
	switch v := m.(type) {
	case *Model:
		seq = v.Net
	case *Sequential:
		seq = v
	default:
		return Spec{}, fmt.Errorf("nn: Describe: a %T cannot be described; a model file holds a Sequential", m)
	}
	if seq == nil || len(seq.Layers) == 0 {
		return Spec{}, fmt.Errorf("nn: Describe: an empty Sequential")
	}
	var s Spec
	act := "" // the activation's description, once seen
	dropout := -1.0
	ls := seq.Layers
	for i := 0; i < len(ls); {
		l, ok := ls[i].(*Linear)
		if !ok || l == nil {
			return Spec{}, fmt.Errorf("nn: Describe: layer %d is a %T where a Linear layer belongs", i, ls[i])
		}
		if i == 0 {
			s.Sizes = append(s.Sizes, l.In)
		} else if last := s.Sizes[len(s.Sizes)-1]; l.In != last {
			return Spec{}, fmt.Errorf("nn: Describe: layer %d takes %d inputs, the layer before gives %d", i, l.In, last)
		}
		i++
		if i == len(ls) {
			s.Sizes = append(s.Sizes, l.Out)
			break
		}
		name, hidden, err := describeActivation(&s, ls[i], l.Out)
		if err != nil {
			return Spec{}, fmt.Errorf("nn: Describe: layer %d: %v", i, err)
		}
		if act == "" {
			act = name
		} else if name != act {
			return Spec{}, fmt.Errorf("nn: Describe: layer %d is %s, an earlier one %s: a Spec has one activation", i, name, act)
		}
		s.Sizes = append(s.Sizes, hidden)
		i++
		p := 0.0
		if i < len(ls) {
			if d, ok := ls[i].(*Dropout); ok {
				if d == nil || d.P <= 0 {
					return Spec{}, fmt.Errorf("nn: Describe: layer %d is a Dropout of probability 0, which a Spec cannot describe", i)
				}
				p = d.P
				i++
			}
		}
		if dropout >= 0 && p != dropout {
			return Spec{}, fmt.Errorf("nn: Describe: dropout %v at layer %d, %v before it: a Spec has one dropout probability", p, i-1, dropout)
		}
		dropout = p
		if i == len(ls) {
			return Spec{}, fmt.Errorf("nn: Describe: the network ends with layer %d, a %T: the last layer must be Linear", i-1, ls[i-1])
		}
	}
	s.Dropout = max(dropout, 0)
	s = s.Normal() // a network without hidden layers names no activation
	if err := s.Check(); err != nil {
		return Spec{}, fmt.Errorf("nn: Describe: %v", err)
	}
	// The layers fit together; the parameters must be those of Build(s).
	want, got := s.Params(), seq.Parameters()
	if len(want) != len(got) {
		return Spec{}, fmt.Errorf("nn: Describe: %d parameters, the architecture %s has %d", len(got), s, len(want))
	}
	for i, p := range got {
		if p.Name != want[i].Name || !tensor.SameShape(p.Var.Value.Shape(), want[i].Shape) {
			return Spec{}, fmt.Errorf("nn: Describe: parameter %s%v, the architecture %s has %s%v", p.Name, p.Var.Value.Shape(), s, want[i].Name, want[i].Shape)
		}
	}
	return s, nil
}

// describeActivation records in s the activation module a that follows a
// Linear layer of width out, and returns its description and the width
// after it. Parameters at their defaults are left 0 in s, as a Spec
// written by hand would have them.
func describeActivation(s *Spec, a Module, out int) (name string, hidden int, err error) {
	hidden = out
	switch a := a.(type) {
	case ReLU:
		s.Activation, name = "relu", "relu"
	case Tanh:
		s.Activation, name = "tanh", "tanh"
	case Sigmoid:
		s.Activation, name = "sigmoid", "sigmoid"
	case LeakyReLU:
		if a.Slope == 0 {
			return "", 0, fmt.Errorf("a LeakyReLU of slope 0, which a Spec cannot describe (its 0 means 0.01): use ReLU")
		}
		s.Activation, s.Slope = "leaky_relu", a.Slope
		if a.Slope == 0.01 {
			s.Slope = 0
		}
		name = fmt.Sprintf("leaky_relu(slope %v)", a.Slope)
	case ELUModule:
		if a.Alpha == 0 {
			return "", 0, fmt.Errorf("an ELU of alpha 0, which a Spec cannot describe (its 0 means 1): use ReLU")
		}
		s.Activation, s.Alpha = "elu", a.Alpha
		if a.Alpha == 1 {
			s.Alpha = 0
		}
		name = fmt.Sprintf("elu(alpha %v)", a.Alpha)
	case MaxoutModule:
		if a.K <= 0 || out%a.K != 0 {
			return "", 0, fmt.Errorf("maxout of %d pieces after a Linear layer of width %d", a.K, out)
		}
		s.Activation, s.K = "maxout", a.K
		if a.K == 2 {
			s.K = 0
		}
		name, hidden = fmt.Sprintf("maxout(k %d)", a.K), out/a.K
	default:
		return "", 0, fmt.Errorf("a %T where an activation belongs", a)
	}
	return name, hidden, nil
}

// Build makes the network that the description s gives, with weights
// drawn from rng as MLP draws them: the inverse of Describe. Loading a
// model file goes through it, so that a new kind of description needs
// only Describe and Build to be saved and loaded.
func Build(s Spec, rng *rand.Rand) (*Sequential, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	return MLP(s, rng), nil
}

// Normal returns s in the form Describe gives: the activation named ("" is
// relu) and every parameter at its default written 0, so that two Specs
// of the same network compare equal.
func (s Spec) Normal() Spec {
	s.Sizes = append([]int(nil), s.Sizes...)
	if s.Activation == "" {
		s.Activation = "relu"
	}
	if s.Activation != "leaky_relu" || s.Slope == 0.01 {
		s.Slope = 0
	}
	if s.Activation != "elu" || s.Alpha == 1 {
		s.Alpha = 0
	}
	if s.Activation != "maxout" || s.K == 2 {
		s.K = 0
	}
	return s
}
