package ag

import "backprop/tensor"

// Sum returns the sum of x over axes (every element when none are given),
// keeping the reduced axes as size 1 if keepdims.
//
//	forward:  y = Σ x over the axes
//	backward: ∂L/∂x = ∂L/∂y broadcast back along the reduced axes
//	          (every input contributed with local gradient 1: sum distributes)
//
//go:noinline
func Sum(x *Var, keepdims bool, axes ...int) *Var {
	return Apply(&sumGate{keepdims: keepdims, axes: axes}, x)
}

type sumGate struct {
	keepdims bool
	axes     []int
	shape    []int
	grads1
}

func (g *sumGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.shape = in[0].Shape()
	return tensor.Sum(in[0], g.keepdims, g.axes...)
}

func (g *sumGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.grads(expandReduced(dy, g.shape, g.axes))
}

func (*sumGate) Info() Info {
	return Info{"sum", "Σ", "sum distributes: every input element gets the upstream gradient"}
}

// expandReduced broadcasts the gradient of a reduction over axes back to
// the input's shape.
func expandReduced(dy *tensor.Tensor, shape []int, axes []int) *tensor.Tensor {
	var buf [8]int
	keep := append(buf[:0], shape...) // the reduced axes kept as size 1
	if len(axes) == 0 {
		for i := range keep {
			keep[i] = 1
		}
	}
	for _, a := range axes {
		if a < 0 {
			a += len(keep) // the forward pass checked the range
		}
		keep[a] = 1
	}
	return tensor.BroadcastTo(tensor.NewLike(dy, shape...), dy.Reshape(keep...))
}
