package ag

import "backprop/tensor"

// Tanh returns tanh(x) element-wise.
//
//	forward:  y = tanh(x)
//	backward: ∂L/∂x = ∂L/∂y ⊙ (1 − y²)   (uses the saved output)
//
//go:noinline
func Tanh(x *Var) *Var { return Apply(&tanhGate{}, x) }

type tanhGate struct {
	y *tensor.Tensor
	grads1
}

func (g *tanhGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.y = tensor.Tanh(in[0])
	return g.y
}

func (g *tanhGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.Mul(g.y, g.y)
	tensor.SubFromScalarTo(dx, 1, dx) // 1 − y²
	return g.grads(tensor.MulTo(dx, dx, dy))
}

func (*tanhGate) Info() Info {
	return Info{"tanh", "tanh", "tanh: the local gradient is 1 − y², from the output"}
}
