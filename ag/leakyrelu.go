package ag

import "backprop/tensor"

// LeakyReLU returns x where x > 0 and slope·x elsewhere.
//
//	forward:  y = x if x > 0, else slope·x
//	backward: ∂L/∂x = ∂L/∂y where x > 0, else slope·∂L/∂y
func LeakyReLU(x *Var, slope float64) *Var {
	return Apply(leakyReLUGates.with(leakyReLUGate{slope: slope}), x)
}

type leakyReLUGate struct {
	slope float64
	x     *tensor.Tensor
}

func (g *leakyReLUGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x = in[0]
	return tensor.LeakyReLU(in[0], g.slope)
}

func (g *leakyReLUGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	// The local gradient is 1 where x > 0 and slope elsewhere.
	dx := tensor.Greater(g.x, tensor.Scalar(g.x.DType(), 0))
	tensor.ScaleTo(dx, dx, 1-g.slope)
	tensor.AddScalarTo(dx, dx, g.slope)
	return []*tensor.Tensor{tensor.MulTo(dx, dx, dout)}
}

var leakyReLUGates gatePool[leakyReLUGate]
