package ag

import (
	"slices"

	"backprop/tensor"
)

// BiasReLU returns max(x + b, 0), where the bias b is a row broadcast over
// the rows of x (b has x's last size), as one fused gate: the bias add and
// activation of a hidden layer in one pass.
//
//	forward:  y = max(x + b, 0)
//	backward: ∂L/∂x = ∂L/∂y where y > 0, else 0   (max routes the gradient)
//	          ∂L/∂b = Σ_rows ∂L/∂x                 (add distributes it; the
//	                                                column sum is the gate's)
func BiasReLU(x, b *Var) *Var { return Apply(biasReLUGates.get(), x, b) }

type biasReLUGate struct {
	y     *tensor.Tensor
	bias  []int // the shape of b
	grads [2]*tensor.Tensor
}

func (g *biasReLUGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.bias = in[1].Shape()
	g.y = tensor.BiasReLU(in[0], in[1])
	return g.y
}

func (g *biasReLUGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return slices.Clone(g.backwardAcc(dout, need, nil))
}

func (g *biasReLUGate) backwardAcc(dout *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	gr := g.grads[:]
	dx := tensor.ReLUBackward(g.y, dout)
	gr[0], gr[1] = nil, nil
	if need[1] {
		if acc != nil && acc[1] != nil {
			gr[1] = tensor.SumRowsAddTo(acc[1], dx)
		} else {
			gr[1] = tensor.ReduceTo(tensor.New(dout.DType(), g.bias...), dx)
		}
	}
	if need[0] {
		gr[0] = dx
	}
	return gr
}

var biasReLUGates gatePool[biasReLUGate]
