package ag

import "backprop/tensor"

// LeakyReLU returns x where x > 0 and slope·x elsewhere; NaN stays NaN.
//
//	forward:  y = x if x > 0, else slope·x
//	backward: ∂L/∂x = ∂L/∂y where x > 0, else slope·∂L/∂y   (slope at NaN, as
//	          in PyTorch)
//
//go:noinline
func LeakyReLU(x *Var, slope float64) *Var { return Apply(&leakyReLUGate{slope: slope}, x) }

type leakyReLUGate struct {
	slope float64
	x     *tensor.Tensor
	grads1
}

func (g *leakyReLUGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x = in[0]
	return tensor.LeakyReLU(g.x, g.slope)
}

func (g *leakyReLUGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	// The local gradient is 1 where x > 0 and slope elsewhere.
	dx := tensor.Greater(g.x, tensor.ScalarLike(g.x, 0))
	tensor.ScaleTo(dx, dx, 1-g.slope)
	tensor.AddScalarTo(dx, dx, g.slope)
	return g.grads(tensor.MulTo(dx, dx, dy))
}

func (*leakyReLUGate) Info() Info {
	return Info{"leakyReLU", "leaky relu", "leaky relu routes: the gradient passes where x > 0, times the slope elsewhere"}
}
