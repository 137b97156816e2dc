package ag

import (
	"slices"

	"backprop/tensor"
)

// ReLU returns max(x, 0) element-wise.
//
//	forward:  y = max(x, 0)
//	backward: ∂L/∂x = ∂L/∂y where y > 0, else 0   (max routes the gradient)
func ReLU(x *Var) *Var { return Apply(reluGates.get(), x) }

type reluGate struct {
	y  *tensor.Tensor
	gr [1]*tensor.Tensor
}

func (g *reluGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.y = tensor.ReLU(in[0])
	return g.y
}

func (g *reluGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return slices.Clone(g.backwardAcc(dout, need, nil))
}

func (g *reluGate) backwardAcc(dout *tensor.Tensor, need []bool, _ []*tensor.Tensor) []*tensor.Tensor {
	g.gr = [1]*tensor.Tensor{tensor.ReLUBackward(g.y, dout)}
	return g.gr[:]
}

var reluGates gatePool[reluGate]
