package ag

import "backprop/tensor"

// Softmax returns the softmax of x along axis (negative counts from the
// end), computed stably by shifting by the maximum.
//
//	forward:  yᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m),  m = maxⱼ xⱼ
//	backward: ∂L/∂x = y ⊙ (∂L/∂y − Σⱼ ∂L/∂yⱼ·yⱼ)   (a dot product per row,
//	          not the n×n Jacobian diag(y) − yyᵀ; uses the saved output)
//
//go:noinline
func Softmax(x *Var, axis int) *Var { return Apply(&softmaxGate{axis: axis}, x) }

type softmaxGate struct {
	axis int
	y    *tensor.Tensor
	grads1
}

func (g *softmaxGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.y = tensor.Softmax(in[0], g.axis)
	return g.y
}

func (g *softmaxGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.Mul(dy, g.y)
	dot := tensor.Sum(dx, true, g.axis)
	tensor.SubTo(dx, dy, dot)
	return g.grads(tensor.MulTo(dx, dx, g.y))
}

func (*softmaxGate) Info() Info {
	return Info{"softmax", "softmax", "softmax: y ⊙ (G − Σ G·y) per row, from the output"}
}
