package ag

import "backprop/tensor"

// Permute returns x with its axes reordered: axis i of the result is axis
// axes[i] of x.
//
//	forward:  y = x with axes permuted
//	backward: ∂L/∂x = ∂L/∂y with the inverse permutation
func Permute(x *Var, axes ...int) *Var { return Apply(permuteGates.with(permuteGate{axes: axes}), x) }

type permuteGate struct{ axes []int }

func (g *permuteGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	return tensor.Permute(in[0], g.axes...)
}

func (g *permuteGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return []*tensor.Tensor{tensor.Permute(dout, tensor.InversePermutation(g.axes)...)}
}

var permuteGates gatePool[permuteGate]
