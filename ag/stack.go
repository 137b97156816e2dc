package ag

import "backprop/tensor"

// Stack joins xs, which must share one shape, along a new axis.
//
//	forward:  y[…, k, …] = xₖ
//	backward: ∂L/∂xₖ = ∂L/∂y[…, k, …]
func Stack(axis int, xs ...*Var) *Var { return Apply(stackGates.with(stackGate{axis: axis}), xs...) }

type stackGate struct {
	axis    int
	inShape []int
}

func (g *stackGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	y := tensor.Stack(g.axis, in...)
	g.axis = normalizeAxis(g.axis, y.Dims())
	g.inShape = in[0].Shape()
	return y
}

func (g *stackGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := make([]*tensor.Tensor, len(need))
	for i := range dx {
		if need[i] {
			dx[i] = tensor.Slice(dout, g.axis, i, i+1).Reshape(g.inShape...)
		}
	}
	return dx
}

var stackGates gatePool[stackGate]
