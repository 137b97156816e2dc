package ag

import "backprop/tensor"

// Slice returns the elements of x with index start ≤ i < end along axis.
//
//	forward:  y = x[…, start:end, …]
//	backward: ∂L/∂x = ∂L/∂y in the sliced positions, 0 elsewhere
//
//go:noinline
func Slice(x *Var, axis, start, end int) *Var {
	return Apply(&sliceGate{axis: axis, start: start, end: end}, x)
}

type sliceGate struct {
	axis, start, end int
	inShape          []int
	grads1
}

func (g *sliceGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.inShape = in[0].Shape()
	return tensor.Slice(in[0], g.axis, g.start, g.end)
}

func (g *sliceGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.NewLike(dy, g.inShape...)
	return g.grads(tensor.SetSlice(dx, dy, g.axis, g.start))
}

func (*sliceGate) Info() Info {
	return Info{"slice", "slice", "slice routes: the gradient goes back to the sliced positions, 0 elsewhere"}
}
