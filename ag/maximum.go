package ag

import "backprop/tensor"

// Maximum returns the element-wise maximum of a and b, broadcasting as in
// NumPy; NaN propagates.
//
//	forward:  y = max(a, b)
//	backward: ∂L/∂a = ∂L/∂y where a > b, 0 where a < b;  ∂L/∂b likewise
//	          (max routes the gradient to the larger input; at a tie a = b
//	          each gets half, as in PyTorch and JAX, and where a or b is NaN
//	          both get all of it, as in PyTorch)
//
//go:noinline
func Maximum(a, b *Var) *Var { return Apply(&maximumGate{}, a, b) }

type maximumGate struct {
	a, b *tensor.Tensor
	grads2
}

func (g *maximumGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.a, g.b = in[0], in[1]
	return tensor.Maximum(g.a, g.b)
}

func (g *maximumGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.grads(routeShare(dy, g.a, g.b, need[0]), routeShare(dy, g.b, g.a, need[1]))
}

func (*maximumGate) Info() Info {
	return Info{"maximum", "max", "max routes: the larger input gets the whole upstream gradient, the other 0 (half each at a tie)"}
}

// routeShare returns ∂L/∂y times x's share of the gradient of max(x, o):
// 0 where x < o, ½ where x = o, 1 elsewhere (x > o, or either is NaN); or
// nil if !need. Min's shares are Max's with the operands negated, which
// routeShare gets by swapping the comparison's operands.
func routeShare(dy, x, o *tensor.Tensor, need bool) *tensor.Tensor {
	if !need {
		return nil
	}
	w := tensor.Less(x, o) // 1 where x loses
	tensor.SubFromScalarTo(w, 1, w)
	half := tensor.Eq(x, o)
	tensor.ScaleTo(half, half, 0.5)
	w = tensor.Sub(w, half)
	return tensor.MulTo(w, w, dy)
}
