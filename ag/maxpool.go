package ag

import "backprop/tensor"

// MaxPool2d returns the maximum of every window of the images x,
// [N, C, H, W], as PyTorch's max_pool2d: padding counts as −∞, ties go to
// the first element, NaN propagates.
//
//	forward:  y = max over the window
//	backward: ∂L/∂x = ∂L/∂y at the window's arg-max, 0 elsewhere, summed
//	          where windows overlap   (max routes the gradient)
//
//go:noinline
func MaxPool2d(x *Var, p tensor.PoolParams) *Var { return Apply(&maxPoolGate{p: p}, x) }

type maxPoolGate struct {
	p      tensor.PoolParams
	shape  []int   // the input's shape
	argmax []int32 // the flat index in its plane of each output's maximum
	grads1
}

func (g *maxPoolGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.shape = in[0].Shape()
	y, argmax := tensor.MaxPool2d(in[0], g.p)
	g.argmax = argmax
	return y
}

func (g *maxPoolGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.NewLike(dy, g.shape...)
	return g.grads(tensor.MaxPool2dBackwardTo(dx, dy, g.argmax))
}

func (*maxPoolGate) Info() Info {
	return Info{"maxPool2d", "max pool", "max routes: each window's largest element gets the gradient, the others 0"}
}
