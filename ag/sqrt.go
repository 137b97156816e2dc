package ag

import "backprop/tensor"

// Sqrt returns √x element-wise.
//
//	forward:  y = √x
//	backward: ∂L/∂x = ∂L/∂y / (2y)   (uses the saved output)
func Sqrt(x *Var) *Var { return Apply(sqrtGates.get(), x) }

type sqrtGate struct{ y *tensor.Tensor }

func (g *sqrtGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.y = tensor.Sqrt(in[0])
	return g.y
}

func (g *sqrtGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.Scale(g.y, 2)
	return []*tensor.Tensor{tensor.DivTo(dx, dout, dx)}
}

var sqrtGates gatePool[sqrtGate]
