package ag

import "backprop/tensor"

// Minimum returns the element-wise minimum of a and b, broadcasting as in
// NumPy; NaN propagates.
//
//	forward:  y = min(a, b)
//	backward: ∂L/∂a = ∂L/∂y where a < b, 0 where a > b;  ∂L/∂b likewise
//	          (min routes the gradient to the smaller input; at a tie each
//	          gets half, and where a or b is NaN both get all of it, as in
//	          PyTorch)
//
//go:noinline
func Minimum(a, b *Var) *Var { return Apply(&minimumGate{}, a, b) }

type minimumGate struct {
	a, b *tensor.Tensor
	grads2
}

func (g *minimumGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.a, g.b = in[0], in[1]
	return tensor.Minimum(g.a, g.b)
}

func (g *minimumGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	// a's share of min(a, b) — 0 where a > b, ½ at a tie, 1 elsewhere — is
	// b's share of max(b, a), and the other way round.
	return g.grads(routeShare(dy, g.b, g.a, need[0]), routeShare(dy, g.a, g.b, need[1]))
}

func (*minimumGate) Info() Info {
	return Info{"minimum", "min", "min routes: the smaller input gets the whole upstream gradient, the other 0 (half each at a tie)"}
}
