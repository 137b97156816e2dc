package ag

import (
	"slices"

	"backprop/tensor"
)

// Mul returns a ⊙ b element-wise, broadcasting as in NumPy.
//
//	forward:  y = a ⊙ b
//	backward: ∂L/∂a = ∂L/∂y ⊙ b,  ∂L/∂b = ∂L/∂y ⊙ a   (mul swaps its inputs)
func Mul(a, b *Var) *Var { return Apply(mulGates.get(), a, b) }

type mulGate struct {
	a, b *tensor.Tensor
	gr   [2]*tensor.Tensor
}

func (g *mulGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.a, g.b = in[0], in[1]
	return tensor.Mul(in[0], in[1])
}

func (g *mulGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return slices.Clone(g.backwardAcc(dout, need, nil))
}

func (g *mulGate) backwardAcc(dout *tensor.Tensor, need []bool, _ []*tensor.Tensor) []*tensor.Tensor {
	var da, db *tensor.Tensor
	if need[0] {
		da = tensor.Mul(dout, g.b)
	}
	if need[1] {
		db = tensor.Mul(dout, g.a)
	}
	g.gr = [2]*tensor.Tensor{da, db}
	return g.gr[:]
}

var mulGates gatePool[mulGate]
