package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"backprop/ag"
	"backprop/tensor"
)

// ByteVocab is the vocabulary of byte-level text (package data/text): 256
// symbols, the default size of an embedding's table in the architecture
// language.
const ByteVocab = 256

// Embedding maps integer indices to learned vectors, as PyTorch's
// nn.Embedding: a batch x of indices of any shape ([N, T] for sequences),
// held as integral values of a float tensor, becomes x's shape followed by
// Dim, row x[p] of the table Weight [Num, Dim] at each position p. Its
// backward is a sparse add into the rows looked up (ag.Embedding).
type Embedding struct {
	stateless
	Num, Dim int
	Weight   *ag.Var // [Num, Dim]
	// Padded says that row Padding is PyTorch's padding_idx: the row that
	// gets no gradient, so that it keeps its value (SetPadding zeroes it,
	// as PyTorch does). The zero value has no padding row.
	Padded  bool
	Padding int
}

// NewEmbedding returns a Float32 Embedding of num vectors of dim values,
// drawn from N(0, 1) with rng as PyTorch's nn.Embedding draws them.
func NewEmbedding(rng *rand.Rand, num, dim int) *Embedding {
	if num <= 0 || dim <= 0 {
		panic(fmt.Sprintf("nn: NewEmbedding: %d vectors of %d values", num, dim))
	}
	return &Embedding{Num: num, Dim: dim, Weight: ag.Param(tensor.Randn(rng, tensor.Float32, num, dim))}
}

// SetPadding makes row i the padding row (PyTorch's padding_idx): it is
// set to zero and gets no gradient from then on. A negative i counts from
// the end.
func (e *Embedding) SetPadding(i int) {
	if i < 0 {
		i += e.Num
	}
	if i < 0 || i >= e.Num {
		panic(fmt.Sprintf("nn: Embedding: padding index %d out of range for %d vectors", i, e.Num))
	}
	w := e.Weight.Value
	for j := range e.Dim {
		w.SetFlat(i*e.Dim+j, 0)
	}
	e.Padding, e.Padded = i, true
}

// Forward looks up the vectors of the indices x (ag.EmbeddingOf): the
// output belongs to x's graph, so that the layers after it compute there.
//
//	forward:  y[p, :] = W[x[p], :]
//	backward: ∂L/∂W[v, :] = Σ over p with x[p] = v of ∂L/∂y[p, :]
//
// A value of x that is not an integer in [0, Num) is a programming error
// and panics, naming it and its position.
func (e *Embedding) Forward(x *ag.Var) *ag.Var {
	pad := ag.NoPadding
	if e.Padded {
		pad = e.Padding
	}
	return ag.EmbeddingOf(e.Weight, x, pad)
}

// Parameters returns "weight".
func (e *Embedding) Parameters() []Parameter { return []Parameter{{"weight", e.Weight}} }

// PositionalEmbedding adds a learned vector per position to a batch of
// sequences x [N, T, Dim] (or one sequence [T, Dim]): y[n, t] = x[n, t] +
// W[t] for t < T ≤ Context, as GPT-2's position embedding. Weight is
// [Context, Dim], the table of an nn.Embedding(Context, Dim) in PyTorch,
// so that its state_dict carries over.
type PositionalEmbedding struct {
	stateless
	Context, Dim int
	Weight       *ag.Var // [Context, Dim]
}

// NewPositionalEmbedding returns a Float32 PositionalEmbedding for up to
// context positions of dim values, drawn from N(0, 1) with rng, as an
// nn.Embedding's table.
func NewPositionalEmbedding(rng *rand.Rand, context, dim int) *PositionalEmbedding {
	if context <= 0 || dim <= 0 {
		panic(fmt.Sprintf("nn: NewPositionalEmbedding: %d positions of %d values", context, dim))
	}
	return &PositionalEmbedding{Context: context, Dim: dim, Weight: ag.Param(tensor.Randn(rng, tensor.Float32, context, dim))}
}

// Forward returns x + W[:T], the first T rows broadcast over the batch.
//
//	forward:  y[n, t, :] = x[n, t, :] + W[t, :]
//	backward: ∂L/∂x = ∂L/∂y,  ∂L/∂W[t, :] = Σₙ ∂L/∂y[n, t, :] (rows t ≥ T get 0)
//
// A sequence longer than Context, or vectors of another size than Dim,
// is a programming error and panics, naming the shapes.
func (e *PositionalEmbedding) Forward(x *ag.Var) *ag.Var { return e.ForwardAt(x, 0) }

// ForwardAt returns x + W[start : start+T]: the vectors of positions
// start … start+T−1, for the next positions of a sequence whose first
// start positions were computed before (a key/value cache's). Positions
// past Context panic.
func (e *PositionalEmbedding) ForwardAt(x *ag.Var, start int) *ag.Var {
	t := seqShape("PositionalEmbedding", x, e.Dim)
	if start < 0 || start+t > e.Context {
		panic(fmt.Sprintf("nn: PositionalEmbedding: input %v from position %d: %d positions, more than its context %d", x.Value.Shape(), start, start+t, e.Context))
	}
	w := e.Weight
	if start > 0 || t < e.Context {
		w = ag.Slice(w, 0, start, start+t)
	}
	return ag.Add(x, w)
}

// Parameters returns "weight".
func (e *PositionalEmbedding) Parameters() []Parameter { return []Parameter{{"weight", e.Weight}} }

// seqShape checks that x is [N, T, d] or [T, d] and returns T.
func seqShape(op string, x *ag.Var, d int) int {
	s := x.Value.Shape()
	if len(s) < 2 || len(s) > 3 || (d > 0 && s[len(s)-1] != d) {
		if d > 0 {
			panic(fmt.Sprintf("nn: %s: input %v: want [N T %d] or [T %d]", op, s, d, d))
		}
		panic(fmt.Sprintf("nn: %s: input %v: want [N T D] or [T D]", op, s))
	}
	return s[len(s)-2]
}

// SinusoidalPositions adds the fixed positional encoding of "Attention is
// all you need" to a batch of sequences x [N, T, D] (or [T, D]); it has no
// parameters. Position t's vector has, for every pair of dimensions 2i and
// 2i+1,
//
//	PE[t, 2i]   = sin(t / 10000^(2i/D))
//	PE[t, 2i+1] = cos(t / 10000^(2i/D))
//
// sines on the even dimensions and cosines on the odd ones, interleaved
// (not the first half sines, the second cosines); t counts from 0, so
// PE[0] alternates 0 and 1. An odd D ends with a sine. The table is
// computed in float64 for the T of each batch and rounded to x's dtype.
type SinusoidalPositions struct{ stateless }

// Forward returns x + PE[:T].
//
//	forward:  y[n, t, :] = x[n, t, :] + PE[t, :]
//	backward: ∂L/∂x = ∂L/∂y (the table is a constant)
func (s SinusoidalPositions) Forward(x *ag.Var) *ag.Var { return s.ForwardAt(x, 0) }

// ForwardAt returns x + PE[start : start+T]: the encodings of positions
// start … start+T−1, for the next positions of a sequence whose first
// start positions were computed before (a key/value cache's).
func (SinusoidalPositions) ForwardAt(x *ag.Var, start int) *ag.Var {
	t := seqShape("SinusoidalPositions", x, 0)
	if start < 0 {
		panic(fmt.Sprintf("nn: SinusoidalPositions: input %v from position %d", x.Value.Shape(), start))
	}
	d := x.Value.Dim(-1)
	pe := tensor.NewLike(x.Value, t, d)
	if pe.DType() == tensor.Float32 {
		fillSinusoid(pe.Float32s(), start, t, d)
	} else {
		fillSinusoid(pe.Float64s(), start, t, d)
	}
	return ag.Add(x, x.Graph().Const(pe))
}

// fillSinusoid sets pe, [T, D], to the encodings of positions start …
// start+T−1, computed in float64.
func fillSinusoid[F float32 | float64](pe []F, start, t, d int) {
	freq := make([]float64, (d+1)/2)
	for i := range freq {
		freq[i] = 1 / math.Pow(10000, float64(2*i)/float64(d))
	}
	for p := range t {
		row := pe[p*d : (p+1)*d]
		pos := float64(start + p)
		for i, f := range freq {
			sin, cos := math.Sincos(pos * f)
			row[2*i] = F(sin)
			if 2*i+1 < d {
				row[2*i+1] = F(cos)
			}
		}
	}
}
