package ag

import "backprop/tensor"

// Slice returns the elements of x with index start ≤ i < end along axis.
//
//	forward:  y = x[…, start:end, …]
//	backward: ∂L/∂x = ∂L/∂y in the sliced positions, 0 elsewhere
func Slice(x *Var, axis, start, end int) *Var {
	return Apply(sliceGates.with(sliceGate{axis: axis, start: start, end: end}), x)
}

type sliceGate struct {
	axis, start, end int
	inShape          []int
}

func (g *sliceGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.inShape = in[0].Shape()
	return tensor.Slice(in[0], g.axis, g.start, g.end)
}

func (g *sliceGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.New(dout.DType(), g.inShape...)
	return []*tensor.Tensor{tensor.SetSlice(dx, dout, g.axis, g.start)}
}

var sliceGates gatePool[sliceGate]
