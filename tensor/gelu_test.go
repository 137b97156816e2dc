package tensor_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"backprop/tensor"
)

// TestGELU checks both forms against PyTorch 1.13's torch.nn.functional.gelu
// in float64, and float32 against float64.
func TestGELU(t *testing.T) {
	x := []float64{-3, -1, -0.5, 0, 0.5, 1, 2, 4}
	for _, c := range []struct {
		approx bool
		want   []float64
	}{
		{false, []float64{-0.00404969409489031, -0.15865525393145702, -0.15426876936299344, 0, 0.34573123063700656, 0.841344746068543, 1.9544997361036416, 3.9998733150326675}},
		{true, []float64{-0.0036373920817729943, -0.1588080093917233, -0.15428599017485606, 0, 0.34571400982514394, 0.8411919906082768, 1.954597694087775, 3.9999297540518075}},
	} {
		got := tensor.GELU(tensor.FromSlice(x, len(x)), c.approx)
		got32 := tensor.GELU(tensor.FromSlice(x, len(x)).As(tensor.Float32), c.approx)
		for i, w := range c.want {
			if g := got.Flat(i); math.Abs(g-w) > 1e-15 {
				t.Errorf("approx %v: GELU(%g) = %.17g, want %.17g", c.approx, x[i], g, w)
			}
			if g := got32.Flat(i); math.Abs(g-w) > 1e-6 {
				t.Errorf("approx %v: float32 GELU(%g) = %.9g, want %.9g", c.approx, x[i], g, w)
			}
		}
	}
}

// TestGELUBackward compares the derivative with centred differences of
// the forward pass.
func TestGELUBackward(t *testing.T) {
	for _, approx := range []bool{false, true} {
		for _, x := range []float64{-4, -1.3, -0.2, 0, 0.7, 2.5} {
			const h = 1e-6
			f := func(v float64) float64 { return tensor.GELU(tensor.Scalar(tensor.Float64, v), approx).Item() }
			want := 3 * (f(x+h) - f(x-h)) / (2 * h)
			got := tensor.GELUBackward(tensor.Scalar(tensor.Float64, x), tensor.Scalar(tensor.Float64, 3), approx).Item()
			if math.Abs(got-want) > 1e-8 {
				t.Errorf("approx %v: 3·GELU′(%g) = %.12g, want %.12g", approx, x, got, want)
			}
		}
	}
}

// TestGELUFloat32 compares the float32 paths (blocks through the SIMD
// kernels, an erfc approximation) with float64 over a dense range,
// lengths that leave partial blocks included, and checks NaN and the
// infinities, as PyTorch computes them.
func TestGELUFloat32(t *testing.T) {
	const n = 3*256 + 17
	x := tensor.New(tensor.Float64, n)
	for i := range n {
		x.SetFlat(i, -9+18*float64(i)/(n-1))
	}
	dy := tensor.AddScalar(tensor.Scale(x, 0.1), 0.5)
	for _, approx := range []bool{false, true} {
		x32 := x.As(tensor.Float32)
		y32, g32 := tensor.GELU(x32, approx), tensor.GELUBackward(x32, dy.As(tensor.Float32), approx)
		for i := range n {
			xi := x32.Flat(i) // the float32 input, exactly
			want := tensor.GELU(tensor.Scalar(tensor.Float64, xi), approx).Item()
			wantG := tensor.GELUBackward(tensor.Scalar(tensor.Float64, xi), tensor.Scalar(tensor.Float64, dy.As(tensor.Float32).Flat(i)), approx).Item()
			if d := math.Abs(y32.Flat(i) - want); d > 3e-7*max(1, math.Abs(xi)) {
				t.Fatalf("approx %v: float32 GELU(%g) = %.9g, float64 %.9g", approx, xi, y32.Flat(i), want)
			}
			if d := math.Abs(g32.Flat(i) - wantG); d > 1e-6*max(1, math.Abs(xi)) {
				t.Fatalf("approx %v: float32 GELU′(%g)·dy = %.9g, float64 %.9g", approx, xi, g32.Flat(i), wantG)
			}
		}
		// In place, as the ag gate does not but callers may.
		in := x32.Clone()
		if tensor.GELUTo(in, in, approx); !tensor.Equal(in, y32) {
			t.Errorf("approx %v: GELUTo in place differs", approx)
		}
		special := tensor.FromSlice([]float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -20, 0}, 5)
		got := tensor.GELU(special, approx).Values()
		if !math.IsNaN(got[0]) || !math.IsInf(got[1], 1) || !math.IsNaN(got[2]) || got[3] != 0 || got[4] != 0 {
			t.Errorf("approx %v: GELU(NaN, +∞, −∞, −20, 0) = %v, want [NaN +Inf NaN 0 0] as PyTorch", approx, got)
		}
	}
}

// TestGELULarge checks that a float32 tensor long enough to be split over
// the workers gets, element by element, the same bits as each element
// alone, in both forms and both directions.
func TestGELULarge(t *testing.T) {
	const n = 70001 // several chunks and a partial one
	rng := rand.New(rand.NewPCG(3, 4))
	x := tensor.Randn(rng, tensor.Float32, n)
	dy := tensor.Randn(rng, tensor.Float32, n)
	for _, approx := range []bool{false, true} {
		y, g := tensor.GELU(x, approx), tensor.GELUBackward(x, dy, approx)
		for i := 0; i < n; i += 97 {
			xi := tensor.FromSlice([]float32{float32(x.Flat(i))}, 1)
			di := tensor.FromSlice([]float32{float32(dy.Flat(i))}, 1)
			if w := tensor.GELU(xi, approx).Flat(0); y.Flat(i) != w {
				t.Fatalf("approx %v: element %d of a long GELU = %v, alone %v", approx, i, y.Flat(i), w)
			}
			if w := tensor.GELUBackward(xi, di, approx).Flat(0); g.Flat(i) != w {
				t.Fatalf("approx %v: element %d of a long GELUBackward = %v, alone %v", approx, i, g.Flat(i), w)
			}
		}
	}
}
