package nn

import (
	"fmt"
	"math/rand/v2"

	"backprop/ag"
)

// Cell holds what the recurrent cells LSTMCell, GRUCell and RNNCell
// share: one step of the layer, with PyTorch's parameters weight_ih
// [G·Hidden, In], weight_hh [G·Hidden, Hidden], bias_ih and bias_hh
// [G·Hidden] (G = 4, 3, 1 blocks in PyTorch's gate order), so that a
// state_dict carries over to torch.nn.LSTMCell, GRUCell or RNNCell. A
// step runs the same fused gate as the layers, over a sequence of one
// step: a sampler feeds a cell one input at a time, carrying the state.
type Cell struct {
	In, Hidden                         int
	WeightIH, WeightHH, BiasIH, BiasHH *ag.Var
}

func newCell(op string, rng *rand.Rand, gates, in, hidden int) Cell {
	r := newRecurrent(op, rng, gates, in, hidden, 1, true)
	return Cell{In: in, Hidden: hidden, WeightIH: r.WeightIH[0], WeightHH: r.WeightHH[0], BiasIH: r.BiasIH[0], BiasHH: r.BiasHH[0]}
}

// Parameters returns "weight_ih", "weight_hh", "bias_ih" and "bias_hh",
// as PyTorch names them.
func (c *Cell) Parameters() []Parameter {
	return []Parameter{{"weight_ih", c.WeightIH}, {"weight_hh", c.WeightHH}, {"bias_ih", c.BiasIH}, {"bias_hh", c.BiasHH}}
}

// SetTraining does nothing: a cell behaves the same in both modes.
func (*Cell) SetTraining(bool) {}

// step returns x [N, In] as a batch-first sequence of one step, and N.
func (c *Cell) step(op string, x *ag.Var) (*ag.Var, int) {
	if sh := x.Shape(); len(sh) != 2 || sh[1] != c.In {
		panic(fmt.Sprintf("nn: %s: input %v, want [N %d]", op, sh, c.In))
	}
	n := x.Shape()[0]
	return ag.Reshape(x, n, 1, c.In), n
}

// LSTMCell is one step of an LSTM, as PyTorch's nn.LSTMCell.
type LSTMCell struct{ Cell }

// NewLSTMCell returns a Float32 LSTM cell from in to hidden features, its
// weights drawn from rng as PyTorch draws them.
func NewLSTMCell(rng *rand.Rand, in, hidden int) *LSTMCell {
	return &LSTMCell{newCell("NewLSTMCell", rng, 4, in, hidden)}
}

// Step returns the states after the input x [N, In] from the states h
// and c [N, Hidden] (both nil for zeros).
func (m *LSTMCell) Step(x, h, c *ag.Var) (h2, c2 *ag.Var) {
	x3, n := m.step("LSTMCell", x)
	z := ag.LSTM(x3, h, c, m.WeightIH, m.WeightHH, m.BiasIH, m.BiasHH, true)
	return ag.Reshape(ag.Slice(z, 0, 0, 1), n, m.Hidden), ag.Reshape(ag.Slice(z, 0, 1, 2), n, m.Hidden)
}

// Forward returns the hidden state after the input x [N, In] from zero
// states.
func (m *LSTMCell) Forward(x *ag.Var) *ag.Var {
	h, _ := m.Step(x, nil, nil)
	return h
}

// GRUCell is one step of a GRU, as PyTorch's nn.GRUCell.
type GRUCell struct{ Cell }

// NewGRUCell returns a Float32 GRU cell from in to hidden features, its
// weights drawn from rng as PyTorch draws them.
func NewGRUCell(rng *rand.Rand, in, hidden int) *GRUCell {
	return &GRUCell{newCell("NewGRUCell", rng, 3, in, hidden)}
}

// Step returns the state after the input x [N, In] from the state h
// [N, Hidden] (nil for zeros).
func (m *GRUCell) Step(x, h *ag.Var) *ag.Var {
	x3, n := m.step("GRUCell", x)
	return ag.Reshape(ag.GRU(x3, h, m.WeightIH, m.WeightHH, m.BiasIH, m.BiasHH, true), n, m.Hidden)
}

// Forward returns the state after the input x [N, In] from zeros.
func (m *GRUCell) Forward(x *ag.Var) *ag.Var { return m.Step(x, nil) }

// RNNCell is one step of an Elman RNN with tanh, as PyTorch's
// nn.RNNCell.
type RNNCell struct{ Cell }

// NewRNNCell returns a Float32 RNN cell from in to hidden features, its
// weights drawn from rng as PyTorch draws them.
func NewRNNCell(rng *rand.Rand, in, hidden int) *RNNCell {
	return &RNNCell{newCell("NewRNNCell", rng, 1, in, hidden)}
}

// Step returns the state after the input x [N, In] from the state h
// [N, Hidden] (nil for zeros).
func (m *RNNCell) Step(x, h *ag.Var) *ag.Var {
	x3, n := m.step("RNNCell", x)
	return ag.Reshape(ag.RNN(x3, h, m.WeightIH, m.WeightHH, m.BiasIH, m.BiasHH, true), n, m.Hidden)
}

// Forward returns the state after the input x [N, In] from zeros.
func (m *RNNCell) Forward(x *ag.Var) *ag.Var { return m.Step(x, nil) }
