package tensor_test

import (
	"fmt"
	"runtime"
	"testing"

	"backprop/tensor"
)

// BenchmarkImageOps measures the pooling and normalisation passes of the
// PyTorch MNIST example CNN at batch 64, after its 32→64 convolution:
// [64, 64, 24, 24] float32, reporting the input's gigabytes per second.
func BenchmarkImageOps(b *testing.B) {
	const n, c, h, w = 64, 64, 24, 24
	rng := newRNG(71)
	f := tensor.Float32
	x, dy := randT(rng, f, -1, 1, n, c, h, w), randT(rng, f, -1, 1, n, c, h, w)
	y, dx := tensor.Zeros(f, n, c, h, w), tensor.Zeros(f, n, c, h, w)
	k2 := tensor.PoolParams{Kernel: [2]int{2, 2}}
	py, pdy := tensor.Zeros(f, n, c, h/2, w/2), randT(rng, f, -1, 1, n, c, h/2, w/2)
	idx := make([]int32, py.Len())
	g, be, m, is := tensor.Ones(f, c), tensor.Zeros(f, c), tensor.Zeros(f, c), tensor.Zeros(f, c)
	rm, rv, dg, db := tensor.Zeros(f, c), tensor.Ones(f, c), tensor.Zeros(f, c), tensor.Zeros(f, c)
	gm, gis := tensor.Zeros(f, n*8), tensor.Zeros(f, n*8)
	for _, op := range []struct {
		name string
		f    func()
	}{
		{"MaxPool2d", func() { tensor.MaxPool2dTo(py, idx, x, k2) }},
		{"MaxPool2dBackward", func() { tensor.MaxPool2dBackwardTo(dx, pdy, idx) }},
		{"BatchNormTrain", func() { tensor.BatchNormTrainTo(y, m, is, x, g, be, rm, rv, 0.1, 1e-5) }},
		{"BatchNormBackward", func() { tensor.BatchNormBackwardTo(dx, dg, db, dy, x, m, is, g, true) }},
		{"GroupNorm", func() { tensor.GroupNormTo(y, gm, gis, x, g, be, 8, 1e-5) }},
		{"GroupNormBackward", func() { tensor.GroupNormBackwardTo(dx, dg, db, dy, x, gm, gis, g, 8, true) }},
	} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", op.name, threads), func(b *testing.B) {
				old := runtime.GOMAXPROCS(threads)
				defer runtime.GOMAXPROCS(old)
				op.f()
				b.ReportAllocs()
				for b.Loop() {
					op.f()
				}
				b.ReportMetric(float64(x.Len()*4)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}
