package ag

import "backprop/tensor"

// Transpose returns x with its last two axes swapped (the matrix transpose
// xᵀ for a 2-d x); it is the permute gate with that permutation, which is
// its own inverse. To multiply by a transpose, MatMulT avoids the copy.
//
//	forward:  y = xᵀ
//	backward: ∂L/∂x = (∂L/∂y)ᵀ
//
//go:noinline
func Transpose(x *Var) *Var {
	return Apply(&permuteGate{axes: tensor.TransposeAxes(x.Value.Dims())}, x)
}
