package ag

import "backprop/tensor"

// ReLU returns max(x, 0) element-wise.
//
//	forward:  y = max(x, 0)
//	backward: ∂L/∂x = ∂L/∂y where y > 0, else 0   (max routes the gradient)
func ReLU(x *Var) *Var { return Apply(&reluGate{}, x) }

type reluGate struct{ y *tensor.Tensor }

func (g *reluGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.y = tensor.ReLU(in[0])
	return g.y
}

func (g *reluGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.Sign(g.y) // 1 where y > 0, 0 where y = 0
	return []*tensor.Tensor{tensor.MulTo(dx, dx, dout)}
}
