package ag

import "backprop/tensor"

// Exp returns eˣ element-wise.
//
//	forward:  y = eˣ
//	backward: ∂L/∂x = ∂L/∂y ⊙ y   (uses the saved output)
//
//go:noinline
func Exp(x *Var) *Var { return Apply(&expGate{}, x) }

type expGate struct {
	y *tensor.Tensor
	grads1
}

func (g *expGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.y = tensor.Exp(in[0])
	return g.y
}

func (g *expGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.grads(tensor.Mul(dy, g.y))
}

func (*expGate) Info() Info {
	return Info{"exp", "exp", "exp: the local gradient is the output itself"}
}
