package ag

import "backprop/tensor"

// Neg returns −x.
//
//	forward:  y = −x
//	backward: ∂L/∂x = −∂L/∂y
//
//go:noinline
func Neg(x *Var) *Var { return Apply(&negGate{}, x) }

type negGate struct{ grads1 }

func (g *negGate) Forward(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Neg(in[0]) }

func (g *negGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.grads(tensor.Neg(dy))
}

func (*negGate) Info() Info { return Info{"neg", "−x", "neg: the gradient flips sign"} }
