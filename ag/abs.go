package ag

import "backprop/tensor"

// Abs returns |x| element-wise; NaN stays NaN.
//
//	forward:  y = |x|
//	backward: ∂L/∂x = ∂L/∂y ⊙ sign(x)   (0 at x = 0 and where x is NaN, as
//	          in PyTorch: the NaN of the output already marks the spot)
//
//go:noinline
func Abs(x *Var) *Var { return Apply(&absGate{}, x) }

type absGate struct {
	x *tensor.Tensor
	grads1
}

func (g *absGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x = in[0]
	return tensor.Abs(g.x)
}

func (g *absGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	zero := tensor.ScalarLike(g.x, 0)
	dx := tensor.Greater(g.x, zero) // sign(x) with 0 for NaN: [x > 0] − [x < 0]
	tensor.SubTo(dx, dx, tensor.Less(g.x, zero))
	return g.grads(tensor.MulTo(dx, dx, dy))
}

func (*absGate) Info() Info { return Info{"abs", "|x|", "abs: the gradient passes with the sign of x"} }
