package ag

import "backprop/tensor"

// Stack joins xs, which must share one shape, along a new axis.
//
//	forward:  y[…, k, …] = xₖ
//	backward: ∂L/∂xₖ = ∂L/∂y[…, k, …]
//
//go:noinline
func Stack(axis int, xs ...*Var) *Var { return Apply(&stackGate{axis: axis}, xs...) }

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

func (g *stackGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := make([]*tensor.Tensor, len(need))
	for i := range dx {
		if need[i] {
			dx[i] = tensor.Slice(dy, g.axis, i, i+1).Reshape(g.inShape...)
		}
	}
	return dx
}

func (*stackGate) Info() Info {
	return Info{"stack", "stack", "stack distributes: each input gets its slice of the upstream gradient"}
}
