package ag

import "backprop/tensor"

// LogSoftmax returns log(softmax(x)) along axis, computed as
// x − m − log Σ exp(x − m) so that it never takes the log of 0.
//
//	forward:  yᵢ = xᵢ − m − log Σⱼ exp(xⱼ − m)
//	backward: ∂L/∂x = ∂L/∂y − exp(y) ⊙ Σⱼ ∂L/∂yⱼ   (uses the saved output)
func LogSoftmax(x *Var, axis int) *Var {
	return Apply(logSoftmaxGates.with(logSoftmaxGate{axis: axis}), x)
}

type logSoftmaxGate struct {
	axis int
	y    *tensor.Tensor
}

func (g *logSoftmaxGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.y = tensor.LogSoftmax(in[0], g.axis)
	return g.y
}

func (g *logSoftmaxGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	total := tensor.Sum(dout, true, g.axis)
	dx := tensor.Exp(g.y)
	tensor.MulTo(dx, dx, total)
	return []*tensor.Tensor{tensor.SubTo(dx, dout, dx)}
}

var logSoftmaxGates gatePool[logSoftmaxGate]
