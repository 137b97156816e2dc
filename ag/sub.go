package ag

import "backprop/tensor"

// Sub returns a − b element-wise, broadcasting as in NumPy.
//
//	forward:  y = a − b
//	backward: ∂L/∂a = ∂L/∂y,  ∂L/∂b = −∂L/∂y   (sub distributes, negated for b)
//
//go:noinline
func Sub(a, b *Var) *Var { return Apply(&subGate{}, a, b) }

type subGate struct{ grads2 }

func (g *subGate) Forward(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Sub(in[0], in[1]) }

func (g *subGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	var db *tensor.Tensor
	if need[1] {
		db = tensor.Neg(dy)
	}
	return g.grads(dy, db)
}

func (*subGate) Info() Info {
	return Info{"sub", "−", "sub distributes: a gets the upstream gradient, b its negative"}
}
