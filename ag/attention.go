package ag

import (
	"fmt"
	"math"
	"math/rand/v2"

	"backprop/tensor"
)

// AttentionOptions configures Attention.
type AttentionOptions struct {
	// Mask hides keys from queries: a causal mask, a key padding mask,
	// or both (see tensor.AttentionMask). With fewer queries than keys
	// the causal mask is aligned bottom-right, the queries being the
	// last positions (PyTorch's causal_lower_right), not top-left as
	// scaled_dot_product_attention(is_causal=True) aligns it.
	Mask tensor.AttentionMask
	// Dropout is the probability of zeroing each attention weight, the
	// survivors scaled by 1/(1 − Dropout) as nn.Dropout does; 0 turns it
	// off. Layers pass it in training mode only.
	Dropout float64
	// Rand draws the dropout mask, one Float64 per weight in row-major
	// order of [N, H, Tq, Tk]; it must be set when Dropout > 0.
	Rand *rand.Rand
	// Scale multiplies the scores; 0 means 1/√d.
	Scale float64
	// ShardOffset and ShardTotal, when ShardTotal > 0, say that the
	// batch is the rows [ShardOffset, ShardOffset+N) of a batch of
	// ShardTotal rows split across processes: the dropout mask is drawn
	// for the whole batch, in its order, and this shard's rows are kept,
	// so that every process draws what one process would (see
	// nn.Sharder).
	ShardOffset, ShardTotal int
}

// Attention returns scaled dot-product attention as one fused gate: q is
// [N, H, Tq, d] (batch, heads, query positions, head width), k is
// [N, H, Tk, d] and v is [N, H, Tk, dv]; the result is [N, H, Tq, dv].
// The layout keeps every (batch, head) pair's matrices contiguous, so
// that the products are batched GEMMs with transpose flags and no copies.
// With M the mask (−∞ where a key is hidden), D the dropout mask and
// s the scale (1/√d unless o.Scale says otherwise):
//
//	forward:  S = s·Q·Kᵀ + M,  P = softmax(S) per row,  P′ = P ⊙ D,  Y = P′·V
//	backward: ∂L/∂V = P′ᵀ·∂L/∂Y,  ∂L/∂P = (∂L/∂Y·Vᵀ) ⊙ D,
//	          ∂L/∂S = P ⊙ (∂L/∂P − Σⱼ ∂L/∂Pⱼ·Pⱼ)   (a dot product per row),
//	          ∂L/∂Q = s·∂L/∂S·K,  ∂L/∂K = s·(∂L/∂S)ᵀ·Q
//
// The gate saves the weights P (and P′ and D under dropout) for its
// backward pass rather than recomputing them. It computes what
// MatMul(Softmax(Add(Mul(MatMulT(q, k, false, true), s), M), -1), v)
// computes, with one node instead of five and the masked keys of a
// causal row skipped. A row whose keys are all hidden gives NaN, as in
// PyTorch.
//
//go:noinline
func Attention(q, k, v *Var, o AttentionOptions) *Var {
	if o.Dropout < 0 || o.Dropout >= 1 || o.Dropout > 0 && o.Rand == nil {
		panic(fmt.Sprintf("ag: Attention: dropout %v (want [0, 1), with a Rand when positive)", o.Dropout))
	}
	return Apply(&attentionGate{o: o}, q, k, v)
}

type attentionGate struct {
	o            AttentionOptions
	scale        float64
	q, k, v      *tensor.Tensor
	p, pd, dmask *tensor.Tensor // weights, after dropout, dropout mask
	grads3
}

func (g *attentionGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	q, k, v := in[0], in[1], in[2]
	if q.Dims() != 4 || k.Dims() != 4 || v.Dims() != 4 ||
		k.Dim(0) != q.Dim(0) || v.Dim(0) != q.Dim(0) || k.Dim(1) != q.Dim(1) || v.Dim(1) != q.Dim(1) ||
		k.Dim(3) != q.Dim(3) || v.Dim(2) != k.Dim(2) {
		panic(&tensor.Error{Op: "Attention", Msg: fmt.Sprintf("q %v, k %v, v %v: want [N H Tq d], [N H Tk d], [N H Tk dv]",
			q.Shape(), k.Shape(), v.Shape())})
	}
	g.q, g.k, g.v = q, k, v
	g.scale = g.o.Scale
	if g.scale == 0 {
		g.scale = 1 / math.Sqrt(float64(q.Dim(3)))
	}
	s := tensor.MatMul(q, k, false, true)
	g.p = tensor.MaskedSoftmaxTo(s, s, g.scale, g.o.Mask)
	g.pd = g.p
	if g.o.Dropout > 0 {
		g.dmask = tensor.NewLike(s, s.Shape()...)
		keep := 1 / (1 - g.o.Dropout)
		per := g.dmask.Len() / max(q.Dim(0), 1) // the weights of one batch row
		lo, total := 0, q.Dim(0)
		if g.o.ShardTotal > 0 {
			if g.o.ShardOffset < 0 || g.o.ShardOffset+q.Dim(0) > g.o.ShardTotal {
				panic(&tensor.Error{Op: "Attention", Msg: fmt.Sprintf("q %v: rows from %d of a batch of %d", q.Shape(), g.o.ShardOffset, g.o.ShardTotal)})
			}
			lo, total = g.o.ShardOffset*per, g.o.ShardTotal
		}
		hi := lo + g.dmask.Len()
		for i := 0; i < total*per; i++ {
			if g.o.Rand.Float64() >= g.o.Dropout && i >= lo && i < hi {
				if s.DType() == tensor.Float32 {
					g.dmask.Float32s()[i-lo] = float32(keep)
				} else {
					g.dmask.Float64s()[i-lo] = keep
				}
			}
		}
		g.pd = tensor.Mul(g.p, g.dmask)
	}
	return tensor.MatMul(g.pd, v, false, false)
}

func (g *attentionGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	var dq, dk, dv *tensor.Tensor
	if need[2] {
		dv = tensor.MatMul(g.pd, dy, true, false)
	}
	if need[0] || need[1] {
		dp := tensor.MatMul(dy, g.v, false, true)
		if g.dmask != nil {
			tensor.MulTo(dp, dp, g.dmask)
		}
		ds := tensor.SoftmaxBackwardTo(dp, g.p, dp, g.scale)
		if need[0] {
			dq = tensor.MatMul(ds, g.k, false, false)
		}
		if need[1] {
			dk = tensor.MatMul(ds, g.q, true, false)
		}
	}
	return g.grads(dq, dk, dv)
}

func (*attentionGate) Info() Info {
	return Info{"attention", "attn", "attention: matmul swaps around a per-row softmax backward, from the saved weights"}
}
