package kernel

import (
	"flag"
	"math"
	"runtime"
	"sync"
	"testing"
)

var exhaustive = flag.Bool("exhaustive", false, "check exp, sigmoid and tanh on every float32 bit pattern (minutes)")

// sigmoid64 is the float64 reference of the sigmoid.
func sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + Exp64(-x))
	}
	e := Exp64(x)
	return e / (1 + e)
}

// accuracyCases are the approximated kernels, their float64 references
// and the documented bound in ulps of the reference rounded to float32.
// The references are within 1 ulp of the correctly rounded float64 result
// (Exp64 is checked against 256-bit arithmetic in exp64_test.go), so
// rounded to float32 they are the correctly rounded float32 results but
// for double-rounding ties, about one input in 2²⁹.
var accuracyCases = []struct {
	name string
	kern func(v *Variant) func(dst, x []float32)
	ref  func(float64) float64
	ulps int64
}{
	{"Exp", func(v *Variant) func(dst, x []float32) { return v.Exp }, Exp64, 1},
	{"Sigmoid", func(v *Variant) func(dst, x []float32) { return v.Sigmoid }, sigmoid64, 2},
	{"Tanh", func(v *Variant) func(dst, x []float32) { return v.Tanh }, math.Tanh, 2},
}

// TestAccuracy compares exp, sigmoid and tanh of every variant with
// Exp64, the float64 sigmoid and math.Tanh rounded to float32, over a
// sweep of the whole float32 range: every 127th bit pattern, every pattern
// with -exhaustive. It logs the largest error found for each.
func TestAccuracy(t *testing.T) {
	stride := sweepStride()
	for _, ac := range accuracyCases {
		t.Run(ac.name, func(t *testing.T) {
			vs := Variants()
			// worst[w][vi], at[w][vi]: worker w's largest error of variant vi.
			worst := make([][]int64, sweepWorkers())
			at := make([][]float32, sweepWorkers())
			for w := range worst {
				worst[w], at[w] = make([]int64, len(vs)), make([]float32, len(vs))
			}
			sweep(stride, func(w int, x []float32) {
				want, got := make([]float32, len(x)), make([]float32, len(x))
				for i, v := range x {
					want[i] = float32(ac.ref(float64(v)))
				}
				for vi, v := range vs {
					ac.kern(v)(got, x)
					for i := range x {
						if d := ulpDiff(got[i], want[i]); d > worst[w][vi] {
							worst[w][vi], at[w][vi] = d, x[i]
						}
					}
				}
			})
			for vi, v := range vs {
				var e int64
				var x float32
				for w := range worst {
					if worst[w][vi] > e {
						e, x = worst[w][vi], at[w][vi]
					}
				}
				t.Logf("%s %s: max error %d ulp (at x = %v, stride %d)", ac.name, v.Name, e, x, stride)
				if e > ac.ulps {
					t.Errorf("%s %s: error %d ulp at x = %v (%#x), bound %d", ac.name, v.Name, e, x, math.Float32bits(x), ac.ulps)
				}
			}
		})
	}
}

// sweepStride is the step between the bit patterns the sweeps visit:
// every 127th, every one with -exhaustive, every 4099th with -short.
func sweepStride() uint64 {
	switch {
	case *exhaustive:
		return 1
	case testing.Short():
		return 4099
	}
	return 127
}

// sweepWorkers is the number of workers sweep runs on.
func sweepWorkers() int { return runtime.GOMAXPROCS(0) }

// sweep calls visit(w, x) with the float32 bit patterns 0, stride,
// 2·stride, … below 2³², in chunks x of up to 16 Ki values, on
// sweepWorkers() workers at once; w names the worker, so that each can
// keep its own results without locks.
func sweep(stride uint64, visit func(w int, x []float32)) {
	const chunk = 1 << 14
	workers := sweepWorkers()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			x := make([]float32, chunk)
			for start := uint64(w) * chunk * stride; start < 1<<32; start += uint64(workers) * chunk * stride {
				n := 0
				for b := start; b < 1<<32 && n < chunk; b += stride {
					x[n] = math.Float32frombits(uint32(b))
					n++
				}
				visit(w, x[:n])
			}
		})
	}
	wg.Wait()
}

// TestSpecialValues checks the ends of the range of every variant.
func TestSpecialValues(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, v := range Variants() {
		check := func(name string, f func(dst, x []float32), x, want float32) {
			d := []float32{0}
			f(d, []float32{x})
			if !(d[0] == want || (d[0] != d[0] && want != want)) {
				t.Errorf("%s %s(%v) = %v, want %v", v.Name, name, x, d[0], want)
			}
		}
		check("Exp", v.Exp, nan, nan)
		check("Exp", v.Exp, inf, inf)
		check("Exp", v.Exp, -inf, 0)
		check("Exp", v.Exp, 88.72284, inf)
		check("Exp", v.Exp, 1000, inf)
		check("Exp", v.Exp, -104, 0)
		check("Exp", v.Exp, -1000, 0)
		check("Exp", v.Exp, 0, 1)
		check("Exp", v.Exp, -103.2, math.SmallestNonzeroFloat32)
		check("Sigmoid", v.Sigmoid, nan, nan)
		check("Sigmoid", v.Sigmoid, inf, 1)
		check("Sigmoid", v.Sigmoid, -inf, 0)
		check("Sigmoid", v.Sigmoid, 0, 0.5)
		check("Sigmoid", v.Sigmoid, 200, 1)
		check("Sigmoid", v.Sigmoid, -200, 0)
		check("Tanh", v.Tanh, nan, nan)
		check("Tanh", v.Tanh, inf, 1)
		check("Tanh", v.Tanh, -inf, -1)
		check("Tanh", v.Tanh, 50, 1)
		check("Tanh", v.Tanh, -50, -1)
		check("Tanh", v.Tanh, float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1)))
	}
}
