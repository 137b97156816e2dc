package ag

import "backprop/tensor"

// ReLU returns max(x, 0) element-wise; NaN stays NaN, as in PyTorch.
//
//	forward:  y = max(x, 0)
//	backward: ∂L/∂x = 0 where y ≤ 0, else ∂L/∂y   (max routes the gradient;
//	          it passes where y is NaN, as in PyTorch, and not at x = 0)
//
//go:noinline
func ReLU(x *Var) *Var { return Apply(&reluGate{}, x) }

type reluGate struct {
	y *tensor.Tensor
	grads1
}

func (g *reluGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.y = tensor.ReLU(in[0])
	return g.y
}

func (g *reluGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.grads(tensor.ReLUBackward(g.y, dy))
}

func (*reluGate) Info() Info {
	return Info{"relu", "relu", "relu routes: the gradient passes where the input is positive, else 0"}
}
