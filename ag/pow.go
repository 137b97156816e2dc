package ag

import "backprop/tensor"

// Pow returns aᵇ element-wise, broadcasting as in NumPy (0⁰ = 1).
//
//	forward:  y = aᵇ
//	backward: ∂L/∂a = ∂L/∂y ⊙ b·aᵇ⁻¹,  ∂L/∂b = ∂L/∂y ⊙ y·ln a
//
// As in PyTorch, ∂L/∂a is 0 where b = 0 (x⁰ is constant, 0⁰ included), and
// ∂L/∂b is 0 where a = 0 and b ≥ 0, the limit of y·ln a there; for a < 0
// it is NaN, as ln a is.
//
//go:noinline
func Pow(a, b *Var) *Var { return Apply(&powGate{}, a, b) }

type powGate struct {
	a, b, y *tensor.Tensor
	grads2
}

func (g *powGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.a, g.b = in[0], in[1]
	g.y = tensor.Pow(g.a, g.b)
	return g.y
}

func (g *powGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	zero := tensor.ScalarLike(dy, 0)
	var da, db *tensor.Tensor
	if need[0] {
		da = tensor.Pow(g.a, tensor.AddScalar(g.b, -1))
		tensor.MulTo(da, da, g.b)
		da = tensor.Where(tensor.Eq(g.b, zero), zero, da)
		tensor.MulTo(da, da, dy)
	}
	if need[1] {
		db = tensor.Mul(g.y, tensor.Log(g.a))
		atZero := tensor.Mul(tensor.Eq(g.a, zero), tensor.GreaterEqual(g.b, zero))
		db = tensor.Where(atZero, zero, db)
		tensor.MulTo(db, db, dy)
	}
	return g.grads(da, db)
}

func (*powGate) Info() Info {
	return Info{"pow", "^", "pow: ∂/∂a = b·aᵇ⁻¹, ∂/∂b = aᵇ·ln a"}
}
