package ag

import "backprop/tensor"

// Max returns the maximum of x over axes (every element when none are
// given), keeping the reduced axes as size 1 if keepdims.
//
//	forward:  y = max x over the axes
//	backward: ∂L/∂x = ∂L/∂y at the position of the maximum, 0 elsewhere
//	          (max routes the gradient; k tied maxima get ∂L/∂y / k each)
func Max(x *Var, keepdims bool, axes ...int) *Var {
	return Apply(extremumGates.with(extremumGate{name: "max", keepdims: keepdims, axes: axes, reduce: tensor.Max}), x)
}

// extremumGate is the reduction to the largest or smallest element; Max
// and Min share it since their backward passes are the same routing.
type extremumGate struct {
	name     string // "max" or "min", for GateName
	keepdims bool
	axes     []int
	reduce   func(*tensor.Tensor, bool, ...int) *tensor.Tensor
	x, ykeep *tensor.Tensor
}

// Name tells the two reductions apart in pictures and messages.
func (g *extremumGate) Name() string { return g.name }

func (g *extremumGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x = in[0]
	y := g.reduce(in[0], g.keepdims, g.axes...)
	g.ykeep = y.Reshape(tensor.ReducedShape(in[0].Shape(), true, g.axes...)...)
	return y
}

func (g *extremumGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	// mask marks the elements equal to the extremum of their group; the
	// gradient is shared among ties so that it sums to ∂L/∂y.
	mask := tensor.Eq(g.x, g.ykeep)
	count := tensor.Sum(mask, true, g.axes...)
	share := tensor.Div(dout.Reshape(count.Shape()...), count)
	return []*tensor.Tensor{tensor.MulTo(mask, mask, share)}
}

var extremumGates gatePool[extremumGate]
