package ag

import (
	"fmt"
	"slices"

	"backprop/tensor"
)

// Embedding looks up rows of the table weight, of shape [V, D], at the
// integer indices idx, as PyTorch's nn.Embedding: shape is the indices'
// shape (its sizes multiply to len(idx); none means [len(idx)]), and the
// output has shape shape followed by D, so that indices [N, T] give
// vectors [N, T, D].
//
//	forward:  y[p, :] = W[idx[p], :]   for every position p
//	backward: ∂L/∂W[v, :] = Σ over p with idx[p] = v of ∂L/∂y[p, :]
//	          (a sparse scatter-add of the upstream rows; rows no index
//	          names get nothing, and no one-hot matrix is formed)
//
// An index outside [0, V), or a shape that does not hold len(idx)
// elements, is a programming error and panics. The gate keeps idx for its
// backward pass: it must not change before Backward. The gate adds its
// gradient straight into a weight's gradient buffer (see accGate).
//
//go:noinline
func Embedding(weight *Var, idx []int, shape ...int) *Var {
	return Apply(&embeddingGate{idx: idx, shape: shape, pad: -1}, weight)
}

// EmbeddingPadded is Embedding with PyTorch's padding_idx: positions whose
// index is padding still look up its row, but send it no gradient, so the
// row keeps its value (nn.Embedding starts it at zero). A negative padding
// counts from the end, as in PyTorch (−1 is row V − 1); it must name a row.
//
//	forward:  y[p, :] = W[idx[p], :]
//	backward: ∂L/∂W[v, :] = Σ over p with idx[p] = v ≠ padding of ∂L/∂y[p, :]
//
//go:noinline
func EmbeddingPadded(weight *Var, idx []int, padding int, shape ...int) *Var {
	return Apply(&embeddingGate{idx: idx, shape: shape, pad: padding, padded: true}, weight)
}

type embeddingGate struct {
	idx    []int
	shape  []int
	pad    int  // the row that gets no gradient, −1 for none
	padded bool // pad is EmbeddingPadded's argument, which Forward checks and makes non-negative
	v      int
	grads1
}

func (g *embeddingGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	w := in[0]
	if w.Dims() != 2 {
		panic(fmt.Sprintf("ag: Embedding: weight %v: want [V D]", w.Shape()))
	}
	g.v = w.Dim(0)
	n := 1
	for _, d := range g.shape {
		n *= d
		if d < 0 {
			n = -1
			break
		}
	}
	if len(g.shape) == 0 {
		n = len(g.idx)
	}
	if n != len(g.idx) {
		panic(fmt.Sprintf("ag: Embedding: %d indices in shape %v, weight %v", len(g.idx), g.shape, w.Shape()))
	}
	for p, ix := range g.idx {
		if ix < 0 || ix >= g.v {
			panic(fmt.Sprintf("ag: Embedding: index %d at position %d out of range [0,%d) of weight %v", ix, p, g.v, w.Shape()))
		}
	}
	if g.padded {
		p := g.pad
		if p < 0 {
			p += g.v
		}
		if p < 0 || p >= g.v {
			panic(fmt.Sprintf("ag: Embedding: padding index %d out of range [−%d,%d) of weight %v", g.pad, g.v, g.v, w.Shape()))
		}
		g.pad, g.padded = p, false
	}
	var out []int
	if len(g.shape) == 0 {
		out = []int{len(g.idx), w.Dim(1)}
	} else {
		out = append(slices.Clip(g.shape), w.Dim(1))
	}
	return tensor.EmbeddingTo(tensor.NewLike(w, out...), w, g.idx)
}

func (g *embeddingGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.backwardAcc(dy, need, nil)
}

// backwardAcc adds the rows into the weight's gradient buffer when the
// engine offers it (see accGate): only the rows looked up are touched.
func (g *embeddingGate) backwardAcc(dy *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	if !need[0] {
		return g.grads(nil)
	}
	var dw *tensor.Tensor
	if acc != nil && acc[0] != nil {
		dw = acc[0]
	} else {
		dw = tensor.NewLike(dy, g.v, dy.Dim(dy.Dims()-1))
	}
	return g.grads(tensor.EmbeddingAddTo(dw, dy, g.idx, g.pad))
}

func (*embeddingGate) Info() Info {
	return Info{"embedding", "embed", "lookup routes: each looked-up row gets its positions' gradients added (a sparse scatter-add)"}
}
