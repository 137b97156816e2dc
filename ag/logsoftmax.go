package ag

import "backprop/tensor"

// LogSoftmax returns log(softmax(x)) along axis, computed as
// x − m − log Σ exp(x − m) so that it never takes the log of 0.
//
//	forward:  yᵢ = xᵢ − m − log Σⱼ exp(xⱼ − m)
//	backward: ∂L/∂x = ∂L/∂y − exp(y) ⊙ Σⱼ ∂L/∂yⱼ   (uses the saved output)
//
//go:noinline
func LogSoftmax(x *Var, axis int) *Var { return Apply(&logSoftmaxGate{axis: axis}, x) }

type logSoftmaxGate struct {
	axis int
	y    *tensor.Tensor
	grads1
}

func (g *logSoftmaxGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.y = tensor.LogSoftmax(in[0], g.axis)
	return g.y
}

func (g *logSoftmaxGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	total := tensor.Sum(dy, true, g.axis)
	dx := tensor.Exp(g.y)
	tensor.MulTo(dx, dx, total)
	return g.grads(tensor.SubTo(dx, dy, dx))
}

func (*logSoftmaxGate) Info() Info {
	return Info{"logSoftmax", "log softmax", "log softmax: G − softmax ⊙ Σ G per row, from the output"}
}
