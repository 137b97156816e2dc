package ag

import "backprop/tensor"

// Permute returns x with its axes reordered: axis i of the result is axis
// axes[i] of x.
//
//	forward:  y = x with axes permuted
//	backward: ∂L/∂x = ∂L/∂y with the inverse permutation
//
//go:noinline
func Permute(x *Var, axes ...int) *Var { return Apply(&permuteGate{axes: axes}, x) }

type permuteGate struct {
	axes []int
	grads1
}

func (g *permuteGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	return tensor.Permute(in[0], g.axes...)
}

func (g *permuteGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.grads(tensor.Permute(dy, tensor.InversePermutation(g.axes)...))
}

func (*permuteGate) Info() Info {
	return Info{"permute", "transpose", "transpose passes the gradient through, with the axes put back"}
}
