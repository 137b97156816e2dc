package ag

import "backprop/tensor"

// Cos returns cos x element-wise.
//
//	forward:  y = cos x
//	backward: ∂L/∂x = −∂L/∂y ⊙ sin x
func Cos(x *Var) *Var { return Apply(cosGates.get(), x) }

type cosGate struct{ x *tensor.Tensor }

func (g *cosGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x = in[0]
	return tensor.Cos(in[0])
}

func (g *cosGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.Sin(g.x)
	tensor.MulTo(dx, dx, dout)
	return []*tensor.Tensor{tensor.NegTo(dx, dx)}
}

var cosGates gatePool[cosGate]
