package ag

import "backprop/tensor"

// Div returns a / b element-wise, broadcasting as in NumPy.
//
//	forward:  y = a / b
//	backward: ∂L/∂a = ∂L/∂y / b,  ∂L/∂b = −∂L/∂y ⊙ y / b   (uses the saved output)
func Div(a, b *Var) *Var { return Apply(divGates.get(), a, b) }

type divGate struct{ b, y *tensor.Tensor }

func (g *divGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.b = in[1]
	g.y = tensor.Div(in[0], in[1])
	return g.y
}

func (g *divGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	var da, db *tensor.Tensor
	if need[0] {
		da = tensor.Div(dout, g.b)
	}
	if need[1] {
		db = tensor.Mul(dout, g.y)
		tensor.DivTo(db, db, g.b)
		tensor.NegTo(db, db)
	}
	return []*tensor.Tensor{da, db}
}

var divGates gatePool[divGate]
