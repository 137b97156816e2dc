package ag

import "backprop/tensor"

// Pick returns x[i, idx[i]] for every row i of a 2-d x: one element per
// row, such as each example's score for its class label.
//
//	forward:  yᵢ = x[i, idx[i]]
//	backward: ∂L/∂x[i, idx[i]] = ∂L/∂yᵢ, 0 elsewhere   (routes like max)
func Pick(x *Var, idx []int) *Var { return Apply(pickGates.with(pickGate{idx: idx}), x) }

type pickGate struct {
	idx     []int
	inShape []int
}

func (g *pickGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.inShape = in[0].Shape()
	return tensor.Pick(in[0], g.idx)
}

func (g *pickGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.New(dout.DType(), g.inShape...)
	c := g.inShape[1]
	for i, ix := range g.idx {
		dx.SetFlat(i*c+ix, dout.Flat(i))
	}
	return []*tensor.Tensor{dx}
}

var pickGates gatePool[pickGate]
