package nn

import (
	"fmt"

	"backprop/ag"
	"backprop/tensor"
)

// Maxout returns the maximum over groups of k consecutive elements of the
// last axis of x: an input [N, k·M] gives [N, M]. After a Linear layer of
// width k·M it is Goodfellow's maxout unit max(w₁ᵀx + b₁, …, w_kᵀx + b_k),
// which generalizes ReLU (k = 2 with one piece fixed at 0) without dead
// units.
//
//	forward:  yᵢⱼ = max_{0≤p<k} xᵢ,ⱼₖ₊ₚ
//	backward: ∂L/∂x goes to the argmax of each group, 0 elsewhere
//	          (max routes the gradient; ties go to the first; a NaN in a
//	          group is its maximum, so it is never hidden)
//
//go:noinline
func Maxout(x *ag.Var, k int) *ag.Var { return ag.Apply(&maxoutGate{k: k}, x) }

type maxoutGate struct {
	k       int
	inShape []int
	arg     []int // flat input index of each output's maximum
}

func (g *maxoutGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	x := in[0]
	if g.k <= 0 || x.Dims() == 0 || x.Dim(-1)%g.k != 0 {
		panic(&tensor.Error{Op: "nn.Maxout", Msg: fmt.Sprintf("shape %v with k=%d: the last axis must be a multiple of k", x.Shape(), g.k)})
	}
	g.inShape = x.Shape()
	outShape := append([]int(nil), x.Shape()...)
	outShape[len(outShape)-1] /= g.k
	y := tensor.NewLike(x, outShape...)
	g.arg = make([]int, y.Len())
	for o := range g.arg {
		base := o * g.k
		best, bi := x.Flat(base), base
		for p := 1; p < g.k; p++ {
			if v := x.Flat(base + p); v > best || (v != v && best == best) { // NaN wins, as in max
				best, bi = v, base+p
			}
		}
		y.SetFlat(o, best)
		g.arg[o] = bi
	}
	return y
}

func (g *maxoutGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.NewLike(dout, g.inShape...)
	for o, i := range g.arg {
		dx.SetFlat(i, dout.Flat(o))
	}
	return []*tensor.Tensor{dx}
}
