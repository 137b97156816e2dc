package ag

import "backprop/tensor"

// Where returns a where cond ≠ 0 and b elsewhere, broadcasting all three.
// cond is typically a comparison such as Greater(x, y); it gets no
// gradient.
//
//	forward:  y = cond ? a : b
//	backward: ∂L/∂a = ∂L/∂y where cond, else 0;  ∂L/∂b = ∂L/∂y where not cond
//	          (the condition routes the gradient)
func Where(cond, a, b *Var) *Var { return Apply(whereGates.get(), cond, a, b) }

type whereGate struct{ cond *tensor.Tensor }

func (g *whereGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.cond = in[0]
	return tensor.Where(in[0], in[1], in[2])
}

func (g *whereGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	var da, db *tensor.Tensor
	zero := tensor.Scalar(dout.DType(), 0)
	if need[1] {
		da = tensor.Where(g.cond, dout, zero)
	}
	if need[2] {
		db = tensor.Where(g.cond, zero, dout)
	}
	return []*tensor.Tensor{nil, da, db}
}

var whereGates gatePool[whereGate]
