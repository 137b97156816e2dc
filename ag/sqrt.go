package ag

import "backprop/tensor"

// Sqrt returns √x element-wise.
//
//	forward:  y = √x
//	backward: ∂L/∂x = ∂L/∂y / (2y)   (uses the saved output)
//
//go:noinline
func Sqrt(x *Var) *Var { return Apply(&sqrtGate{}, x) }

type sqrtGate struct {
	y *tensor.Tensor
	grads1
}

func (g *sqrtGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.y = tensor.Sqrt(in[0])
	return g.y
}

func (g *sqrtGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.Scale(g.y, 2)
	return g.grads(tensor.DivTo(dx, dy, dx))
}

func (*sqrtGate) Info() Info {
	return Info{"sqrt", "√", "sqrt: the local gradient is 1/(2y), from the output"}
}
