package ag

import "backprop/tensor"

// IndexSelect returns the slices of x at the given indices along axis, in
// order; indices may repeat (an embedding lookup is IndexSelect on axis 0).
//
//	forward:  y[…, j, …] = x[…, idx[j], …]
//	backward: ∂L/∂x[…, i, …] = Σ over j with idx[j] = i of ∂L/∂y[…, j, …]
//	          (a scatter-add: a row picked twice gets both gradients)
//
//go:noinline
func IndexSelect(x *Var, axis int, idx []int) *Var {
	return Apply(&indexSelectGate{axis: axis, idx: idx}, x)
}

type indexSelectGate struct {
	axis    int
	idx     []int
	inShape []int
	grads1
}

func (g *indexSelectGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.inShape = in[0].Shape()
	return tensor.IndexSelect(in[0], g.axis, g.idx)
}

func (g *indexSelectGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.NewLike(dy, g.inShape...)
	return g.grads(tensor.IndexAdd(dx, g.axis, g.idx, dy))
}

func (*indexSelectGate) Info() Info {
	return Info{"indexSelect", "select", "select routes: each picked row gets its gradients added (a scatter-add)"}
}
