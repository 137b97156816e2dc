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
func Greater(a, b *Var) *Var { return Apply(compareGates.with(compareGate{op: tensor.Greater}), a, b) }

// GreaterEqual returns 1 where a ≥ b and 0 elsewhere.
func GreaterEqual(a, b *Var) *Var {
	return Apply(compareGates.with(compareGate{op: tensor.GreaterEqual}), a, b)
}

// Less returns 1 where a < b and 0 elsewhere.
func Less(a, b *Var) *Var { return Apply(compareGates.with(compareGate{op: tensor.Less}), a, b) }

// LessEqual returns 1 where a ≤ b and 0 elsewhere.
func LessEqual(a, b *Var) *Var {
	return Apply(compareGates.with(compareGate{op: tensor.LessEqual}), a, b)
}

// Equal returns 1 where a = b and 0 elsewhere.
func Equal(a, b *Var) *Var { return Apply(compareGates.with(compareGate{op: tensor.Eq}), a, b) }

// NotEqual returns 1 where a ≠ b and 0 elsewhere.
func NotEqual(a, b *Var) *Var {
	return Apply(compareGates.with(compareGate{op: tensor.NotEqual}), a, b)
}

type compareGate struct {
	op func(a, b *tensor.Tensor) *tensor.Tensor
}

func (g *compareGate) Forward(in ...*tensor.Tensor) *tensor.Tensor { return g.op(in[0], in[1]) }

func (g *compareGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return []*tensor.Tensor{nil, nil}
}

var compareGates gatePool[compareGate]
