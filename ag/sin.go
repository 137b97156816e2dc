package ag

import "backprop/tensor"

// Sin returns sin x element-wise.
//
//	forward:  y = sin x
//	backward: ∂L/∂x = ∂L/∂y ⊙ cos x
//
//go:noinline
func Sin(x *Var) *Var { return Apply(&sinGate{}, x) }

type sinGate struct {
	x *tensor.Tensor
	grads1
}

func (g *sinGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x = in[0]
	return tensor.Sin(g.x)
}

func (g *sinGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.Cos(g.x)
	return g.grads(tensor.MulTo(dx, dx, dy))
}

func (*sinGate) Info() Info { return Info{"sin", "sin", "sin: the local gradient is cos x"} }
