package ag

import "backprop/tensor"

// Pow returns aᵇ element-wise, broadcasting as in NumPy.
//
//	forward:  y = aᵇ
//	backward: ∂L/∂a = ∂L/∂y ⊙ b·aᵇ⁻¹,  ∂L/∂b = ∂L/∂y ⊙ y·ln a
//
// The gradient with respect to b is taken as 0 where y = 0 (a = 0 with
// b > 0), the limit of y·ln a there; for a < 0 it is NaN, as ln a is.
func Pow(a, b *Var) *Var { return Apply(powGates.get(), a, b) }

type powGate struct{ a, b, y *tensor.Tensor }

func (g *powGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.a, g.b = in[0], in[1]
	g.y = tensor.Pow(in[0], in[1])
	return g.y
}

func (g *powGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	var da, db *tensor.Tensor
	if need[0] {
		da = tensor.Pow(g.a, tensor.AddScalar(g.b, -1))
		tensor.MulTo(da, da, g.b)
		tensor.MulTo(da, da, dout)
	}
	if need[1] {
		lna := tensor.Log(g.a)
		zero := tensor.Scalar(g.y.DType(), 0)
		db = tensor.Mul(g.y, lna)
		tensor.WhereTo(db, tensor.Eq(g.y, zero), zero, db)
		tensor.MulTo(db, db, dout)
	}
	return []*tensor.Tensor{da, db}
}

var powGates gatePool[powGate]
