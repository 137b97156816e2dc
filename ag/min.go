package ag

import "backprop/tensor"

// Min returns the minimum of x over axes (every element when none are
// given), keeping the reduced axes as size 1 if keepdims; a NaN in a group
// makes its minimum NaN.
//
//	forward:  y = min x over the axes
//	backward: ∂L/∂x = ∂L/∂y at the position of the minimum, 0 elsewhere
//	          (min routes the gradient; k tied minima get ∂L/∂y / k each, and
//	          a NaN minimum's gradient goes to the NaN elements)
//
//go:noinline
func Min(x *Var, keepdims bool, axes ...int) *Var {
	return Apply(&extremumGate{name: "min", keepdims: keepdims, axes: axes, reduce: tensor.Min}, x)
}
