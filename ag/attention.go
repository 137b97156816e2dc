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
	g.pd, g.dmask = g.p, g.o.dropoutMask(s, q.Dim(0))
	if g.dmask != nil {
		g.pd = tensor.Mul(g.p, g.dmask)
	}
	return tensor.MatMul(g.pd, v, false, false)
}

// dropoutMask returns the dropout mask of the attention weights s, [N, H,
// Tq, Tk] for a batch of n rows (nil without dropout): 1/(1 − Dropout)
// where a weight is kept, 0 where it is dropped, drawn from o.Rand in
// row-major order over the whole batch of ShardTotal rows when sharded.
func (o *AttentionOptions) dropoutMask(s *tensor.Tensor, n int) *tensor.Tensor {
	if o.Dropout <= 0 {
		return nil
	}
	dmask := tensor.NewLike(s, s.Shape()...)
	keep := 1 / (1 - o.Dropout)
	per := dmask.Len() / max(n, 1) // the weights of one batch row
	lo, total := 0, n
	if o.ShardTotal > 0 {
		if o.ShardOffset < 0 || o.ShardOffset+n > o.ShardTotal {
			panic(&tensor.Error{Op: "Attention", Msg: fmt.Sprintf("%d rows from %d of a batch of %d", n, o.ShardOffset, o.ShardTotal)})
		}
		lo, total = o.ShardOffset*per, o.ShardTotal
	}
	hi := lo + dmask.Len()
	for i := 0; i < total*per; i++ {
		if o.Rand.Float64() >= o.Dropout && i >= lo && i < hi {
			if s.DType() == tensor.Float32 {
				dmask.Float32s()[i-lo] = float32(keep)
			} else {
				dmask.Float64s()[i-lo] = keep
			}
		}
	}
	return dmask
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

// AttentionQKV returns multi-head self-attention on a stacked projection,
// as one fused gate: qkv is [N, T, 3E], the queries, keys and values of
// every position side by side (the output of one linear layer with
// PyTorch's in_proj_weight [3E, E]), each of the three E = heads·d
// columns wide with the heads side by side; the result is [N, T, E], the
// heads' outputs side by side again, ready for the output projection.
// It computes what
//
//	Permute(Attention(q, k, v, o), 0, 2, 1, 3)
//
// computes with q, k and v the three thirds of qkv reshaped to [N, T,
// heads, d] and permuted to [N, heads, T, d] (see Attention for the
// arithmetic and the options), but its products read each head's
// columns where the projection wrote them and write the output's columns
// where the next projection reads them (tensor.HeadMatMulTo), so that no
// heads are permuted forward or backward, and the gradient of qkv is one
// tensor rather than three to add.
//
//go:noinline
func AttentionQKV(qkv *Var, heads int, o AttentionOptions) *Var {
	if o.Dropout < 0 || o.Dropout >= 1 || (o.Dropout > 0 && o.Rand == nil) {
		panic(fmt.Sprintf("ag: AttentionQKV: dropout %v (want [0, 1), with a Rand when positive)", o.Dropout))
	}
	return Apply(&attentionQKVGate{o: o, heads: heads}, qkv)
}

type attentionQKVGate struct {
	o            AttentionOptions
	heads, e     int
	scale        float64
	x            *tensor.Tensor
	p, pd, dmask *tensor.Tensor
	grads1
}

// qkv returns the query, key and value operands of x.
func (g *attentionQKVGate) qkv(x *tensor.Tensor) (q, k, v tensor.HeadOperand) {
	d := g.e / g.heads
	return tensor.Heads(x, 0, d), tensor.Heads(x, g.e, d), tensor.Heads(x, 2*g.e, d)
}

func (g *attentionQKVGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	x := in[0]
	if x.Dims() != 3 || g.heads < 1 || x.Dim(2)%(3*g.heads) != 0 {
		panic(&tensor.Error{Op: "AttentionQKV", Msg: fmt.Sprintf("qkv %v with %d heads: want [N T 3E], E a multiple of the heads", x.Shape(), g.heads)})
	}
	n, t := x.Dim(0), x.Dim(1)
	g.x, g.e = x, x.Dim(2)/3
	d := g.e / g.heads
	g.scale = g.o.Scale
	if g.scale == 0 {
		g.scale = 1 / math.Sqrt(float64(d))
	}
	q, k, v := g.qkv(x)
	s := tensor.HeadMatMul(q, k, g.heads, false, true)
	g.p = tensor.MaskedSoftmaxTo(s, s, g.scale, g.o.Mask)
	g.pd, g.dmask = g.p, g.o.dropoutMask(s, n)
	if g.dmask != nil {
		g.pd = tensor.Mul(g.p, g.dmask)
	}
	y := tensor.EmptyLike(x, n, t, g.e)
	tensor.HeadMatMulTo(tensor.Heads(y, 0, d), tensor.Stacked(g.pd), v, g.heads, false, false)
	return y
}

func (g *attentionQKVGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	if !need[0] {
		return g.grads(nil)
	}
	x := g.x
	d := g.e / g.heads
	q, k, v := g.qkv(x)
	dyh := tensor.Heads(dy, 0, d)
	dx := tensor.EmptyLike(x, x.Shape()...)
	dq, dk, dv := g.qkv(dx)
	tensor.HeadMatMulTo(dv, tensor.Stacked(g.pd), dyh, g.heads, true, false)
	dp := tensor.HeadMatMul(dyh, v, g.heads, false, true)
	if g.dmask != nil {
		tensor.MulTo(dp, dp, g.dmask)
	}
	ds := tensor.Stacked(tensor.SoftmaxBackwardTo(dp, g.p, dp, g.scale))
	tensor.HeadMatMulTo(dq, ds, k, g.heads, false, false)
	tensor.HeadMatMulTo(dk, ds, q, g.heads, true, false)
	return g.grads(dx)
}

func (*attentionQKVGate) Info() Info {
	return Info{"attention", "attn", "attention on a stacked projection: matmul swaps around a per-row softmax backward, heads read in place"}
}
