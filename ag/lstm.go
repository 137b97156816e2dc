package ag

import "backprop/tensor"

// LSTM runs one layer of a long short-term memory over a sequence, as
// PyTorch's LSTM, and returns the hidden and the cell state of every step
// stacked: z [2, N, T, H] when batchFirst, else [2, T, N, H], for x
// [N, T, I] or [T, N, I]; z[0] is the layer's output sequence and z[1]
// the cell states. wih [4H, I] and whh [4H, H] are weight_ih and
// weight_hh, with PyTorch's gate order i, f, g, o along the rows, bih and
// bhh [4H] their biases; h0 and c0 [N, H] are the initial states, or both
// nil for zeros. (CS231n's LSTM orders the gates i, f, o, g: its weights
// carry over with the last two blocks of H rows swapped.)
//
//	forward:  [aᵢ a_f a_g a_o] = W_ih xₜ + b_ih + W_hh h_{t−1} + b_hh
//	          i, f, o = σ(aᵢ), σ(a_f), σ(a_o),  g = tanh(a_g)
//	          cₜ = f ⊙ c_{t−1} + i ⊙ g,  hₜ = o ⊙ tanh(cₜ)
//	backward: through time, from the saved gate activations and states:
//	          δh = ∂L/∂hₜ + δa_{t+1}·W_hh,
//	          δc = ∂L/∂cₜ + δc_{t+1} ⊙ f_{t+1} + δh ⊙ o ⊙ (1 − tanh² cₜ),
//	          δaᵢ = δc ⊙ g ⊙ i(1−i), δa_f = δc ⊙ c_{t−1} ⊙ f(1−f),
//	          δa_g = δc ⊙ i ⊙ (1−g²), δa_o = δh ⊙ tanh cₜ ⊙ o(1−o);
//	          then ∂L/∂x = δa·W_ih, ∂L/∂W_ih = δaᵀ·x, ∂L/∂W_hh = δaᵀ·h_{t−1},
//	          ∂L/∂b_ih = ∂L/∂b_hh = Σ δa, ∂L/∂h₀ = δa₁·W_hh, ∂L/∂c₀ = δc₁ ⊙ f₁
//
// It is one fused gate for the whole sequence, not a graph of cells: the
// input projections of all steps are one GEMM, each step's recurrent
// product runs on the packed GEMM into that step's rows in place, fused
// with the cell's element-wise math, and the weight gradients are one
// GEMM each over all steps (see tensor.LSTMForwardTo). It computes what
// the same cell composed of MatMul, Slice, Sigmoid, Tanh, Mul and Add
// computes, with one graph node instead of about 15 per step.
//
//go:noinline
func LSTM(x, h0, c0, wih, whh, bih, bhh *Var, batchFirst bool) *Var {
	g := &lstmGate{seqGate: seqGate{op: "LSTM", gates: 4, batchFirst: batchFirst, packs: packsOf(x)}}
	switch {
	case h0 == nil && c0 == nil:
		return Apply(g, x, wih, whh, bih, bhh)
	case h0 == nil || c0 == nil:
		panic("ag: LSTM: give both initial states h0 and c0, or neither")
	}
	return Apply(g, x, wih, whh, bih, bhh, h0, c0)
}

type lstmGate struct {
	seqGate
	acts, z *tensor.Tensor
}

func (g *lstmGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.acts = g.setup(in, 2)
	sh := g.seqShape(g.h)
	g.z = tensor.NewLike(in[0], 2, sh[0], sh[1], sh[2])
	if g.packs != nil {
		return g.packs.LSTMForwardTo(g.z, g.acts, g.h0, g.c0, g.whh, in[3], in[4], g.n, g.t, g.batchFirst)
	}
	return tensor.LSTMForwardTo(g.z, g.acts, g.h0, g.c0, g.whh, in[3], in[4], g.n, g.t, g.batchFirst)
}

func (g *lstmGate) Backward(dz *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.backwardAcc(dz, need, nil)
}

// backwardAcc adds the weights' and biases' gradients into their buffers
// when the engine offers them (see accGate).
func (g *lstmGate) backwardAcc(dz *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	g.g = [7]*tensor.Tensor{}
	da := tensor.NewLike(dz, g.n*g.t, 4*g.h)
	if len(need) > 5 {
		if need[5] {
			g.g[5] = tensor.NewLike(dz, g.n, g.h)
		}
		if need[6] {
			g.g[6] = tensor.NewLike(dz, g.n, g.h)
		}
	}
	tensor.LSTMBackwardTo(da, g.g[5], g.g[6], dz, g.acts, g.z, g.c0, g.whh, g.n, g.t, g.batchFirst)
	g.weightGrads(da, da, g.z, need, acc)
	return g.grads(need)
}

func (*lstmGate) Info() Info {
	return Info{"lstm", "LSTM", "through time: the cell state's gradient flows back through f ⊙ (add distributes, mul swaps), the gates' through σ′ and tanh′; the shared weights add up every step's share"}
}
