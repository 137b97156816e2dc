package ag

import "backprop/tensor"

// GRU runs one layer of a gated recurrent unit over a sequence, as
// PyTorch's GRU, and returns the hidden state of every step: y [N, T, H]
// when batchFirst, else [T, N, H], for x [N, T, I] or [T, N, I]. wih
// [3H, I] and whh [3H, H] are weight_ih and weight_hh, with PyTorch's gate
// order r, z, n along the rows, bih and bhh [3H] their biases; h0 [N, H]
// is the initial state, or nil for zeros.
//
//	forward:  r = σ(W_ir xₜ + b_ir + W_hr h + b_hr),  z = σ(W_iz xₜ + b_iz + W_hz h + b_hz)
//	          n = tanh(W_in xₜ + b_in + r ⊙ (W_hn h + b_hn)),  hₜ = (1 − z) ⊙ n + z ⊙ h
//	          (h = h_{t−1}; the reset gate scales W_hn h + b_hn, as in PyTorch
//	          and cuDNN, not h before the product)
//	backward: through time, from the saved activations and W_hn h + b_hn:
//	          δh = ∂L/∂hₜ + δh_{t+1} ⊙ z_{t+1} + δah_{t+1}·W_hh,
//	          δa_n = δh ⊙ (1−z) ⊙ (1−n²), δa_z = δh ⊙ (h − n) ⊙ z(1−z),
//	          δa_r = δa_n ⊙ (W_hn h + b_hn) ⊙ r(1−r);
//	          the input side gets δax = [δa_r δa_z δa_n], the hidden side
//	          δah = [δa_r δa_z δa_n ⊙ r]: ∂L/∂x = δax·W_ih, ∂L/∂W_ih = δaxᵀ·x,
//	          ∂L/∂W_hh = δahᵀ·h_{t−1}, ∂L/∂b_ih = Σ δax, ∂L/∂b_hh = Σ δah
//
// It is one fused gate for the whole sequence, as LSTM is: one GEMM for
// the input projections of all steps, the recurrent product of each step
// on the packed GEMM fused with the element-wise math, and one GEMM per
// weight gradient (see tensor.GRUForwardTo).
//
//go:noinline
func GRU(x, h0, wih, whh, bih, bhh *Var, batchFirst bool) *Var {
	g := &gruGate{seqGate: seqGate{op: "GRU", gates: 3, batchFirst: batchFirst, packs: packsOf(x)}}
	if h0 == nil {
		return Apply(g, x, wih, whh, bih, bhh)
	}
	return Apply(g, x, wih, whh, bih, bhh, h0)
}

type gruGate struct {
	seqGate
	acts, hn, y *tensor.Tensor
}

func (g *gruGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.acts = g.setup(in, 1)
	g.y = tensor.NewLike(in[0], g.seqShape(g.h)...)
	g.hn = tensor.NewLike(in[0], g.n*g.t, g.h)
	if g.packs != nil {
		return g.packs.GRUForwardTo(g.y, g.hn, g.acts, g.h0, g.whh, in[3], in[4], g.n, g.t, g.batchFirst)
	}
	return tensor.GRUForwardTo(g.y, g.hn, g.acts, g.h0, g.whh, in[3], in[4], g.n, g.t, g.batchFirst)
}

func (g *gruGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.backwardAcc(dy, need, nil)
}

// backwardAcc adds the weights' and biases' gradients into their buffers
// when the engine offers them (see accGate).
func (g *gruGate) backwardAcc(dy *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	g.g = [7]*tensor.Tensor{}
	dax, dah := tensor.NewLike(dy, g.n*g.t, 3*g.h), tensor.NewLike(dy, g.n*g.t, 3*g.h)
	if len(need) > 5 && need[5] {
		g.g[5] = tensor.NewLike(dy, g.n, g.h)
	}
	tensor.GRUBackwardTo(dax, dah, g.g[5], dy, g.y, g.hn, g.acts, g.h0, g.whh, g.n, g.t, g.batchFirst)
	g.weightGrads(dax, dah, g.y, need, acc)
	return g.grads(need)
}

func (*gruGate) Info() Info {
	return Info{"gru", "GRU", "through time: the state's gradient splits at h′ = (1−z) ⊙ n + z ⊙ h (add distributes, mul swaps); the shared weights add up every step's share"}
}
