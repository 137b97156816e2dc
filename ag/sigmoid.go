package ag

import "backprop/tensor"

// Sigmoid returns σ(x) = 1/(1+e⁻ˣ) element-wise, as one gate rather than
// the four (neg, exp, add, reciprocal) it could be built from.
//
//	forward:  y = σ(x)
//	backward: ∂L/∂x = ∂L/∂y ⊙ y(1 − y)   (uses the saved output)
//
//go:noinline
func Sigmoid(x *Var) *Var { return Apply(&sigmoidGate{}, x) }

type sigmoidGate struct {
	y *tensor.Tensor
	grads1
}

func (g *sigmoidGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.y = tensor.Sigmoid(in[0])
	return g.y
}

func (g *sigmoidGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.SubFromScalar(1, g.y) // 1 − y
	tensor.MulTo(dx, dx, g.y)
	return g.grads(tensor.MulTo(dx, dx, dy))
}

func (*sigmoidGate) Info() Info {
	return Info{"sigmoid", "σ", "σ: the local gradient is σ(x)(1 − σ(x)), from the output"}
}
