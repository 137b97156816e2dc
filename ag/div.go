package ag

import "backprop/tensor"

// Div returns a / b element-wise, broadcasting as in NumPy.
//
//	forward:  y = a / b
//	backward: ∂L/∂a = ∂L/∂y / b,  ∂L/∂b = −∂L/∂y ⊙ y / b   (uses the saved output)
//
//go:noinline
func Div(a, b *Var) *Var { return Apply(&divGate{}, a, b) }

type divGate struct {
	b, y *tensor.Tensor
	grads2
}

func (g *divGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.b = in[1]
	g.y = tensor.Div(in[0], in[1])
	return g.y
}

func (g *divGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	var da, db *tensor.Tensor
	if need[0] {
		da = tensor.Div(dy, g.b)
	}
	if need[1] {
		db = tensor.Mul(dy, g.y)
		tensor.DivTo(db, db, g.b)
		tensor.NegTo(db, db)
	}
	return g.grads(da, db)
}

func (*divGate) Info() Info { return Info{"div", "/", "div: ∂/∂a = 1/b, ∂/∂b = −a/b²"} }
