package ag

import "backprop/tensor"

// The comparison gates return 1 where the relation holds and 0 elsewhere,
// broadcasting as in NumPy. A step function is flat wherever it is
// differentiable, so their gradient is 0: Backward returns no gradient for
// either input. Use them as the condition of Where.
//
//	forward:  y = [a ∘ b]   (1 or 0)
//	backward: ∂L/∂a = ∂L/∂b = 0

// Greater returns 1 where a > b and 0 elsewhere.
//
//go:noinline
func Greater(a, b *Var) *Var { return Apply(&compareGate{op: tensor.Greater}, a, b) }

// GreaterEqual returns 1 where a ≥ b and 0 elsewhere.
//
//go:noinline
func GreaterEqual(a, b *Var) *Var { return Apply(&compareGate{op: tensor.GreaterEqual}, a, b) }

// Less returns 1 where a < b and 0 elsewhere.
//
//go:noinline
func Less(a, b *Var) *Var { return Apply(&compareGate{op: tensor.Less}, a, b) }

// LessEqual returns 1 where a ≤ b and 0 elsewhere.
//
//go:noinline
func LessEqual(a, b *Var) *Var { return Apply(&compareGate{op: tensor.LessEqual}, a, b) }

// Equal returns 1 where a = b and 0 elsewhere.
//
//go:noinline
func Equal(a, b *Var) *Var { return Apply(&compareGate{op: tensor.Eq}, a, b) }

// NotEqual returns 1 where a ≠ b and 0 elsewhere.
//
//go:noinline
func NotEqual(a, b *Var) *Var { return Apply(&compareGate{op: tensor.NotEqual}, a, b) }

type compareGate struct {
	op func(a, b *tensor.Tensor) *tensor.Tensor
	grads2
}

func (g *compareGate) Forward(in ...*tensor.Tensor) *tensor.Tensor { return g.op(in[0], in[1]) }

func (g *compareGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.grads(nil, nil)
}

func (*compareGate) Info() Info {
	return Info{"compare", "cmp", "a comparison is flat: no gradient flows through it"}
}
