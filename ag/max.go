package ag

import "backprop/tensor"

// Max returns the maximum of x over axes (every element when none are
// given), keeping the reduced axes as size 1 if keepdims; a NaN in a group
// makes its maximum NaN.
//
//	forward:  y = max x over the axes
//	backward: ∂L/∂x = ∂L/∂y at the position of the maximum, 0 elsewhere
//	          (max routes the gradient; k tied maxima get ∂L/∂y / k each, and
//	          a NaN maximum's gradient goes to the NaN elements, as PyTorch's
//	          max() distributes it)
//
//go:noinline
func Max(x *Var, keepdims bool, axes ...int) *Var {
	return Apply(&extremumGate{name: "max", keepdims: keepdims, axes: axes, reduce: tensor.Max}, x)
}

// extremumGate is the reduction to the largest or smallest element; Max
// and Min share it since their backward passes are the same routing.
type extremumGate struct {
	name     string // "max" or "min", for Info
	keepdims bool
	axes     []int
	reduce   func(*tensor.Tensor, bool, ...int) *tensor.Tensor
	x, ykeep *tensor.Tensor
	grads1
}

func (g *extremumGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x = in[0]
	y := g.reduce(in[0], g.keepdims, g.axes...)
	g.ykeep = y.Reshape(tensor.ReducedShape(in[0].Shape(), true, g.axes...)...)
	return y
}

func (g *extremumGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	// mask marks the elements equal to the extremum of their group (the
	// NaNs where it is NaN); the gradient is shared among them so that it
	// sums to ∂L/∂y.
	mask := tensor.Eq(g.x, g.ykeep)
	if nan := tensor.NotEqual(g.ykeep, g.ykeep); tensor.Sum(nan, false).Item() > 0 {
		tensor.WhereTo(mask, nan, tensor.NotEqual(g.x, g.x), mask)
	}
	count := tensor.Sum(mask, true, g.axes...)
	share := tensor.Div(dy.Reshape(count.Shape()...), count)
	return g.grads(tensor.MulTo(mask, mask, share))
}

func (g *extremumGate) Info() Info {
	if g.name == "min" {
		return Info{"min", "min", "min routes: the smallest element gets the whole upstream gradient"}
	}
	return Info{"max", "max", "max routes: the largest element gets the whole upstream gradient"}
}
