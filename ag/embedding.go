package ag

import (
	"fmt"
	"math"
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

// NoPadding tells EmbeddingOf that no row is the padding row.
const NoPadding = math.MinInt

// EmbeddingOf is Embedding for indices held in a Var, as a batch of
// symbols arrives from data: ids, of any shape ([N, T] for sequences),
// holds integral values in [0, V), and the output has ids' shape followed
// by D. The output belongs to ids' graph — its memory, its flags, NoGrad
// included — even where the weight is a parameter of no graph, as a
// model's are: the layers after it compute in that graph too. padding is
// EmbeddingPadded's (negative counts from the end), or NoPadding. ids
// gets no gradient (an index has none).
//
//	forward:  y[p, :] = W[ids[p], :]
//	backward: ∂L/∂W[v, :] = Σ over p with ids[p] = v ≠ padding of ∂L/∂y[p, :]
//
// A value of ids that is not an index is a programming error and panics,
// naming it and its position.
//
//go:noinline
func EmbeddingOf(weight, ids *Var, padding int) *Var {
	g := &embeddingGate{pad: -1}
	if padding != NoPadding {
		g.pad, g.padded = padding, true
	}
	return Apply(g, weight, ids)
}

type embeddingGate struct {
	idx    []int
	shape  []int
	pad    int  // the row that gets no gradient, −1 for none
	padded bool // pad is EmbeddingPadded's argument, which Forward checks and makes non-negative
	v      int
	grads2
}

func (g *embeddingGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	w := in[0]
	if w.Dims() != 2 {
		panic(fmt.Sprintf("ag: Embedding: weight %v: want [V D]", w.Shape()))
	}
	g.v = w.Dim(0)
	var ids *tensor.Tensor
	if len(in) == 2 {
		ids = in[1]
		g.shape = ids.Shape()
		g.idx = make([]int, ids.Len())
		for p := range g.idx {
			v := ids.Flat(p)
			if v != math.Trunc(v) || v < 0 || v >= float64(g.v) {
				panic(fmt.Sprintf("ag: Embedding: id %v at position %d of %v is not an index in [0,%d) of weight %v", v, p, ids.Shape(), g.v, w.Shape()))
			}
			g.idx[p] = int(v)
		}
	}
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
	var dst *tensor.Tensor
	if ids != nil {
		dst = ids.Arena().New(w.DType(), out...) // where the step's data lives
	} else {
		dst = tensor.NewLike(w, out...)
	}
	return tensor.EmbeddingTo(dst, w, g.idx)
}

func (g *embeddingGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.backwardAcc(dy, need, nil)
}

// backwardAcc adds the rows into the weight's gradient buffer when the
// engine offers it (see accGate): only the rows looked up are touched.
func (g *embeddingGate) backwardAcc(dy *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	if !need[0] {
		return g.grads(nil, nil)[:len(need)]
	}
	var dw *tensor.Tensor
	if acc != nil && acc[0] != nil {
		dw = acc[0]
	} else {
		dw = tensor.NewLike(dy, g.v, dy.Dim(dy.Dims()-1))
	}
	return g.grads(tensor.EmbeddingAddTo(dw, dy, g.idx, g.pad), nil)[:len(need)]
}

func (*embeddingGate) Info() Info {
	return Info{"embedding", "embed", "lookup routes: each looked-up row gets its positions' gradients added (a sparse scatter-add)"}
}
