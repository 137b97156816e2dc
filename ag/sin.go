package ag

import "backprop/tensor"

// Sin returns sin x element-wise.
//
//	forward:  y = sin x
//	backward: ∂L/∂x = ∂L/∂y ⊙ cos x
func Sin(x *Var) *Var { return Apply(sinGates.get(), x) }

type sinGate struct{ x *tensor.Tensor }

func (g *sinGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x = in[0]
	return tensor.Sin(in[0])
}

func (g *sinGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.Cos(g.x)
	return []*tensor.Tensor{tensor.MulTo(dx, dx, dout)}
}

var sinGates gatePool[sinGate]
