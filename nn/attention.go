package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"backprop/ag"
	"backprop/tensor"
)

// MultiheadAttention is PyTorch's nn.MultiheadAttention with
// batch_first=True for self-attention: inputs [N, T, E], Heads heads of
// width E/Heads, and PyTorch's parameters and names, so that a
// state_dict carries over unchanged:
//
//	in_proj_weight   [3E, E]   the query, key and value projections, stacked
//	in_proj_bias     [3E]
//	out_proj.weight  [E, E]
//	out_proj.bias    [E]
//
// With X the input, Wq, Wk, Wv the thirds of in_proj_weight (bq, bk, bv
// of the bias) and d = E/Heads:
//
//	Q = X·Wqᵀ + bq,  K = X·Wkᵀ + bk,  V = X·Wvᵀ + bv     (split into heads)
//	headᵢ = softmax(Qᵢ·Kᵢᵀ/√d + M)·Vᵢ                     (ag.AttentionQKV)
//	Y = [head₁ … head_h]·Woᵀ + bo                          (out_proj)
//
// Forward computes Q, K and V with one GEMM over the stacked weight and
// the heads with ag.AttentionQKV, which reads each head's columns where
// that GEMM wrote them and writes its output where out_proj reads it.
//
// M is the causal mask when Causal is set (PyTorch's attn_mask of −∞
// above the diagonal) and, through ForwardMask, a key padding mask.
// Dropout zeroes attention weights in training mode, drawn from Rand.
type MultiheadAttention struct {
	Embed, Heads int
	InProjWeight *ag.Var // [3E, E]
	InProjBias   *ag.Var // [3E]
	OutProj      *Linear // [E, E] and [E]
	Causal       bool
	Dropout      float64
	Rand         *rand.Rand
	eval         bool

	offset, total int // the rows of a larger batch (see SetShard)
}

// NewMultiheadAttention returns a Float32 self-attention of width embed
// and the given number of heads, which must divide it, initialised as
// PyTorch 1.13 does: Xavier uniform on in_proj_weight (fans E and 3E),
// zero biases, and out_proj.weight as an nn.Linear's default,
// U(−1/√E, 1/√E). Its weights are drawn from rng, in that order.
func NewMultiheadAttention(rng *rand.Rand, embed, heads int, causal bool, dropout float64) *MultiheadAttention {
	if embed <= 0 || heads <= 0 || embed%heads != 0 {
		panic(fmt.Sprintf("nn: NewMultiheadAttention: embed %d, heads %d: the heads must divide the width", embed, heads))
	}
	if dropout < 0 || dropout >= 1 {
		panic(fmt.Sprintf("nn: NewMultiheadAttention: dropout %v outside [0, 1)", dropout))
	}
	w := tensor.New(tensor.Float32, 3*embed, embed)
	XavierUniform(rng, w)
	out := NewLinear(rng, embed, embed, UniformFanIn)
	return &MultiheadAttention{Embed: embed, Heads: heads,
		InProjWeight: ag.Param(w), InProjBias: ag.Param(tensor.New(tensor.Float32, 3*embed)),
		OutProj: out, Causal: causal, Dropout: dropout, Rand: rng}
}

// Forward returns the self-attention of x, [N, T, E], with the causal
// mask if Causal.
func (m *MultiheadAttention) Forward(x *ag.Var) *ag.Var { return m.ForwardMask(x, nil) }

// ForwardMask is Forward with a key padding mask: keyPadding, if not nil,
// holds N·T flags, row-major [N, T], true hiding that position's key from
// every query (PyTorch's key_padding_mask).
func (m *MultiheadAttention) ForwardMask(x *ag.Var, keyPadding []bool) *ag.Var {
	n, t := m.checkInput("Forward", x)
	o := ag.AttentionOptions{Mask: tensor.AttentionMask{Causal: m.Causal, KeyPadding: keyPadding}}
	if !m.eval && m.Dropout > 0 {
		o.Dropout, o.Rand = m.Dropout, m.Rand
		o.ShardOffset, o.ShardTotal = m.offset, m.total
	}
	// One GEMM projects the queries, keys and values of every position,
	// and the attention reads its heads in place (ag.AttentionQKV).
	e := m.Embed
	qkv := ag.Reshape(ag.Linear(ag.Reshape(x, n*t, e), m.InProjWeight, m.InProjBias), n, t, 3*e)
	y := ag.Reshape(ag.AttentionQKV(qkv, m.Heads, o), n*t, e)
	return ag.Reshape(ag.Linear(y, m.OutProj.Weight, m.OutProj.Bias), n, t, e)
}

// checkInput returns the batch and length of x, [N, T, E].
func (m *MultiheadAttention) checkInput(op string, x *ag.Var) (n, t int) {
	sh := x.Shape()
	if len(sh) != 3 || sh[2] != m.Embed {
		panic(&tensor.Error{Op: "nn.MultiheadAttention." + op,
			Msg: fmt.Sprintf("input %v: want [N T %d]", sh, m.Embed)})
	}
	return sh[0], sh[1]
}

// project returns the queries, keys and values of x, [N, T, E], split
// into heads: [N, H, T, d] each, for the key/value cache. For many
// positions each is one GEMM with its third of the stacked weight (a
// copy of E² weights, against N·T·E values of a split output) and a
// permutation of its output; for a few, such as a decoder's step, one
// GEMM with the whole weight and the output split, which copies no
// weights.
func (m *MultiheadAttention) project(x *ag.Var, n, t int) (q, k, v *ag.Var) {
	e, h := m.Embed, m.Heads
	rows := ag.Reshape(x, n*t, e)
	heads := func(y *ag.Var) *ag.Var { return ag.Permute(ag.Reshape(y, n, t, h, e/h), 0, 2, 1, 3) }
	if n*t < 4*e {
		y := ag.Linear(rows, m.InProjWeight, m.InProjBias)
		return heads(ag.Slice(y, 1, 0, e)), heads(ag.Slice(y, 1, e, 2*e)), heads(ag.Slice(y, 1, 2*e, 3*e))
	}
	third := func(i int) *ag.Var {
		w := ag.Slice(m.InProjWeight, 0, i*e, (i+1)*e)
		b := ag.Slice(m.InProjBias, 0, i*e, (i+1)*e)
		return heads(ag.Linear(rows, w, b))
	}
	return third(0), third(1), third(2)
}

// merge joins the heads of y, [N, H, T, d], into [N, T, E] and applies
// the output projection.
func (m *MultiheadAttention) merge(y *ag.Var, n, t int) *ag.Var {
	rows := ag.Reshape(ag.Permute(y, 0, 2, 1, 3), n*t, m.Embed)
	return ag.Reshape(ag.Linear(rows, m.OutProj.Weight, m.OutProj.Bias), n, t, m.Embed)
}

// Parameters returns in_proj_weight, in_proj_bias, out_proj.weight and
// out_proj.bias, in PyTorch's order.
func (m *MultiheadAttention) Parameters() []Parameter {
	return []Parameter{{"in_proj_weight", m.InProjWeight}, {"in_proj_bias", m.InProjBias},
		{"out_proj.weight", m.OutProj.Weight}, {"out_proj.bias", m.OutProj.Bias}}
}

// SetTraining switches the attention dropout on (training) or off.
func (m *MultiheadAttention) SetTraining(on bool) { m.eval = !on }

// SetShard makes the attention dropout of the next forward passes draw
// the masks of a batch of total rows and keep those of the rows
// [offset, offset+N), as Dropout.SetShard does.
func (m *MultiheadAttention) SetShard(offset, total int) {
	if offset < 0 || total < 0 || offset > total {
		panic(fmt.Sprintf("nn: MultiheadAttention.SetShard: rows from %d of %d", offset, total))
	}
	m.offset, m.total = offset, total
}

// KVCache holds the keys and values an attention layer computed for the
// positions it has seen, so that decoding one more position costs that
// position alone: its query attends to the cached keys and values and
// its own. It belongs to one sequence batch and one layer; the caller
// makes it (a zero KVCache is empty), passes it explicitly and drops it
// when the sequence ends. Its tensors live outside any graph's memory,
// so a graph may be Reset between steps. They grow by doubling their
// capacity, so appending a position copies only that position, amortised.
type KVCache struct {
	k, v *tensor.Tensor // [N, H, capacity, d]
	n    int            // the positions held
}

// Len returns the number of cached positions.
func (c *KVCache) Len() int { return c.n }

// Reset empties the cache.
func (c *KVCache) Reset() { c.k, c.v, c.n = nil, nil, 0 }

// append adds the keys and values k and v, [N, H, t, d], after the
// positions held.
func (c *KVCache) append(k, v *tensor.Tensor) {
	t := k.Dim(2)
	if c.k == nil || c.n+t > c.k.Dim(2) {
		capacity := max(16, c.n+t)
		if c.k != nil {
			capacity = max(capacity, 2*c.k.Dim(2))
		}
		grow := func(old, x *tensor.Tensor) *tensor.Tensor {
			sh := append([]int(nil), x.Shape()...)
			sh[2] = capacity
			t := tensor.New(x.DType(), sh...)
			if old != nil && c.n > 0 {
				tensor.SetSlice(t, tensor.Slice(old, 2, 0, c.n), 2, 0)
			}
			return t
		}
		c.k, c.v = grow(c.k, k), grow(c.v, v)
	}
	tensor.SetSlice(c.k, k, 2, c.n)
	tensor.SetSlice(c.v, v, 2, c.n)
	c.n += t
}

// ForwardCached computes the attention of the new positions x, [N, t, E],
// which follow the c.Len() positions already in c, appends their keys and
// values to c, and returns their outputs, [N, t, E]: what Forward's
// causal attention gives for these positions of the whole sequence (the
// mask is causal whatever Causal says: a decoder's new positions never
// see later ones). The attention reads the cache in place
// (tensor.AttendCachedTo). It is for inference: dropout is off, and no
// gradient flows through the attention.
func (m *MultiheadAttention) ForwardCached(x *ag.Var, c *KVCache) *ag.Var {
	n, t := m.checkInput("ForwardCached", x)
	if c.k != nil && c.k.Dim(0) != n {
		panic(&tensor.Error{Op: "nn.MultiheadAttention.ForwardCached",
			Msg: fmt.Sprintf("input %v after a cache of N = %d", x.Shape(), c.k.Dim(0))})
	}
	q, k, v := m.project(x, n, t)
	c.append(k.Value, v.Value)
	d := m.Embed / m.Heads
	y := tensor.NewLike(q.Value, n, m.Heads, t, d)
	tensor.AttendCachedTo(y, q.Value, c.k, c.v, c.n, 1/math.Sqrt(float64(d)))
	return m.merge(x.Graph().Const(y), n, t)
}
