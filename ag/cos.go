package ag

import "backprop/tensor"

// Cos returns cos x element-wise.
//
//	forward:  y = cos x
//	backward: ∂L/∂x = −∂L/∂y ⊙ sin x
//
//go:noinline
func Cos(x *Var) *Var { return Apply(&cosGate{}, x) }

type cosGate struct {
	x *tensor.Tensor
	grads1
}

func (g *cosGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x = in[0]
	return tensor.Cos(g.x)
}

func (g *cosGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.Sin(g.x)
	tensor.MulTo(dx, dx, dy)
	return g.grads(tensor.NegTo(dx, dx))
}

func (*cosGate) Info() Info { return Info{"cos", "cos", "cos: the local gradient is −sin x"} }
