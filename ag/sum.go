package ag

import (
	"slices"

	"backprop/tensor"
)

// Sum returns the sum of x over axes (every element when none are given),
// keeping the reduced axes as size 1 if keepdims.
//
//	forward:  y = Σ x over the axes
//	backward: ∂L/∂x = ∂L/∂y broadcast back along the reduced axes
//	          (every input contributed with local gradient 1: sum distributes)
func Sum(x *Var, keepdims bool, axes ...int) *Var {
	return Apply(sumGates.with(sumGate{keepdims: keepdims, axes: axes}), x)
}

type sumGate struct {
	keepdims bool
	axes     []int
	shape    []int
	gr       [1]*tensor.Tensor
}

func (g *sumGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.shape = in[0].Shape()
	return tensor.Sum(in[0], g.keepdims, g.axes...)
}

func (g *sumGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return slices.Clone(g.backwardAcc(dout, need, nil))
}

func (g *sumGate) backwardAcc(dout *tensor.Tensor, need []bool, _ []*tensor.Tensor) []*tensor.Tensor {
	g.gr = [1]*tensor.Tensor{expandReduced(dout, g.shape, g.axes)}
	return g.gr[:]
}

// expandReduced broadcasts the gradient of a reduction over axes back to
// the input's shape.
func expandReduced(dout *tensor.Tensor, shape []int, axes []int) *tensor.Tensor {
	keep := tensor.ReducedShape(shape, true, axes...)
	return tensor.BroadcastTo(tensor.New(dout.DType(), shape...), dout.Reshape(keep...))
}

var sumGates gatePool[sumGate]
