package ag

import "backprop/tensor"

// Sigmoid returns σ(x) = 1/(1+e⁻ˣ) element-wise, as one gate rather than
// the four (neg, exp, add, reciprocal) it could be built from.
//
//	forward:  y = σ(x)
//	backward: ∂L/∂x = ∂L/∂y ⊙ y(1 − y)   (uses the saved output)
func Sigmoid(x *Var) *Var { return Apply(sigmoidGates.get(), x) }

type sigmoidGate struct{ y *tensor.Tensor }

func (g *sigmoidGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.y = tensor.Sigmoid(in[0])
	return g.y
}

func (g *sigmoidGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.AddScalar(tensor.Neg(g.y), 1)
	tensor.MulTo(dx, dx, g.y)
	return []*tensor.Tensor{tensor.MulTo(dx, dx, dout)}
}

var sigmoidGates gatePool[sigmoidGate]
