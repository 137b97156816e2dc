package ag

import (
	"slices"

	"backprop/tensor"
)

// Sub returns a − b element-wise, broadcasting as in NumPy.
//
//	forward:  y = a − b
//	backward: ∂L/∂a = ∂L/∂y,  ∂L/∂b = −∂L/∂y
func Sub(a, b *Var) *Var { return Apply(subGates.get(), a, b) }

type subGate struct{ gr [2]*tensor.Tensor }

func (g *subGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	return tensor.Sub(in[0], in[1])
}

func (g *subGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return slices.Clone(g.backwardAcc(dout, need, nil))
}

func (g *subGate) backwardAcc(dout *tensor.Tensor, need []bool, _ []*tensor.Tensor) []*tensor.Tensor {
	var db *tensor.Tensor
	if need[1] {
		db = tensor.Neg(dout)
	}
	g.gr = [2]*tensor.Tensor{dout, db}
	return g.gr[:]
}

var subGates gatePool[subGate]
