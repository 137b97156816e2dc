//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only checked without it.

package tensor_test

import (
	"runtime"
	"testing"

	"backprop/tensor"
)

// TestImageOpsAllocateNothing checks that the destination-first forms of
// convolution, pooling and normalisation allocate nothing once warm, on
// one core and on two.
func TestImageOpsAllocateNothing(t *testing.T) {
	rng := newRNG(51)
	for _, dt := range dtypes {
		x := randT(rng, dt, -1, 1, 4, 8, 12, 12)
		w := randT(rng, dt, -1, 1, 16, 8, 3, 3)
		b := randT(rng, dt, -1, 1, 16)
		p := tensor.ConvParams{Padding: [2]int{1, 1}}
		y, dy := tensor.Zeros(dt, 4, 16, 12, 12), randT(rng, dt, -1, 1, 4, 16, 12, 12)
		dx, dw, db := tensor.Zeros(dt, 4, 8, 12, 12), tensor.Zeros(dt, 16, 8, 3, 3), tensor.Zeros(dt, 16)
		k2 := tensor.PoolParams{Kernel: [2]int{2, 2}}
		k3 := tensor.PoolParams{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}
		py, pdy := tensor.Zeros(dt, 4, 8, 6, 6), randT(rng, dt, -1, 1, 4, 8, 6, 6)
		idx := make([]int32, py.Len())
		gy, gdy := tensor.Zeros(dt, 4, 8), randT(rng, dt, -1, 1, 4, 8)
		c8, c8b, m, is := tensor.Ones(dt, 8), tensor.Zeros(dt, 8), tensor.Zeros(dt, 8), tensor.Zeros(dt, 8)
		rm, rv := tensor.Zeros(dt, 8), tensor.Ones(dt, 8)
		xn := tensor.Zeros(dt, 4, 8, 12, 12)
		rows, rmean, ris := tensor.Ones(dt, 144), tensor.Zeros(dt, 32), tensor.Zeros(dt, 32)
		dg, dbt := tensor.Zeros(dt, 144), tensor.Zeros(dt, 144)
		gm, gis := tensor.Zeros(dt, 8), tensor.Zeros(dt, 8)
		cases := map[string]func(){
			"Conv2dTo":               func() { tensor.Conv2dTo(y, x, w, p) },
			"Conv2dBiasTo":           func() { tensor.Conv2dBiasTo(y, x, w, b, p) },
			"Conv2dBackwardDataTo":   func() { tensor.Conv2dBackwardDataTo(dx, dy, w, p) },
			"Conv2dBackwardWeightTo": func() { tensor.Conv2dBackwardWeightTo(dw, dy, x, p, true) },
			"Conv2dBackwardBiasTo":   func() { tensor.Conv2dBackwardBiasTo(db, dy, true) },
			"MaxPool2dTo":            func() { tensor.MaxPool2dTo(py, idx, x, k2) },
			"MaxPool2dTo 3×3":        func() { tensor.MaxPool2dTo(py, idx, x, k3) },
			"MaxPool2dBackwardTo":    func() { tensor.MaxPool2dBackwardTo(dx, pdy, idx) },
			"AvgPool2dTo":            func() { tensor.AvgPool2dTo(py, x, k3) },
			"AvgPool2dBackwardTo":    func() { tensor.AvgPool2dBackwardTo(dx, pdy, k3) },
			"GlobalAvgPool2dTo":      func() { tensor.GlobalAvgPool2dTo(gy, x) },
			"GlobalAvgPool2dBackTo":  func() { tensor.GlobalAvgPool2dBackwardTo(dx, gdy) },
			"BatchNormTrainTo":       func() { tensor.BatchNormTrainTo(xn, m, is, x, c8, c8b, rm, rv, 0.1, 1e-5) },
			"BatchNormEvalTo":        func() { tensor.BatchNormEvalTo(xn, x, c8, c8b, rm, rv, 1e-5) },
			"BatchNormBackwardTo":    func() { tensor.BatchNormBackwardTo(dx, c8b, c8b, xn, x, m, is, c8, true) },
			"BatchNormEvalBackTo":    func() { tensor.BatchNormEvalBackwardTo(dx, c8b, c8b, xn, x, c8, rm, rv, 1e-5, true) },
			"LayerNormTo":            func() { tensor.LayerNormTo(xn, rmean, ris, x, rows, nil, 144, 1e-5) },
			"LayerNormBackwardTo":    func() { tensor.LayerNormBackwardTo(dx, dg, dbt, xn, x, rmean, ris, rows, 144, true) },
			"GroupNormTo":            func() { tensor.GroupNormTo(xn, gm, gis, x, c8, c8b, 2, 1e-5) },
			"GroupNormBackwardTo":    func() { tensor.GroupNormBackwardTo(dx, c8b, c8b, xn, x, gm, gis, c8, 2, true) },
		}
		for _, procs := range []int{1, 2} {
			old := runtime.GOMAXPROCS(procs)
			for name, f := range cases {
				f()
				if n := testing.AllocsPerRun(10, f); n != 0 {
					t.Errorf("%v %s on %d cores: %v allocations per call", dt, name, procs, n)
				}
			}
			runtime.GOMAXPROCS(old)
		}
	}
}
