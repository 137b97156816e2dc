package ag

import (
	"fmt"

	"backprop/tensor"
)

// RNN runs one layer of an Elman recurrent network with tanh over a
// sequence, as PyTorch's RNN (nonlinearity "tanh"), and returns the hidden
// state of every step: y [N, T, H] when batchFirst, else [T, N, H], for x
// [N, T, I] or [T, N, I]. wih [H, I] and whh [H, H] are weight_ih and
// weight_hh, bih and bhh [H] their biases; h0 [N, H] is the initial state,
// or nil for zeros.
//
//	forward:  hₜ = tanh(W_ih xₜ + b_ih + W_hh h_{t−1} + b_hh)
//	backward: δaₜ = (∂L/∂hₜ + δa_{t+1}·W_hh) ⊙ (1 − hₜ²)   (through time,
//	          from the saved output), then ∂L/∂x = δa·W_ih, ∂L/∂W_ih = δaᵀ·x,
//	          ∂L/∂W_hh = δaᵀ·h_{t−1}, ∂L/∂b_ih = ∂L/∂b_hh = Σ δa, ∂L/∂h₀ = δa₁·W_hh
//
// It is one fused gate for the whole sequence: the input projections of
// all steps are one GEMM, each step's recurrent product runs on the
// packed GEMM into the step's rows in place, and the weight gradients
// are one GEMM each over all steps (see tensor.RNNForwardTo).
//
//go:noinline
func RNN(x, h0, wih, whh, bih, bhh *Var, batchFirst bool) *Var {
	g := &rnnGate{seqGate: seqGate{op: "RNN", gates: 1, batchFirst: batchFirst, packs: packsOf(x)}}
	if h0 == nil {
		return Apply(g, x, wih, whh, bih, bhh)
	}
	return Apply(g, x, wih, whh, bih, bhh, h0)
}

// seqGate holds what the recurrent gates share: their inputs are x, W_ih,
// W_hh, b_ih, b_hh and then the initial states, where given.
type seqGate struct {
	op           string
	gates        int // rows of the weights per hidden unit: 1, 3 (GRU), 4 (LSTM)
	batchFirst   bool
	n, t, h      int
	x2, wih, whh *tensor.Tensor // x2 is x as [N·T, I]
	h0, c0       *tensor.Tensor
	xShape       []int
	g            [7]*tensor.Tensor
	packs        *tensor.PackedWeights // the graph's, for inference (see Graph.UsePackedWeights)
}

// packsOf returns the packed weights of x's graph when it records no
// gradients, or nil.
func packsOf(x *Var) *tensor.PackedWeights {
	if g := x.Graph(); g != nil && g.packs != nil && !g.Recording() {
		return g.packs
	}
	return nil
}

// setup checks the inputs, keeps what the backward pass needs, and
// returns x·W_ihᵀ, [N·T, gates·H], the input projections of all steps in
// one GEMM. states is the number of initial states the layer takes.
func (g *seqGate) setup(in []*tensor.Tensor, states int) *tensor.Tensor {
	x, wih, whh, bih, bhh := in[0], in[1], in[2], in[3], in[4]
	bad := x.Dims() != 3 || wih.Dims() != 2 || whh.Dims() != 2 || bih.Dims() != 1 || bhh.Dims() != 1
	if !bad {
		h := whh.Dim(1)
		bad = wih.Dim(0) != g.gates*h || wih.Dim(1) != x.Dim(2) || whh.Dim(0) != g.gates*h ||
			bih.Dim(0) != g.gates*h || bhh.Dim(0) != g.gates*h
	}
	n, t := 0, 0
	if !bad {
		n, t = x.Dim(1), x.Dim(0)
		if g.batchFirst {
			n, t = t, n
		}
		for _, s := range in[5:] {
			bad = bad || s.Dims() != 2 || s.Dim(0) != n || s.Dim(1) != whh.Dim(1)
		}
	}
	if bad || len(in) != 5 && len(in) != 5+states {
		layout := "[T N I]"
		if g.batchFirst {
			layout = "[N T I]"
		}
		msg := fmt.Sprintf("ag: %s: input %v, weight_ih %v, weight_hh %v, bias_ih %v, bias_hh %v", g.op,
			x.Shape(), wih.Shape(), whh.Shape(), bih.Shape(), bhh.Shape())
		for i, s := range in[5:] {
			msg += fmt.Sprintf(", %s %v", [2]string{"h0", "c0"}[min(i, 1)], s.Shape())
		}
		panic(msg + fmt.Sprintf(": want x %s, weight_ih [%d·H I], weight_hh [%d·H H], biases [%d·H], states [N H]",
			layout, g.gates, g.gates, g.gates))
	}
	g.n, g.t, g.h = n, t, whh.Dim(1)
	g.xShape = x.Shape()
	g.x2 = x.Reshape(n*t, x.Dim(2))
	g.wih, g.whh = wih, whh
	if len(in) > 5 {
		g.h0 = in[5]
		if states > 1 {
			g.c0 = in[6]
		}
	}
	if g.packs != nil {
		return g.packs.MatMulT(g.x2, wih)
	}
	return tensor.MatMul(g.x2, wih, false, true)
}

// seqShape returns the shape of a sequence of width w in the layout of x.
func (g *seqGate) seqShape(w int) []int {
	if g.batchFirst {
		return []int{g.n, g.t, w}
	}
	return []int{g.t, g.n, w}
}

// weightGrads fills the gradients of x, W_ih, W_hh, b_ih and b_hh from
// dax, the gradient with respect to the input side's pre-activations
// W_ih x + b_ih, and dah, the hidden side's W_hh h + b_hh (the same
// tensor in an RNN and an LSTM), [N·T, gates·H] each; hs holds the
// layer's hidden states, N·T rows of H first. Each is one GEMM or one
// column sum over all steps, added into the engine's buffers where it
// offers them (see accGate).
func (g *seqGate) weightGrads(dax, dah, hs *tensor.Tensor, need []bool, acc []*tensor.Tensor) {
	if need[0] {
		g.g[0] = tensor.MatMul(dax, g.wih, false, false).Reshape(g.xShape...)
	}
	product := func(i int, a, b *tensor.Tensor) {
		if acc != nil && acc[i] != nil {
			g.g[i] = tensor.MatMulAddTo(acc[i], a, b, true, false)
		} else {
			g.g[i] = tensor.MatMul(a, b, true, false)
		}
	}
	colSum := func(i int, a *tensor.Tensor) {
		if acc != nil && acc[i] != nil {
			g.g[i] = tensor.SumRowsAddTo(acc[i], a)
		} else {
			g.g[i] = tensor.SumRowsAddTo(tensor.NewLike(a, a.Dim(1)), a)
		}
	}
	if need[1] {
		product(1, dax, g.x2)
	}
	if need[2] {
		prev := tensor.PrevStatesTo(tensor.NewLike(dah, g.n*g.t, g.h), hs, g.h0, g.n, g.t, g.batchFirst)
		product(2, dah, prev)
	}
	if need[3] {
		colSum(3, dax)
	}
	if need[4] {
		colSum(4, dah)
	}
}

// grads returns the gradients for the inputs need covers.
func (g *seqGate) grads(need []bool) []*tensor.Tensor {
	out := g.g[:len(need)]
	for i := range out {
		if !need[i] {
			out[i] = nil
		}
	}
	return out
}

type rnnGate struct {
	seqGate
	y *tensor.Tensor
}

func (g *rnnGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	y := g.setup(in, 1)
	if g.packs != nil {
		g.packs.RNNForwardTo(y, g.h0, g.whh, in[3], in[4], g.n, g.t, g.batchFirst)
	} else {
		tensor.RNNForwardTo(y, g.h0, g.whh, in[3], in[4], g.n, g.t, g.batchFirst)
	}
	g.y = y
	return y.Reshape(g.seqShape(g.h)...)
}

func (g *rnnGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.backwardAcc(dy, need, nil)
}

// backwardAcc adds the weights' and biases' gradients into their buffers
// when the engine offers them (see accGate).
func (g *rnnGate) backwardAcc(dy *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	g.g = [7]*tensor.Tensor{}
	da := tensor.NewLike(dy, g.n*g.t, g.h)
	if len(need) > 5 && need[5] {
		g.g[5] = tensor.NewLike(dy, g.n, g.h)
	}
	tensor.RNNBackwardTo(da, g.g[5], dy, g.y, g.whh, g.n, g.t, g.batchFirst)
	g.weightGrads(da, da, g.y, need, acc)
	return g.grads(need)
}

func (*rnnGate) Info() Info {
	return Info{"rnn", "RNN", "through time: each step's tanh scales the gradient by 1 − h², and W_hh carries it one step back; the shared weights add up every step's share"}
}
