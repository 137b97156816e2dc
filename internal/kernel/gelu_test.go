package kernel

import (
	"math"
	"testing"
)

// TestGELUAccuracy compares GELU and GELUBackward (with dy = 1) of every
// variant with x·Φ(x) and Φ(x) + x·φ(x) in float64 (math.Erfc), over
// every 127th float32 bit pattern (every one with -exhaustive), and checks
// the documented bounds on the absolute error: 2.5·10⁻⁷·max(1, |x|) and
// 5·10⁻⁷·max(1, |x|). An absolute bound, not ulps: in the left tail
// GELU(x) underflows long before x·Φ(x) in float64 does, as it does in
// PyTorch's float32 gelu.
func TestGELUAccuracy(t *testing.T) {
	const fwdBound, bwdBound = 2.5e-7, 5e-7
	stride := sweepStride()
	for _, v := range Variants() {
		t.Run(v.Name, func(t *testing.T) {
			// Per worker: the largest forward and backward errors, and where.
			type worst struct {
				f, b   float64
				af, ab float32
			}
			ws := make([]worst, sweepWorkers())
			sweep(stride, func(w int, x []float32) {
				y, g, ones := make([]float32, len(x)), make([]float32, len(x)), make([]float32, len(x))
				for i := range ones {
					ones[i] = 1
				}
				v.GELU(y, x)
				v.GELUBackward(g, x, ones)
				for i, xi := range x {
					xf := float64(xi)
					if math.IsNaN(xf) || math.IsInf(xf, 0) {
						continue // see TestGELUSpecial
					}
					phi := 0.5 * math.Erfc(-xf/math.Sqrt2)
					scale := max(1, math.Abs(xf))
					if d := math.Abs(float64(y[i])-xf*phi) / scale; d > ws[w].f {
						ws[w].f, ws[w].af = d, xi
					}
					dens := math.Exp(-0.5*xf*xf) / math.Sqrt(2*math.Pi)
					if d := math.Abs(float64(g[i])-(phi+xf*dens)) / scale; d > ws[w].b {
						ws[w].b, ws[w].ab = d, xi
					}
				}
			})
			var all worst
			for _, w := range ws {
				if w.f > all.f {
					all.f, all.af = w.f, w.af
				}
				if w.b > all.b {
					all.b, all.ab = w.b, w.ab
				}
			}
			t.Logf("%s: GELU max error %.3g·max(1,|x|) at x = %v; GELUBackward %.3g at x = %v (stride %d)", v.Name, all.f, all.af, all.b, all.ab, stride)
			if all.f > fwdBound {
				t.Errorf("%s: GELU error %.3g·max(1,|x|) at x = %v, bound %g", v.Name, all.f, all.af, fwdBound)
			}
			if all.b > bwdBound {
				t.Errorf("%s: GELUBackward error %.3g·max(1,|x|) at x = %v, bound %g", v.Name, all.b, all.ab, bwdBound)
			}
		})
	}
}

// TestGELUSpecial checks GELU and its gradient at NaN, ±∞, ±0 and far in
// both tails, as PyTorch's float32 gelu gives them.
func TestGELUSpecial(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	x := []float32{nan, inf, -inf, 0, float32(math.Copysign(0, -1)), -30, 30}
	wantY := []float32{nan, inf, nan, 0, 0, 0, 30}
	wantG := []float32{nan, nan, nan, 0.5, 0.5, 0, 1}
	ones := []float32{1, 1, 1, 1, 1, 1, 1}
	for _, v := range Variants() {
		y, g := make([]float32, len(x)), make([]float32, len(x))
		v.GELU(y, x)
		v.GELUBackward(g, x, ones)
		for i := range x {
			if !(y[i] == wantY[i] || y[i] != y[i] && wantY[i] != wantY[i]) {
				t.Errorf("%s: GELU(%v) = %v, want %v", v.Name, x[i], y[i], wantY[i])
			}
			if !(g[i] == wantG[i] || g[i] != g[i] && wantG[i] != wantG[i]) {
				t.Errorf("%s: GELUBackward(%v) = %v, want %v", v.Name, x[i], g[i], wantG[i])
			}
		}
	}
}
