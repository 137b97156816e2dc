package tensor

import (
	"math"

	"backprop/internal/gemm"
	"backprop/internal/kernel"
)

// This file holds the time loops of the recurrent layers (RNN, LSTM, GRU)
// as PyTorch defines them. The input projections x·W_ihᵀ of all time
// steps are one matrix product, made by the caller before the loop; the
// loop does, per step, the recurrent product h·W_hhᵀ on the packed GEMM,
// whose leading-dimension arguments reach the step's rows in place, and
// the element-wise cell math in one pass over the step's rows. W_hh is
// packed for the micro-kernel once per sequence (gemm.PackB), not at
// every step: for the few rows of a batch, packing moves every weight for
// only 2N flops per weight.
//
// A sequence tensor holds N·T rows, one per sequence and step, ordered as
// its input x: row n·T + t when batch-first ([N, T, ·]), row t·N + n when
// time-major ([T, N, ·]). The rows of step t are then evenly spaced, so a
// step is a strided matrix, and the products of the backward pass (the
// weight gradients, ∂L/∂x) stay single GEMMs over all N·T rows.

// seqLayout places the rows of an N×T sequence.
type seqLayout struct {
	n, t       int
	batchFirst bool
}

// step returns the first row of step s and the distance between the rows
// of consecutive sequences.
func (l seqLayout) step(s int) (first, stride int) {
	if l.batchFirst {
		return s, l.t
	}
	return s * l.n, 1
}

// back is the distance, in rows, from a row to the same sequence's row one
// step earlier.
func (l seqLayout) back() int {
	if l.batchFirst {
		return 1
	}
	return l.n
}

// sigmoidRun sets x = σ(x) in place.
func sigmoidRun[T Float](x []T) {
	if f, ok := any(x).([]float32); ok {
		kernel.Sigmoid(f, f)
		return
	}
	for i, v := range x {
		x[i] = T(sigmoid(float64(v)))
	}
}

// tanhRun sets dst = tanh x.
func tanhRun[T Float](dst, x []T) {
	if f, ok := any(x).([]float32); ok {
		kernel.Tanh(any(dst).([]float32)[:len(f)], f)
		return
	}
	for i, v := range x {
		dst[i] = T(math.Tanh(float64(v)))
	}
}

// rnnCheck checks the operands shared by the recurrent loops and returns
// the layout and the hidden size. acts holds N·T rows of gates·H
// elements; whh is [gates·H, H]; the biases hold gates·H elements; h0 and
// c0, where given, are [N, H].
func rnnCheck(op string, acts, whh *Tensor, biases, states []*Tensor, n, t, gates int, batchFirst bool) (seqLayout, int) {
	if whh.Dims() != 2 || whh.shape[0] != gates*whh.shape[1] {
		panicf(op, "weight_hh %v: want [%d·H H]", whh.shape, gates)
	}
	h := whh.shape[1]
	dt := whh.dtype
	if acts.dtype != dt || acts.Len() != n*t*gates*h {
		panicf(op, "gate buffer %v%v for N=%d T=%d H=%d, weight_hh %v%v", acts.dtype, acts.shape, n, t, h, dt, whh.shape)
	}
	for _, b := range biases {
		if b.dtype != dt || b.Dims() != 1 || b.shape[0] != gates*h {
			panicf(op, "bias %v%v, weight_hh %v%v", b.dtype, b.shape, dt, whh.shape)
		}
	}
	for _, s := range states {
		if s != nil && (s.dtype != dt || s.Dims() != 2 || s.shape[0] != n || s.shape[1] != h) {
			panicf(op, "initial state %v%v, want %v[%d %d]", s.dtype, s.shape, dt, n, h)
		}
	}
	return seqLayout{n, t, batchFirst}, h
}

// opt returns t's elements, or nil for a nil tensor.
func opt[T Float](t *Tensor) []T {
	if t == nil {
		return nil
	}
	return data[T](t)
}

func checkLen(op, name string, t *Tensor, dt DType, n int) {
	if t.dtype != dt || t.Len() != n {
		panicf(op, "%s is %v%v, want %v with %d elements", name, t.dtype, t.shape, dt, n)
	}
}

// LSTMForwardTo runs an LSTM layer over T steps of N sequences, with
// PyTorch's gates i, f, g, o (in this order along the rows of the
// weights):
//
//	i = σ(W_ii x + b_ii + W_hi h + b_hi)    f = σ(W_if x + b_if + W_hf h + b_hf)
//	g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
//	c′ = f ⊙ c + i ⊙ g,  h′ = o ⊙ tanh(c′)
//
// acts holds N·T rows of 4H elements in the order of the input (see the
// comment at the top of this file): on entry x·W_ihᵀ, on return the gate
// activations i, f, g, o that LSTMBackwardTo needs. z, of 2·N·T·H
// elements, receives the hidden states h₁…h_T and then the cell states
// c₁…c_T, each N·T rows of H in the same order. whh is W_hh, [4H, H];
// bih and bhh are [4H]; h0 and c0 are [N, H], or nil for zeros. It
// returns z.
func LSTMForwardTo(z, acts, h0, c0, whh, bih, bhh *Tensor, n, t int, batchFirst bool) *Tensor {
	return lstmForwardTo(nil, z, acts, h0, c0, whh, bih, bhh, n, t, batchFirst)
}

func lstmForwardTo(pc *PackedWeights, z, acts, h0, c0, whh, bih, bhh *Tensor, n, t int, batchFirst bool) *Tensor {
	const op = "LSTM"
	l, h := rnnCheck(op, acts, whh, []*Tensor{bih, bhh}, []*Tensor{h0, c0}, n, t, 4, batchFirst)
	checkLen(op, "output", z, whh.dtype, 2*n*t*h)
	if whh.dtype == Float32 {
		lstmForward(data[float32](z), data[float32](acts), opt[float32](h0), opt[float32](c0), data[float32](whh), data[float32](bih), data[float32](bhh), l, h, prePacked[float32](pc, whh, n))
	} else {
		lstmForward(data[float64](z), data[float64](acts), opt[float64](h0), opt[float64](c0), data[float64](whh), data[float64](bih), data[float64](bhh), l, h, prePacked[float64](pc, whh, n))
	}
	return z
}

func lstmForward[T Float](z, acts, h0, c0, whh, bih, bhh []T, l seqLayout, h int, pre *gemm.PackedB[T]) {
	g4 := 4 * h
	var pb gemm.PackedB[T] // W_hh, packed once for every step
	packed := false
	hs, cs := z[:l.n*l.t*h], z[l.n*l.t*h:]
	for s := range l.t {
		first, stride := l.step(s)
		a, lda := acts[first*g4:], stride*g4
		hp, cp, ldh := h0, c0, h
		if s > 0 {
			p := first - l.back()
			hp, cp, ldh = hs[p*h:], cs[p*h:], stride*h
		}
		if hp != nil && h > 0 {
			if pre != nil {
				pb, packed = *pre, false // the caller's: not released here
			} else if !packed {
				pb = gemm.PackB(l.n, true, g4, h, whh, h)
				packed = true
			}
			gemm.GemmPacked(false, l.n, 1, hp, ldh, &pb, 1, a, lda)
		}
		for b := range l.n {
			row := a[b*lda : b*lda+g4]
			for j := range row {
				row[j] += bih[j] + bhh[j]
			}
			sigmoidRun(row[:2*h])
			tanhRun(row[2*h:3*h], row[2*h:3*h])
			sigmoidRun(row[3*h:])
			ig, fg, gg, og := row[:h], row[h:2*h], row[2*h:3*h], row[3*h:]
			r := (first + b*stride) * h
			c, hh := cs[r:r+h], hs[r:r+h]
			if cp != nil {
				prev := cp[b*ldh : b*ldh+h]
				for j := range c {
					c[j] = fg[j]*prev[j] + ig[j]*gg[j]
				}
			} else {
				for j := range c {
					c[j] = ig[j] * gg[j]
				}
			}
			tanhRun(hh, c)
			for j := range hh {
				hh[j] *= og[j]
			}
		}
	}
	if packed {
		pb.Release()
	}
}

// LSTMBackwardTo is the backward pass through time of LSTMForwardTo: given
// dz, the gradient of the loss with respect to its z (every hidden and
// cell state), and the activations and states the forward pass left in
// acts and z, it sets dacts (like acts) to the gradient with respect to
// the gates' pre-activations, W x + b + W h + b, and dh0 and dc0 (where
// not nil) to the gradients with respect to the initial states:
//
//	δh = ∂L/∂hₜ + (δa_{t+1})·W_hh,   δc = ∂L/∂cₜ + δc_{t+1} ⊙ f_{t+1} + δh ⊙ o ⊙ (1 − tanh² cₜ)
//	δaᵢ = δc ⊙ g ⊙ i(1 − i),  δa_f = δc ⊙ c_{t−1} ⊙ f(1 − f),
//	δa_g = δc ⊙ i ⊙ (1 − g²),  δa_o = δh ⊙ tanh cₜ ⊙ o(1 − o)
//
// The weights' gradients follow from dacts with one GEMM each: ∂L/∂W_ih =
// daᵀ·x, ∂L/∂W_hh = daᵀ·h_{t−1} (see PrevStatesTo), ∂L/∂b = Σ_rows da,
// and ∂L/∂x = da·W_ih.
func LSTMBackwardTo(dacts, dh0, dc0, dz, acts, z, c0, whh *Tensor, n, t int, batchFirst bool) {
	const op = "LSTMBackward"
	l, h := rnnCheck(op, acts, whh, nil, []*Tensor{dh0, dc0, c0}, n, t, 4, batchFirst)
	checkLen(op, "gate gradient", dacts, whh.dtype, acts.Len())
	checkLen(op, "output", z, whh.dtype, 2*n*t*h)
	checkLen(op, "output gradient", dz, whh.dtype, 2*n*t*h)
	dh, dc := NewLike(dz, n, h), NewLike(dz, n, h) // scratch where dz lives (a graph's memory)
	tc := NewLike(dz, h)
	if whh.dtype == Float32 {
		lstmBackward(data[float32](dacts), opt[float32](dh0), opt[float32](dc0), data[float32](dz), data[float32](acts), data[float32](z), opt[float32](c0), data[float32](whh),
			data[float32](dh), data[float32](dc), data[float32](tc), l, h)
	} else {
		lstmBackward(data[float64](dacts), opt[float64](dh0), opt[float64](dc0), data[float64](dz), data[float64](acts), data[float64](z), opt[float64](c0), data[float64](whh),
			data[float64](dh), data[float64](dc), data[float64](tc), l, h)
	}
}

func lstmBackward[T Float](dacts, dh0, dc0, dz, acts, z, c0, whh, dh, dc, tc []T, l seqLayout, h int) {
	g4 := 4 * h
	var pb gemm.PackedB[T] // W_hh, packed once for every step
	packed := false
	nth := l.n * l.t * h
	cs, dhs, dcs := z[nth:], dz[:nth], dz[nth:]
	for s := l.t - 1; s >= 0; s-- {
		first, stride := l.step(s)
		for b := range l.n {
			r := first + b*stride
			a, da := acts[r*g4:(r+1)*g4], dacts[r*g4:(r+1)*g4]
			c, dH, dC := cs[r*h:(r+1)*h], dhs[r*h:(r+1)*h], dcs[r*h:(r+1)*h]
			var prev []T
			if s > 0 {
				p := r - l.back()
				prev = cs[p*h : (p+1)*h]
			} else if c0 != nil {
				prev = c0[b*h : (b+1)*h]
			}
			dhb, dcb := dh[b*h:(b+1)*h], dc[b*h:(b+1)*h]
			tanhRun(tc, c)
			for j := range h {
				ig, fg, gg, og, tj := a[j], a[h+j], a[2*h+j], a[3*h+j], tc[j]
				dht := dH[j] + dhb[j]
				dct := dC[j] + dcb[j] + dht*og*(1-tj*tj)
				var cp T
				if prev != nil {
					cp = prev[j]
				}
				da[j] = dct * gg * ig * (1 - ig)
				da[h+j] = dct * cp * fg * (1 - fg)
				da[2*h+j] = dct * ig * (1 - gg*gg)
				da[3*h+j] = dht * tj * og * (1 - og)
				dcb[j] = dct * fg
			}
		}
		dst := dh
		if s == 0 {
			if dh0 == nil {
				break
			}
			dst = dh0
		}
		if !packed {
			pb = gemm.PackB(l.n, false, h, g4, whh, h)
			packed = true
		}
		gemm.GemmPacked(false, l.n, 1, dacts[first*g4:], stride*g4, &pb, 0, dst, h)
	}
	if dc0 != nil {
		copy(dc0, dc)
	}
	if packed {
		pb.Release()
	}
}

// PrevStatesTo sets the rows of dst, N·T rows of H elements ordered as the
// input of a recurrent layer, to the state each step started from: h₀
// (zeros where h0 is nil) at step 0, else the previous step's row of hs,
// whose first N·T·H elements are the layer's hidden states in the same
// order. It is the right operand of ∂L/∂W_hh = Σₜ δaₜᵀ·h_{t−1}, which is
// then one GEMM over all steps. It returns dst.
func PrevStatesTo(dst, hs, h0 *Tensor, n, t int, batchFirst bool) *Tensor {
	const op = "PrevStates"
	if dst.Dims() != 2 || dst.shape[0] != n*t {
		panicf(op, "destination %v for N=%d T=%d", dst.shape, n, t)
	}
	h := dst.shape[1]
	if hs.dtype != dst.dtype || hs.Len() < n*t*h {
		panicf(op, "states %v%v, destination %v%v", hs.dtype, hs.shape, dst.dtype, dst.shape)
	}
	if h0 != nil {
		checkLen(op, "initial state", h0, dst.dtype, n*h)
	}
	l := seqLayout{n, t, batchFirst}
	if dst.dtype == Float32 {
		prevStates(data[float32](dst), data[float32](hs), opt[float32](h0), l, h)
	} else {
		prevStates(data[float64](dst), data[float64](hs), opt[float64](h0), l, h)
	}
	return dst
}

func prevStates[T Float](dst, hs, h0 []T, l seqLayout, h int) {
	for s := range l.t {
		first, stride := l.step(s)
		for b := range l.n {
			r := first + b*stride
			d := dst[r*h : (r+1)*h]
			switch {
			case s > 0:
				p := r - l.back()
				copy(d, hs[p*h:(p+1)*h])
			case h0 != nil:
				copy(d, h0[b*h:(b+1)*h])
			default:
				clear(d)
			}
		}
	}
}

// GRUForwardTo runs a GRU layer over T steps of N sequences, with
// PyTorch's gates r, z, n (in this order along the rows of the weights):
//
//	r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
//	n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h′ = (1 − z) ⊙ n + z ⊙ h
//
// acts holds N·T rows of 3H elements in the order of the input: on entry
// x·W_ihᵀ, on return the activations r, z, n. hn, N·T rows of H, receives
// W_hn h + b_hn of every step, and y, N·T rows of H, the hidden states
// h₁…h_T. whh is [3H, H]; bih and bhh are [3H]; h0 is [N, H] or nil for
// zeros. It returns y.
func GRUForwardTo(y, hn, acts, h0, whh, bih, bhh *Tensor, n, t int, batchFirst bool) *Tensor {
	return gruForwardTo(nil, y, hn, acts, h0, whh, bih, bhh, n, t, batchFirst)
}

func gruForwardTo(pc *PackedWeights, y, hn, acts, h0, whh, bih, bhh *Tensor, n, t int, batchFirst bool) *Tensor {
	const op = "GRU"
	l, h := rnnCheck(op, acts, whh, []*Tensor{bih, bhh}, []*Tensor{h0}, n, t, 3, batchFirst)
	checkLen(op, "output", y, whh.dtype, n*t*h)
	checkLen(op, "W_hn·h buffer", hn, whh.dtype, n*t*h)
	hp := NewLike(acts, n, 3*h)
	if whh.dtype == Float32 {
		gruForward(data[float32](y), data[float32](hn), data[float32](acts), opt[float32](h0), data[float32](whh), data[float32](bih), data[float32](bhh), data[float32](hp), l, h, prePacked[float32](pc, whh, n))
	} else {
		gruForward(data[float64](y), data[float64](hn), data[float64](acts), opt[float64](h0), data[float64](whh), data[float64](bih), data[float64](bhh), data[float64](hp), l, h, prePacked[float64](pc, whh, n))
	}
	return y
}

func gruForward[T Float](y, hn, acts, h0, whh, bih, bhh, hp []T, l seqLayout, h int, pre *gemm.PackedB[T]) {
	g3 := 3 * h
	var pb gemm.PackedB[T] // W_hh, packed once for every step
	packed := false
	for s := range l.t {
		first, stride := l.step(s)
		prev, ldh := h0, h
		if s > 0 {
			prev, ldh = y[(first-l.back())*h:], stride*h
		}
		if prev != nil && h > 0 {
			if pre != nil {
				pb, packed = *pre, false // the caller's: not released here
			} else if !packed {
				pb = gemm.PackB(l.n, true, g3, h, whh, h)
				packed = true
			}
			gemm.GemmPacked(false, l.n, 1, prev, ldh, &pb, 0, hp, g3)
		} else {
			clear(hp)
		}
		for b := range l.n {
			r := first + b*stride
			a, p := acts[r*g3:(r+1)*g3], hp[b*g3:(b+1)*g3]
			for j := range 2 * h {
				a[j] += bih[j] + p[j] + bhh[j]
			}
			sigmoidRun(a[:2*h])
			rg, zg, ng := a[:h], a[h:2*h], a[2*h:]
			hnr := hn[r*h : (r+1)*h]
			for j := range h {
				hnr[j] = p[2*h+j] + bhh[2*h+j]
				ng[j] += bih[2*h+j] + rg[j]*hnr[j]
			}
			tanhRun(ng, ng)
			out := y[r*h : (r+1)*h]
			if prev != nil {
				pr := prev[b*ldh : b*ldh+h]
				for j := range h {
					out[j] = ng[j] + zg[j]*(pr[j]-ng[j])
				}
			} else {
				for j := range h {
					out[j] = (1 - zg[j]) * ng[j]
				}
			}
		}
	}
	if packed {
		pb.Release()
	}
}

// GRUBackwardTo is the backward pass through time of GRUForwardTo: given
// dy, the gradient with respect to every hidden state, and what the
// forward pass left in y, hn and acts, it sets dax to the gradient with
// respect to the input side's pre-activations W_i· x + b_i·, dah to that
// with respect to the hidden side's W_h· h + b_h·, and dh0 (where not nil)
// to the gradient with respect to the initial state:
//
//	δh = ∂L/∂hₜ + δh_{t+1}·z_{t+1} + (δah_{t+1})·W_hh
//	δa_n = δh ⊙ (1 − z) ⊙ (1 − n²),  δa_z = δh ⊙ (h_{t−1} − n) ⊙ z(1 − z),
//	δa_r = δa_n ⊙ (W_hn h + b_hn) ⊙ r(1 − r)
//	dax = [δa_r, δa_z, δa_n],  dah = [δa_r, δa_z, δa_n ⊙ r]
func GRUBackwardTo(dax, dah, dh0, dy, y, hn, acts, h0, whh *Tensor, n, t int, batchFirst bool) {
	const op = "GRUBackward"
	l, h := rnnCheck(op, acts, whh, nil, []*Tensor{dh0, h0}, n, t, 3, batchFirst)
	for _, c := range []struct {
		name string
		t    *Tensor
		n    int
	}{{"input-side gradient", dax, acts.Len()}, {"hidden-side gradient", dah, acts.Len()},
		{"output", y, n * t * h}, {"output gradient", dy, n * t * h}, {"W_hn·h buffer", hn, n * t * h}} {
		checkLen(op, c.name, c.t, whh.dtype, c.n)
	}
	dh := NewLike(dy, n, h)
	if whh.dtype == Float32 {
		gruBackward(data[float32](dax), data[float32](dah), opt[float32](dh0), data[float32](dy), data[float32](y), data[float32](hn), data[float32](acts), opt[float32](h0), data[float32](whh), data[float32](dh), l, h)
	} else {
		gruBackward(data[float64](dax), data[float64](dah), opt[float64](dh0), data[float64](dy), data[float64](y), data[float64](hn), data[float64](acts), opt[float64](h0), data[float64](whh), data[float64](dh), l, h)
	}
}

func gruBackward[T Float](dax, dah, dh0, dy, y, hn, acts, h0, whh, dh []T, l seqLayout, h int) {
	g3 := 3 * h
	var pb gemm.PackedB[T] // W_hh, packed once for every step
	packed := false
	for s := l.t - 1; s >= 0; s-- {
		first, stride := l.step(s)
		for b := range l.n {
			r := first + b*stride
			a, dx, dhh := acts[r*g3:(r+1)*g3], dax[r*g3:(r+1)*g3], dah[r*g3:(r+1)*g3]
			dY, hnr, dhb := dy[r*h:(r+1)*h], hn[r*h:(r+1)*h], dh[b*h:(b+1)*h]
			var prev []T
			if s > 0 {
				p := r - l.back()
				prev = y[p*h : (p+1)*h]
			} else if h0 != nil {
				prev = h0[b*h : (b+1)*h]
			}
			for j := range h {
				rg, zg, ng := a[j], a[h+j], a[2*h+j]
				dht := dY[j] + dhb[j]
				var hp T
				if prev != nil {
					hp = prev[j]
				}
				dan := dht * (1 - zg) * (1 - ng*ng)
				dar := dan * hnr[j] * rg * (1 - rg)
				daz := dht * (hp - ng) * zg * (1 - zg)
				dx[j], dx[h+j], dx[2*h+j] = dar, daz, dan
				dhh[j], dhh[h+j], dhh[2*h+j] = dar, daz, dan*rg
				dhb[j] = dht * zg // the direct path h′ = … + z ⊙ h
			}
		}
		dst := dh
		if s == 0 {
			if dh0 == nil {
				break
			}
			copy(dh0, dh)
			dst = dh0
		}
		if !packed {
			pb = gemm.PackB(l.n, false, h, g3, whh, h)
			packed = true
		}
		gemm.GemmPacked(false, l.n, 1, dah[first*g3:], stride*g3, &pb, 1, dst, h)
	}
	if packed {
		pb.Release()
	}
}

// RNNForwardTo runs an Elman RNN layer with tanh over T steps of N
// sequences, as PyTorch's RNN:
//
//	h′ = tanh(W_ih x + b_ih + W_hh h + b_hh)
//
// y holds N·T rows of H elements in the order of the input: on entry
// x·W_ihᵀ, on return the hidden states h₁…h_T. whh is [H, H], bih and
// bhh are [H], h0 is [N, H] or nil for zeros. It returns y.
func RNNForwardTo(y, h0, whh, bih, bhh *Tensor, n, t int, batchFirst bool) *Tensor {
	return rnnForwardTo(nil, y, h0, whh, bih, bhh, n, t, batchFirst)
}

func rnnForwardTo(pc *PackedWeights, y, h0, whh, bih, bhh *Tensor, n, t int, batchFirst bool) *Tensor {
	const op = "RNN"
	l, h := rnnCheck(op, y, whh, []*Tensor{bih, bhh}, []*Tensor{h0}, n, t, 1, batchFirst)
	if whh.dtype == Float32 {
		rnnForward(data[float32](y), opt[float32](h0), data[float32](whh), data[float32](bih), data[float32](bhh), l, h, prePacked[float32](pc, whh, n))
	} else {
		rnnForward(data[float64](y), opt[float64](h0), data[float64](whh), data[float64](bih), data[float64](bhh), l, h, prePacked[float64](pc, whh, n))
	}
	return y
}

func rnnForward[T Float](y, h0, whh, bih, bhh []T, l seqLayout, h int, pre *gemm.PackedB[T]) {
	var pb gemm.PackedB[T] // W_hh, packed once for every step
	packed := false
	for s := range l.t {
		first, stride := l.step(s)
		a, lda := y[first*h:], stride*h
		prev, ldh := h0, h
		if s > 0 {
			prev, ldh = y[(first-l.back())*h:], lda
		}
		if prev != nil && h > 0 {
			if pre != nil {
				pb, packed = *pre, false // the caller's: not released here
			} else if !packed {
				pb = gemm.PackB(l.n, true, h, h, whh, h)
				packed = true
			}
			gemm.GemmPacked(false, l.n, 1, prev, ldh, &pb, 1, a, lda)
		}
		for b := range l.n {
			row := a[b*lda : b*lda+h]
			for j := range row {
				row[j] += bih[j] + bhh[j]
			}
			tanhRun(row, row)
		}
	}
	if packed {
		pb.Release()
	}
}

// RNNBackwardTo is the backward pass through time of RNNForwardTo: from
// dy, the gradient with respect to every hidden state, and the states y,
// it sets da (like y) to the gradient with respect to the pre-activations
// and dh0 (where not nil) to that with respect to the initial state:
//
//	δaₜ = (∂L/∂hₜ + δa_{t+1}·W_hh) ⊙ (1 − hₜ²)
func RNNBackwardTo(da, dh0, dy, y, whh *Tensor, n, t int, batchFirst bool) {
	const op = "RNNBackward"
	l, h := rnnCheck(op, y, whh, nil, []*Tensor{dh0}, n, t, 1, batchFirst)
	checkLen(op, "gradient", da, whh.dtype, y.Len())
	checkLen(op, "output gradient", dy, whh.dtype, y.Len())
	dh := NewLike(dy, n, h)
	if whh.dtype == Float32 {
		rnnBackward(data[float32](da), opt[float32](dh0), data[float32](dy), data[float32](y), data[float32](whh), data[float32](dh), l, h)
	} else {
		rnnBackward(data[float64](da), opt[float64](dh0), data[float64](dy), data[float64](y), data[float64](whh), data[float64](dh), l, h)
	}
}

func rnnBackward[T Float](da, dh0, dy, y, whh, dh []T, l seqLayout, h int) {
	var pb gemm.PackedB[T] // W_hh, packed once for every step
	packed := false
	for s := l.t - 1; s >= 0; s-- {
		first, stride := l.step(s)
		for b := range l.n {
			r := first + b*stride
			d, dY, hy, dhb := da[r*h:(r+1)*h], dy[r*h:(r+1)*h], y[r*h:(r+1)*h], dh[b*h:(b+1)*h]
			for j := range h {
				d[j] = (dY[j] + dhb[j]) * (1 - hy[j]*hy[j])
			}
		}
		dst := dh
		if s == 0 {
			if dh0 == nil {
				break
			}
			dst = dh0
		}
		if !packed {
			pb = gemm.PackB(l.n, false, h, h, whh, h)
			packed = true
		}
		gemm.GemmPacked(false, l.n, 1, da[first*h:], stride*h, &pb, 0, dst, h)
	}
	if packed {
		pb.Release()
	}
}
