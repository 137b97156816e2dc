package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"backprop/ag"
	"backprop/tensor"
)

// Recurrent holds what the recurrent layers RNN, LSTM and GRU share: the
// sizes, the layout of the sequences and, for every layer l of the stack,
// PyTorch's parameters weight_ih_l, weight_hh_l, bias_ih_l and bias_hh_l,
// so that a state_dict carries over to torch.nn.RNN, LSTM or GRU.
type Recurrent struct {
	// In is the size of an input step, Hidden that of the state, Layers
	// the number of stacked layers (each layer's output sequence is the
	// next one's input).
	In, Hidden, Layers int
	// BatchFirst says that sequences are [N, T, ·] (the architecture
	// language's layout) rather than PyTorch's default [T, N, ·].
	BatchFirst bool
	// WeightIH[l] is [G·Hidden, In] for layer 0 and [G·Hidden, Hidden]
	// above, WeightHH[l] [G·Hidden, Hidden], BiasIH[l] and BiasHH[l]
	// [G·Hidden], with G = 1 (RNN), 3 (GRU) or 4 (LSTM) blocks of rows
	// in PyTorch's gate order.
	WeightIH, WeightHH, BiasIH, BiasHH []*ag.Var
	// Dropout, if not nil, drops outputs of every layer but the last in
	// training, as PyTorch's dropout argument does (nil: none, as
	// dropout=0). Its masks follow the rows of a batch-first batch
	// under SetShard.
	Dropout *Dropout
}

// newRecurrent returns the Float32 parameters of a stack of layers of
// gates blocks, drawn from U(−1/√H, 1/√H) as PyTorch draws them, in
// PyTorch's order: layer by layer, weight_ih, weight_hh, bias_ih,
// bias_hh.
func newRecurrent(op string, rng *rand.Rand, gates, in, hidden, layers int, batchFirst bool) Recurrent {
	if in <= 0 || hidden <= 0 || layers <= 0 {
		panic(fmt.Sprintf("nn: %s: input size %d, hidden size %d, %d layers", op, in, hidden, layers))
	}
	r := Recurrent{In: in, Hidden: hidden, Layers: layers, BatchFirst: batchFirst}
	bound := 1 / math.Sqrt(float64(hidden))
	draw := func(shape ...int) *ag.Var {
		t := tensor.New(tensor.Float32, shape...)
		fillUniform(rng, t, bound)
		return ag.Param(t)
	}
	g := gates * hidden
	for l := range layers {
		li := in
		if l > 0 {
			li = hidden
		}
		r.WeightIH = append(r.WeightIH, draw(g, li))
		r.WeightHH = append(r.WeightHH, draw(g, hidden))
		r.BiasIH = append(r.BiasIH, draw(g))
		r.BiasHH = append(r.BiasHH, draw(g))
	}
	return r
}

// Parameters returns, for every layer l, "weight_ih_l<l>",
// "weight_hh_l<l>", "bias_ih_l<l>" and "bias_hh_l<l>", as PyTorch names
// them.
func (r *Recurrent) Parameters() []Parameter {
	var ps []Parameter
	for l := range r.Layers {
		s := strconv.Itoa(l)
		ps = append(ps, Parameter{"weight_ih_l" + s, r.WeightIH[l]}, Parameter{"weight_hh_l" + s, r.WeightHH[l]},
			Parameter{"bias_ih_l" + s, r.BiasIH[l]}, Parameter{"bias_hh_l" + s, r.BiasHH[l]})
	}
	return ps
}

// SetTraining switches the dropout between layers on (training) or off.
func (r *Recurrent) SetTraining(on bool) {
	if r.Dropout != nil {
		r.Dropout.SetTraining(on)
	}
}

// SetShard makes the dropout between layers draw the masks of rows
// [offset, offset+N) of batches of total rows (see Sharder).
func (r *Recurrent) SetShard(offset, total int) {
	if r.Dropout != nil {
		r.Dropout.SetShard(offset, total)
	}
}

// between returns the output y of layer l as the next layer's input:
// dropped out in training where l is not the last layer.
func (r *Recurrent) between(y *ag.Var, l int) *ag.Var {
	if r.Dropout == nil || l == r.Layers-1 {
		return y
	}
	return r.Dropout.Forward(y)
}

// state returns layer l's slice [N, H] of an initial state [Layers, N, H],
// or nil for nil.
func (r *Recurrent) state(op string, s *ag.Var, l, n int) *ag.Var {
	if s == nil {
		return nil
	}
	if sh := s.Shape(); len(sh) != 3 || sh[0] != r.Layers || sh[1] != n || sh[2] != r.Hidden {
		panic(fmt.Sprintf("nn: %s: initial state %v, want [%d %d %d] (layers, batch, hidden)", op, sh, r.Layers, n, r.Hidden))
	}
	if r.Layers == 1 {
		return ag.Reshape(s, n, r.Hidden)
	}
	return ag.Reshape(ag.Slice(s, 0, l, l+1), n, r.Hidden)
}

// batch returns the batch size of the sequences x, checking their shape.
func (r *Recurrent) batch(op string, x *ag.Var) int {
	sh := x.Shape()
	if len(sh) != 3 || sh[2] != r.In {
		layout := "[T N %d]"
		if r.BatchFirst {
			layout = "[N T %d]"
		}
		panic(fmt.Sprintf("nn: %s: input %v, want "+layout, op, sh, r.In))
	}
	if r.BatchFirst {
		return sh[0]
	}
	return sh[1]
}

// last returns the last step of the sequences y as [N, H].
func (r *Recurrent) last(y *ag.Var, n int) *ag.Var {
	axis := 0
	if r.BatchFirst {
		axis = 1
	}
	t := y.Shape()[axis]
	return ag.Reshape(ag.Slice(y, axis, t-1, t), n, r.Hidden)
}

// stackStates returns the layers' final states [N, H] as [Layers, N, H].
func stackStates(hs []*ag.Var) *ag.Var {
	if len(hs) == 1 {
		sh := hs[0].Shape()
		return ag.Reshape(hs[0], 1, sh[0], sh[1])
	}
	return ag.Stack(0, hs...)
}

// LSTM is a stack of long short-term memory layers, as PyTorch's
// nn.LSTM (without projections or bidirectionality): gates i, f, g, o in
// this order along the weights' rows, each layer one fused gate over the
// whole sequence (ag.LSTM). CS231n's LSTM orders the gates i, f, o, g.
type LSTM struct{ Recurrent }

// NewLSTM returns a Float32 LSTM of layers layers from in to hidden
// features, its weights drawn from rng as PyTorch draws them.
func NewLSTM(rng *rand.Rand, in, hidden, layers int, batchFirst bool) *LSTM {
	return &LSTM{newRecurrent("NewLSTM", rng, 4, in, hidden, layers, batchFirst)}
}

// Forward returns the last layer's hidden state at every step of the
// sequences x, [N, T, In] → [N, T, Hidden] (batch-first) or [T, N, In] →
// [T, N, Hidden], starting from zero states.
func (m *LSTM) Forward(x *ag.Var) *ag.Var {
	y, _, _ := m.forward(x, nil, nil, false)
	return y
}

// ForwardState is Forward from the initial states h0 and c0, [Layers, N,
// Hidden] each (both nil for zeros), that also returns the final states
// hn and cn, [Layers, N, Hidden], as PyTorch's LSTM returns
// output, (h_n, c_n).
func (m *LSTM) ForwardState(x, h0, c0 *ag.Var) (y, hn, cn *ag.Var) {
	return m.forward(x, h0, c0, true)
}

// forward is ForwardState, which only makes the final states if states
// is set.
func (m *LSTM) forward(x, h0, c0 *ag.Var, states bool) (y, hn, cn *ag.Var) {
	n := m.batch("LSTM", x)
	if (h0 == nil) != (c0 == nil) {
		panic("nn: LSTM: give both initial states h0 and c0, or neither")
	}
	var hs, cs []*ag.Var
	for l := range m.Layers {
		z := ag.LSTM(x, m.state("LSTM", h0, l, n), m.state("LSTM", c0, l, n), m.WeightIH[l], m.WeightHH[l], m.BiasIH[l], m.BiasHH[l], m.BatchFirst)
		sh := z.Shape()[1:]
		y = ag.Reshape(ag.Slice(z, 0, 0, 1), sh...)
		if states {
			c := ag.Reshape(ag.Slice(z, 0, 1, 2), sh...)
			hs, cs = append(hs, m.last(y, n)), append(cs, m.last(c, n))
		}
		x = m.between(y, l)
	}
	if !states {
		return y, nil, nil
	}
	return y, stackStates(hs), stackStates(cs)
}

// GRU is a stack of gated recurrent units, as PyTorch's nn.GRU: gates r,
// z, n in this order along the weights' rows, n = tanh(W_in x + b_in +
// r ⊙ (W_hn h + b_hn)), each layer one fused gate over the whole sequence
// (ag.GRU).
type GRU struct{ Recurrent }

// NewGRU returns a Float32 GRU of layers layers from in to hidden
// features, its weights drawn from rng as PyTorch draws them.
func NewGRU(rng *rand.Rand, in, hidden, layers int, batchFirst bool) *GRU {
	return &GRU{newRecurrent("NewGRU", rng, 3, in, hidden, layers, batchFirst)}
}

// Forward returns the last layer's hidden state at every step of the
// sequences x (see LSTM.Forward), starting from zero states.
func (m *GRU) Forward(x *ag.Var) *ag.Var {
	y, _ := m.ForwardState(x, nil)
	return y
}

// ForwardState is Forward from the initial state h0, [Layers, N, Hidden]
// (nil for zeros), that also returns the final state hn, [Layers, N,
// Hidden], as PyTorch's GRU returns output, h_n.
func (m *GRU) ForwardState(x, h0 *ag.Var) (y, hn *ag.Var) {
	n := m.batch("GRU", x)
	var hs []*ag.Var
	for l := range m.Layers {
		y = ag.GRU(x, m.state("GRU", h0, l, n), m.WeightIH[l], m.WeightHH[l], m.BiasIH[l], m.BiasHH[l], m.BatchFirst)
		hs = append(hs, m.last(y, n))
		x = m.between(y, l)
	}
	return y, stackStates(hs)
}

// RNN is a stack of Elman recurrent layers with tanh, as PyTorch's
// nn.RNN (nonlinearity "tanh"), each layer one fused gate over the whole
// sequence (ag.RNN).
type RNN struct{ Recurrent }

// NewRNN returns a Float32 RNN of layers layers from in to hidden
// features, its weights drawn from rng as PyTorch draws them.
func NewRNN(rng *rand.Rand, in, hidden, layers int, batchFirst bool) *RNN {
	return &RNN{newRecurrent("NewRNN", rng, 1, in, hidden, layers, batchFirst)}
}

// Forward returns the last layer's hidden state at every step of the
// sequences x (see LSTM.Forward), starting from zero states.
func (m *RNN) Forward(x *ag.Var) *ag.Var {
	y, _ := m.ForwardState(x, nil)
	return y
}

// ForwardState is Forward from the initial state h0, [Layers, N, Hidden]
// (nil for zeros), that also returns the final state hn, [Layers, N,
// Hidden], as PyTorch's RNN returns output, h_n.
func (m *RNN) ForwardState(x, h0 *ag.Var) (y, hn *ag.Var) {
	n := m.batch("RNN", x)
	var hs []*ag.Var
	for l := range m.Layers {
		y = ag.RNN(x, m.state("RNN", h0, l, n), m.WeightIH[l], m.WeightHH[l], m.BiasIH[l], m.BiasHH[l], m.BatchFirst)
		hs = append(hs, m.last(y, n))
		x = m.between(y, l)
	}
	return y, stackStates(hs)
}
