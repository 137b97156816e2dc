package ag

import "backprop/tensor"

// Mul returns a ⊙ b element-wise, broadcasting as in NumPy.
//
//	forward:  y = a ⊙ b
//	backward: ∂L/∂a = ∂L/∂y ⊙ b,  ∂L/∂b = ∂L/∂y ⊙ a   (mul swaps its inputs)
//
//go:noinline
func Mul(a, b *Var) *Var { return Apply(&mulGate{}, a, b) }

type mulGate struct {
	a, b *tensor.Tensor
	grads2
}

func (g *mulGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.a, g.b = in[0], in[1]
	return tensor.Mul(g.a, g.b)
}

func (g *mulGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	var da, db *tensor.Tensor
	if need[0] {
		da = tensor.Mul(dy, g.b) // ∂L/∂a = ∂L/∂y · b
	}
	if need[1] {
		db = tensor.Mul(dy, g.a) // ∂L/∂b = ∂L/∂y · a
	}
	return g.grads(da, db)
}

func (*mulGate) Info() Info {
	return Info{"mul", "*", "mul swaps: each input gets the upstream gradient times the other input"}
}
