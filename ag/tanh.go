package ag

import "backprop/tensor"

// Tanh returns tanh(x) element-wise.
//
//	forward:  y = tanh(x)
//	backward: ∂L/∂x = ∂L/∂y ⊙ (1 − y²)   (uses the saved output)
func Tanh(x *Var) *Var { return Apply(tanhGates.get(), x) }

type tanhGate struct{ y *tensor.Tensor }

func (g *tanhGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.y = tensor.Tanh(in[0])
	return g.y
}

func (g *tanhGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.Mul(g.y, g.y)
	tensor.ScaleTo(dx, dx, -1)
	tensor.AddScalarTo(dx, dx, 1)
	return []*tensor.Tensor{tensor.MulTo(dx, dx, dout)}
}

var tanhGates gatePool[tanhGate]
