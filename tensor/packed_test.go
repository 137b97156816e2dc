package tensor_test

import (
	"math/rand/v2"
	"testing"

	"backprop/tensor"
)

// TestPackedWeights checks that PackedWeights.MatMulT gives the bits of
// MatMul for 1 to 8 rows (packed once) and more (not packed), in both
// dtypes, that a weight replaced by another tensor is packed anew, and
// that the recurrent forward passes with W_hh from it match theirs.
func TestPackedWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		c := tensor.NewPackedWeights()
		w := tensor.Randn(rng, tensor.Float64, 300, 70).As(dt)
		for _, m := range []int{1, 2, 8, 9, 40, 1, 3} {
			x := tensor.Randn(rng, tensor.Float64, m, 70).As(dt)
			if got, want := c.MatMulT(x, w), tensor.MatMul(x, w, false, true); !tensor.Equal(got, want) {
				t.Fatalf("%v, %d rows: MatMulT differs from MatMul", dt, m)
			}
		}
		w2 := tensor.Randn(rng, tensor.Float64, 300, 70).As(dt)
		x := tensor.Randn(rng, tensor.Float64, 1, 70).As(dt)
		if got, want := c.MatMulT(x, w2), tensor.MatMul(x, w2, false, true); !tensor.Equal(got, want) {
			t.Fatalf("%v: MatMulT with another weight differs from MatMul", dt)
		}

		// One step of one sequence, as a decoder runs the recurrent layers.
		const h = 24
		for _, gates := range []int{4, 3, 1} {
			whh := tensor.Randn(rng, tensor.Float64, gates*h, h).As(dt)
			bih, bhh := tensor.Randn(rng, tensor.Float64, gates*h).As(dt), tensor.Randn(rng, tensor.Float64, gates*h).As(dt)
			h0, c0 := tensor.Randn(rng, tensor.Float64, 1, h).As(dt), tensor.Randn(rng, tensor.Float64, 1, h).As(dt)
			xw := tensor.Randn(rng, tensor.Float64, 1, gates*h).As(dt)
			run := func(pc *tensor.PackedWeights) *tensor.Tensor {
				acts := xw.Clone()
				switch gates {
				case 4:
					z := tensor.New(dt, 2*h)
					if pc != nil {
						return pc.LSTMForwardTo(z, acts, h0, c0, whh, bih, bhh, 1, 1, true)
					}
					return tensor.LSTMForwardTo(z, acts, h0, c0, whh, bih, bhh, 1, 1, true)
				case 3:
					y, hn := tensor.New(dt, 1, 1, h), tensor.New(dt, h)
					if pc != nil {
						return pc.GRUForwardTo(y, hn, acts, h0, whh, bih, bhh, 1, 1, true)
					}
					return tensor.GRUForwardTo(y, hn, acts, h0, whh, bih, bhh, 1, 1, true)
				}
				y := acts.Reshape(1, 1, h)
				if pc != nil {
					return pc.RNNForwardTo(y, h0, whh, bih, bhh, 1, 1, true)
				}
				return tensor.RNNForwardTo(y, h0, whh, bih, bhh, 1, 1, true)
			}
			for range 2 { // packed on the first call, reused on the second
				if got, want := run(c), run(nil); !tensor.Equal(got, want) {
					t.Fatalf("%v, %d gates: the step with W_hh packed once differs", dt, gates)
				}
			}
		}
	}
}
