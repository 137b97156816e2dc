package ag

import "backprop/tensor"

// Pick returns x[i, idx[i]] for every row i of a 2-d x: one element per
// row, such as each example's score for its class label.
//
//	forward:  yᵢ = x[i, idx[i]]
//	backward: ∂L/∂x[i, idx[i]] = ∂L/∂yᵢ, 0 elsewhere   (routes like max)
//
//go:noinline
func Pick(x *Var, idx []int) *Var { return Apply(&pickGate{idx: idx}, x) }

type pickGate struct {
	idx     []int
	inShape []int
	grads1
}

func (g *pickGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.inShape = in[0].Shape()
	return tensor.Pick(in[0], g.idx)
}

func (g *pickGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.NewLike(dy, g.inShape...)
	c := g.inShape[1]
	for i, ix := range g.idx {
		dx.SetFlat(i*c+ix, dy.Flat(i))
	}
	return g.grads(dx)
}

func (*pickGate) Info() Info {
	return Info{"pick", "pick", "pick routes: each row's picked element gets the gradient, the others 0"}
}
