package ag

import "backprop/tensor"

// AvgPool2d returns the mean of every window of the images x,
// [N, C, H, W], as PyTorch's avg_pool2d (padding counted in the divisor
// unless p.ExcludePad).
//
//	forward:  y = (1/k) Σ over the window
//	backward: ∂L/∂x = Σ over the windows that hold x of ∂L/∂y / k
//	          (the mean distributes the gradient evenly)
//
//go:noinline
func AvgPool2d(x *Var, p tensor.PoolParams) *Var { return Apply(&avgPoolGate{p: p}, x) }

type avgPoolGate struct {
	p     tensor.PoolParams
	shape []int
	grads1
}

func (g *avgPoolGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.shape = in[0].Shape()
	return tensor.AvgPool2d(in[0], g.p)
}

func (g *avgPoolGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.grads(tensor.AvgPool2dBackwardTo(tensor.NewLike(dy, g.shape...), dy, g.p))
}

func (*avgPoolGate) Info() Info {
	return Info{"avgPool2d", "avg pool", "the mean distributes: every element of a window gets the gradient over its size"}
}

// GlobalAvgPool2d returns the mean of every H×W plane of the images x,
// [N, C, H, W], as [N, C] (PyTorch's AdaptiveAvgPool2d(1) and flatten).
//
//	forward:  y[n][c] = (1/HW) Σ x[n][c]
//	backward: ∂L/∂x[n][c][·][·] = ∂L/∂y[n][c] / HW   (the mean distributes)
//
//go:noinline
func GlobalAvgPool2d(x *Var) *Var { return Apply(&globalAvgPoolGate{}, x) }

type globalAvgPoolGate struct {
	shape []int
	grads1
}

func (g *globalAvgPoolGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.shape = in[0].Shape()
	return tensor.GlobalAvgPool2d(in[0])
}

func (g *globalAvgPoolGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.grads(tensor.GlobalAvgPool2dBackwardTo(tensor.NewLike(dy, g.shape...), dy))
}

func (*globalAvgPoolGate) Info() Info {
	return Info{"globalAvgPool2d", "global avg", "the mean distributes: every element of a plane gets the gradient over its size"}
}
