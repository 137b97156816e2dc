package ag

import (
	"slices"

	"backprop/tensor"
)

// Add returns a + b element-wise, broadcasting as in NumPy.
//
//	forward:  y = a + b
//	backward: ∂L/∂a = ∂L/∂y,  ∂L/∂b = ∂L/∂y   (add distributes the gradient)
func Add(a, b *Var) *Var { return Apply(addGates.get(), a, b) }

type addGate struct{ gr [2]*tensor.Tensor }

func (g *addGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	return tensor.Add(in[0], in[1])
}

func (g *addGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return slices.Clone(g.backwardAcc(dout, need, nil))
}

func (g *addGate) backwardAcc(dout *tensor.Tensor, need []bool, _ []*tensor.Tensor) []*tensor.Tensor {
	g.gr = [2]*tensor.Tensor{dout, dout}
	return g.gr[:]
}

var addGates gatePool[addGate]
