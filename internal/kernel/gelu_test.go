package kernel

import (
	"math"
	"runtime"
	"sync"
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
	stride := uint64(127)
	if *exhaustive {
		stride = 1
	} else if testing.Short() {
		stride = 4099
	}
	const fwdBound, bwdBound = 2.5e-7, 5e-7
	for _, v := range Variants() {
		t.Run(v.Name, func(t *testing.T) {
			var mu sync.Mutex
			var worstF, worstB float64
			var atF, atB float32
			workers := runtime.GOMAXPROCS(0)
			const chunk = 1 << 14
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					x := make([]float32, chunk)
					y := make([]float32, chunk)
					g := make([]float32, chunk)
					ones := make([]float32, chunk)
					for i := range ones {
						ones[i] = 1
					}
					var wf, wb float64
					var af, ab float32
					for start := uint64(w) * chunk * stride; start < 1<<32; start += uint64(workers) * chunk * stride {
						n := 0
						for b := start; b < 1<<32 && n < chunk; b += stride {
							x[n] = math.Float32frombits(uint32(b))
							n++
						}
						v.GELU(y[:n], x[:n])
						v.GELUBackward(g[:n], x[:n], ones)
						for i, xi := range x[:n] {
							w := float64(xi)
							if math.IsNaN(w) || math.IsInf(w, 0) {
								continue // see TestGELUSpecial
							}
							phi := 0.5 * math.Erfc(-w/math.Sqrt2)
							scale := max(1, math.Abs(w))
							if d := math.Abs(float64(y[i])-w*phi) / scale; d > wf {
								wf, af = d, xi
							}
							dens := math.Exp(-0.5*w*w) / math.Sqrt(2*math.Pi)
							if d := math.Abs(float64(g[i])-(phi+w*dens)) / scale; d > wb {
								wb, ab = d, xi
							}
						}
					}
					mu.Lock()
					if wf > worstF {
						worstF, atF = wf, af
					}
					if wb > worstB {
						worstB, atB = wb, ab
					}
					mu.Unlock()
				})
			}
			wg.Wait()
			t.Logf("%s: GELU max error %.3g·max(1,|x|) at x = %v; GELUBackward %.3g at x = %v (stride %d)", v.Name, worstF, atF, worstB, atB, stride)
			if worstF > fwdBound {
				t.Errorf("%s: GELU error %.3g·max(1,|x|) at x = %v, bound %g", v.Name, worstF, atF, fwdBound)
			}
			if worstB > bwdBound {
				t.Errorf("%s: GELUBackward error %.3g·max(1,|x|) at x = %v, bound %g", v.Name, worstB, atB, bwdBound)
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
