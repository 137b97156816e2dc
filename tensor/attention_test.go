package tensor_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"backprop/internal/kernel"
	"backprop/tensor"
)

// TestMaskedSoftmax compares MaskedSoftmaxTo, over enough rows for
// several parallel tasks, with the softmax of the scaled scores masked
// by −∞, and SoftmaxBackwardTo with its formula written in tensor
// operations.
func TestMaskedSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 7))
	const n, h, tq, tk = 2, 3, 40, 300
	pad := make([]bool, n*tk)
	for i := range pad {
		pad[i] = i%tk != 0 && rng.IntN(4) == 0
	}
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
		for _, m := range []tensor.AttentionMask{{}, {Causal: true}, {KeyPadding: pad}, {Causal: true, KeyPadding: pad}} {
			s := tensor.Randn(rng, tensor.Float64, n, h, tq, tk).As(dt)
			masked := tensor.Scale(s, 0.3)
			for b := range n {
				for hh := range h {
					for i := range tq {
						for j := range tk {
							if m.Causal && j > tk-tq+i || m.KeyPadding != nil && pad[b*tk+j] {
								masked.Set(math.Inf(-1), b, hh, i, j)
							}
						}
					}
				}
			}
			want := tensor.Softmax(masked, -1)
			got := tensor.MaskedSoftmaxTo(tensor.New(dt, n, h, tq, tk), s, 0.3, m)
			if dt == tensor.Float64 && !tensor.Equal(got, want) || !tensor.AllClose(got, want, 1e-6, 1e-7) {
				t.Errorf("%v %+v: masked softmax differs from the softmax of the masked scores", dt, m.Causal)
			}
			dy := tensor.Randn(rng, tensor.Float64, n, h, tq, tk).As(dt)
			dot := tensor.Sum(tensor.Mul(dy, want), true, -1)
			wantD := tensor.Scale(tensor.Mul(want, tensor.Sub(dy, dot)), 0.3)
			gotD := tensor.SoftmaxBackwardTo(dy.Clone(), want, dy, 0.3)
			if !tensor.AllClose(gotD, wantD, 1e-5, 1e-6) {
				t.Errorf("%v: softmax backward differs from y ⊙ (dy − Σ dy·y)·scale", dt)
			}
		}
	}
}

// TestAttendCached compares attention over the first positions of
// caches with spare capacity with the masked softmax and the products of
// the same positions copied out: the queries are the last t of them.
func TestAttendCached(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 1))
	const n, h, d, dv, capacity = 2, 3, 4, 5, 11
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
		for _, c := range []struct{ t, length int }{{1, 1}, {1, 7}, {3, 7}, {7, 7}, {2, 11}} {
			k := tensor.Randn(rng, tensor.Float64, n, h, capacity, d).As(dt)
			v := tensor.Randn(rng, tensor.Float64, n, h, capacity, dv).As(dt)
			q := tensor.Randn(rng, tensor.Float64, n, h, c.t, d).As(dt)
			got := tensor.AttendCachedTo(tensor.New(dt, n, h, c.t, dv), q, k, v, c.length, 0.5)
			kk, vv := tensor.Slice(k, 2, 0, c.length), tensor.Slice(v, 2, 0, c.length)
			s := tensor.MatMul(q, kk, false, true)
			p := tensor.MaskedSoftmaxTo(s, s, 0.5, tensor.AttentionMask{Causal: true})
			want := tensor.MatMul(p, vv, false, false)
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 1e-5
			}
			if !tensor.AllClose(got, want, tol, tol) {
				t.Errorf("%v t %d of %d: %v, want %v", dt, c.t, c.length, got, want)
			}
		}
	}
	q := tensor.New(tensor.Float32, 1, 1, 3, 2)
	k := tensor.New(tensor.Float32, 1, 1, 4, 2)
	mustPanic(t, func() { tensor.AttendCachedTo(tensor.New(tensor.Float32, 1, 1, 3, 2), q, k, k, 2, 1) },
		"AttendCached", "q [1 1 3 2], caches [1 1 4 2] and [1 1 4 2] of 2 positions: want [N H t d], [N H cap d], [N H cap dv], t ≤ positions ≤ cap")
}

// TestSoftmaxBackwardFloat32 checks that the float32 softmax backward,
// which runs on the SIMD kernels in blocks, gives the bits of its scalar
// definition (sc·y)·(dy − Σ dy·y) for rows shorter and longer than a block.
func TestSoftmaxBackwardFloat32(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 7, 128, 300, 600} {
		y := tensor.Randn(rng, tensor.Float32, 3, n)
		dy := tensor.Randn(rng, tensor.Float32, 3, n)
		const sc = 0.3
		got := tensor.SoftmaxBackwardTo(tensor.New(tensor.Float32, 3, n), y, dy, sc)
		yv, gv := y.Float32s(), dy.Float32s()
		for r := range 3 {
			yr, gr := yv[r*n:(r+1)*n], gv[r*n:(r+1)*n]
			dot := kernel.Dot(gr, yr)
			for j := range n {
				want := float32(float32(sc)*yr[j]) * (gr[j] - dot)
				if g := got.Float32s()[r*n+j]; g != want {
					t.Fatalf("n = %d, row %d, element %d: %v, want %v", n, r, j, g, want)
				}
			}
		}
		// In place, dst = dy, as the attention gate calls it.
		in := dy.Clone()
		if tensor.SoftmaxBackwardTo(in, y, in, sc); !tensor.Equal(in, got) {
			t.Errorf("n = %d: in place differs", n)
		}
	}
}
