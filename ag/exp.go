package ag

import "backprop/tensor"

// Exp returns eˣ element-wise.
//
//	forward:  y = eˣ
//	backward: ∂L/∂x = ∂L/∂y ⊙ y   (uses the saved output)
func Exp(x *Var) *Var { return Apply(expGates.get(), x) }

type expGate struct{ y *tensor.Tensor }

func (g *expGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.y = tensor.Exp(in[0])
	return g.y
}

func (g *expGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return []*tensor.Tensor{tensor.Mul(dout, g.y)}
}

var expGates gatePool[expGate]
