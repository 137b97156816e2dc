package ag

import "backprop/tensor"

// Concat joins xs along an existing axis; their other axes must match.
//
//	forward:  y = [x₁ x₂ …] along axis
//	backward: ∂L/∂xₖ = the slice of ∂L/∂y that xₖ occupies
//
//go:noinline
func Concat(axis int, xs ...*Var) *Var { return Apply(&concatGate{axis: axis}, xs...) }

type concatGate struct {
	axis  int
	sizes []int
}

func (g *concatGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	y := tensor.Concat(g.axis, in...)
	g.axis = normalizeAxis(g.axis, y.Dims())
	g.sizes = make([]int, len(in))
	for i, t := range in {
		g.sizes[i] = t.Dim(g.axis)
	}
	return y
}

func (g *concatGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := make([]*tensor.Tensor, len(g.sizes))
	off := 0
	for i, n := range g.sizes {
		if need[i] {
			dx[i] = tensor.Slice(dy, g.axis, off, off+n)
		}
		off += n
	}
	return dx
}

func (*concatGate) Info() Info {
	return Info{"concat", "concat", "concat distributes: each input gets its slice of the upstream gradient"}
}

// normalizeAxis turns a negative axis into its index among dims; the
// tensor operations have already checked the range.
func normalizeAxis(axis, dims int) int {
	if axis < 0 {
		return axis + dims
	}
	return axis
}
