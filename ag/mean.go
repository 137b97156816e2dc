package ag

import (
	"slices"

	"backprop/tensor"
)

// Mean returns the mean of x over axes (every element when none are
// given), keeping the reduced axes as size 1 if keepdims.
//
//	forward:  y = (1/n) Σ x over the axes, n elements per output
//	backward: ∂L/∂x = ∂L/∂y / n broadcast back along the reduced axes
func Mean(x *Var, keepdims bool, axes ...int) *Var {
	return Apply(meanGates.with(meanGate{keepdims: keepdims, axes: axes}), x)
}

type meanGate struct {
	keepdims bool
	axes     []int
	shape    []int
	scale    float64
	gr       [1]*tensor.Tensor
}

func (g *meanGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.shape = in[0].Shape()
	y := tensor.Mean(in[0], g.keepdims, g.axes...)
	if in[0].Len() > 0 {
		g.scale = float64(y.Len()) / float64(in[0].Len())
	}
	return y
}

func (g *meanGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return slices.Clone(g.backwardAcc(dout, need, nil))
}

func (g *meanGate) backwardAcc(dout *tensor.Tensor, need []bool, _ []*tensor.Tensor) []*tensor.Tensor {
	dx := expandReduced(dout, g.shape, g.axes)
	g.gr = [1]*tensor.Tensor{tensor.ScaleTo(dx, dx, g.scale)}
	return g.gr[:]
}

var meanGates gatePool[meanGate]
