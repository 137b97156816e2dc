package ag

import "backprop/tensor"

// Where returns a where cond ≠ 0 and b elsewhere, broadcasting all three.
// cond is typically a comparison such as Greater(x, y); it gets no
// gradient.
//
//	forward:  y = cond ? a : b
//	backward: ∂L/∂a = ∂L/∂y where cond, else 0;  ∂L/∂b = ∂L/∂y where not cond
//	          (the condition routes the gradient)
//
//go:noinline
func Where(cond, a, b *Var) *Var { return Apply(&whereGate{}, cond, a, b) }

type whereGate struct {
	cond *tensor.Tensor
	grads3
}

func (g *whereGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.cond = in[0]
	return tensor.Where(in[0], in[1], in[2])
}

func (g *whereGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	var da, db *tensor.Tensor
	zero := tensor.ScalarLike(dy, 0)
	if need[1] {
		da = tensor.Where(g.cond, dy, zero)
	}
	if need[2] {
		db = tensor.Where(g.cond, zero, dy)
	}
	return g.grads(nil, da, db)
}

func (*whereGate) Info() Info {
	return Info{"where", "where", "where routes: the gradient goes to a where the condition holds, to b elsewhere"}
}
