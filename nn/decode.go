package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"backprop/ag"
	"backprop/tensor"
)

// Decoder runs a sequence model (a Model whose Sequence is true, such as
// a next-byte model) one new position at a time, as generation needs
// it. Where every layer allows, each new position costs that position's
// work alone: position-wise layers (embed, linear, the activations,
// dropout, a layernorm over the last axis) run on it; learned and
// sinusoidal positions add the vector of its position; transformer
// blocks attend to a KVCache of the positions before; recurrent layers
// (lstm, gru, rnn) carry their hidden states forward. A transformer's
// positions stop at the context of its posembed: when a sequence reaches
// it, the decoder starts again from the last half of the context (one
// pass over those positions) and goes on. Other layers (a layernorm over
// a whole window, say) cannot run a position at a time, and NewDecoder
// refuses a model that has one.
//
// A Decoder holds the state of one sequence; it reads the model's
// weights and never changes them or the model's mode, so several
// decoders may share one model. It keeps the weights of the linear
// layers packed for its one-position products (tensor.PackedWeights), so
// the weights must not change while it decodes: make a new Decoder after
// training the model further. It decodes as the model does in
// evaluation mode, whatever that mode: without dropout.
type Decoder struct {
	m       *Model
	layers  []Module // the model's layers as the decoder runs them: no dropout
	context int      // the positions a posembed allows; 0 for no limit
	ids     []int    // the sequence so far
	pos     int      // the positions the state has seen
	caches  []KVCache
	h, c    []*ag.Var    // the recurrent layers' states, by layer index
	dtype   tensor.DType // the weights', for the indices fed in
	packs   *tensor.PackedWeights
	g       *ag.Graph // the graph of every step, whose memory the next step reuses
}

// NewDecoder returns a decoder of the sequence model m, or an error naming the first layer that cannot run a
// position at a time (or saying that m is not a sequence model).
func NewDecoder(m *Model) (*Decoder, error) {
	if m.plan == nil || !m.Sequence() {
		return nil, fmt.Errorf("nn: NewDecoder: %s is not a sequence model", m.Arch)
	}
	d := &Decoder{m: m, layers: slices.Clone(m.Net.Layers), dtype: tensor.Float32, packs: tensor.NewPackedWeights()}
	if ps := m.Net.Parameters(); len(ps) > 0 {
		// Once, not at every position: Parameters builds a list of them all.
		d.dtype = ps[0].Var.Value.DType()
	}
	for i, l := range m.Net.Layers {
		ok := true
		switch l := l.(type) {
		case *LSTM:
			d.layers[i] = &LSTM{withoutDropout(l.Recurrent)}
		case *GRU:
			d.layers[i] = &GRU{withoutDropout(l.Recurrent)}
		case *RNN:
			d.layers[i] = &RNN{withoutDropout(l.Recurrent)}
		case *Embedding, *Linear, GELU, ReLU, Tanh, Sigmoid, LeakyReLU, ELUModule, MaxoutModule, *Dropout, *Block,
			SinusoidalPositions, *SinusoidalPositions:
		case *PositionalEmbedding:
			if d.context == 0 || l.Context < d.context {
				d.context = l.Context
			}
		case *LayerNorm:
			ok = len(l.Shape) == 1
		default:
			ok = false
		}
		if !ok {
			return nil, fmt.Errorf("nn: NewDecoder: layer %d, %s, cannot run a position at a time", i, m.plan.Layers[i].Words)
		}
	}
	d.reset()
	return d, nil
}

// withoutDropout returns a copy of r, sharing its weights, that drops
// nothing between its layers.
func withoutDropout(r Recurrent) Recurrent {
	r.Dropout = nil
	return r
}

func (d *Decoder) reset() {
	d.pos = 0
	d.caches = make([]KVCache, len(d.m.Net.Layers))
	d.h = make([]*ag.Var, len(d.m.Net.Layers))
	d.c = make([]*ag.Var, len(d.m.Net.Layers))
}

// Feed appends the symbols ids to the sequence and returns the model's
// outputs at its last position, [C]: the logits of the next symbol. ids
// must not be empty, and every one must be an index of the model's
// embedding (a programming error otherwise).
func (d *Decoder) Feed(ids ...int) []float64 {
	if len(ids) == 0 {
		panic("nn: Decoder.Feed: no symbols")
	}
	d.ids = append(d.ids, ids...)
	if d.context > 0 && d.pos+len(ids) > d.context {
		// Start again from the last half of the context, the new
		// symbols included.
		d.reset()
		ids = d.ids[len(d.ids)-max(len(ids), d.context/2):]
		if len(ids) > d.context {
			ids = ids[len(ids)-d.context:]
		}
	}
	return d.last(d.run(ids))
}

// last returns the row of the last position of y, [1, t, C].
func (d *Decoder) last(y *tensor.Tensor) []float64 {
	c := y.Dim(2)
	out := make([]float64, c)
	off := (y.Dim(1) - 1) * c
	for i := range out {
		out[i] = y.Flat(off + i)
	}
	return out
}

// run computes the model's outputs for the positions ids, [1, len, C],
// that follow the positions the state has seen.
func (d *Decoder) run(ids []int) *tensor.Tensor {
	if d.g == nil {
		d.g = ag.NewGraph(ag.NoGrad)
		d.g.UsePackedWeights(d.packs)
	}
	g := d.g
	defer g.Reset() // what a step keeps (states, caches, its output) is copied out of g
	v := make([]float32, len(ids))
	for i, id := range ids {
		v[i] = float32(id)
	}
	dt := d.dtype
	x := g.Const(tensor.FromSlice(v, 1, len(ids)).As(dt))
	for i, l := range d.layers {
		switch l := l.(type) {
		case *Dropout: // as in evaluation mode
		case *PositionalEmbedding:
			x = l.ForwardAt(x, d.pos)
		case SinusoidalPositions:
			x = l.ForwardAt(x, d.pos)
		case *SinusoidalPositions:
			x = l.ForwardAt(x, d.pos)
		case *Block: // without dropout
			x = l.ForwardCached(x, &d.caches[i])
		case *LSTM:
			var hn, cn *ag.Var
			x, hn, cn = l.ForwardState(x, d.state(g, d.h[i]), d.state(g, d.c[i]))
			d.h[i], d.c[i] = ag.Const(hn.Value.Clone()), ag.Const(cn.Value.Clone())
		case *GRU:
			var hn *ag.Var
			x, hn = l.ForwardState(x, d.state(g, d.h[i]))
			d.h[i] = ag.Const(hn.Value.Clone())
		case *RNN:
			var hn *ag.Var
			x, hn = l.ForwardState(x, d.state(g, d.h[i]))
			d.h[i] = ag.Const(hn.Value.Clone())
		default:
			x = l.Forward(x)
		}
	}
	d.pos += len(ids)
	return x.Value.Clone()
}

// state returns a recurrent layer's saved state in the graph g, or nil
// (zeros) before the first position.
func (d *Decoder) state(g *ag.Graph, s *ag.Var) *ag.Var {
	if s == nil {
		return nil
	}
	return g.Const(s.Value)
}

// Sample draws a symbol from the logits: with temperature τ > 0, from
// softmax(logits/τ) restricted to the topK largest logits (all of them
// when topK is 0 or more than there are), by one rng.Float64 draw;
// with τ = 0, the largest logit (the first of equal ones), drawing
// nothing. A negative τ or topK is a programming error.
func Sample(logits []float64, temperature float64, topK int, rng *rand.Rand) int {
	if temperature < 0 || topK < 0 || len(logits) == 0 || math.IsNaN(temperature) {
		panic(fmt.Sprintf("nn: Sample: %d logits, temperature %g, top-k %d", len(logits), temperature, topK))
	}
	if temperature == 0 {
		best := 0
		for i, z := range logits {
			if z > logits[best] {
				best = i
			}
		}
		return best
	}
	idx := make([]int, len(logits))
	for i := range idx {
		idx[i] = i
	}
	// The largest first; ties in index order, so that the draw depends
	// on the logits alone.
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case logits[a] > logits[b]:
			return -1
		case logits[a] < logits[b]:
			return 1
		}
		return 0
	})
	if topK > 0 && topK < len(idx) {
		idx = idx[:topK]
	}
	top := logits[idx[0]]
	p := make([]float64, len(idx))
	sum := 0.0
	for i, k := range idx {
		p[i] = math.Exp((logits[k] - top) / temperature)
		sum += p[i]
	}
	u := rng.Float64() * sum
	for i, k := range idx {
		u -= p[i]
		if u < 0 {
			return k
		}
	}
	return idx[len(idx)-1]
}
