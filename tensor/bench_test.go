package tensor_test

import (
	"fmt"
	"testing"

	"backprop/tensor"
)

func BenchmarkAdd(b *testing.B) {
	const n = 1 << 16
	for _, dt := range dtypes {
		x := tensor.Rand(newRNG(1), dt, n)
		y := tensor.Rand(newRNG(2), dt, n)
		dst := tensor.Zeros(dt, n)
		b.Run(fmt.Sprintf("To/%v/n=%d", dt, n), func(b *testing.B) {
			b.SetBytes(int64(3 * n * dt.Size()))
			b.ReportAllocs()
			for b.Loop() {
				tensor.AddTo(dst, x, y)
			}
		})
		b.Run(fmt.Sprintf("Alloc/%v/n=%d", dt, n), func(b *testing.B) {
			b.SetBytes(int64(3 * n * dt.Size()))
			b.ReportAllocs()
			for b.Loop() {
				tensor.Add(x, y)
			}
		})
		// A [256 256] matrix plus a [256] row: the general broadcasting loop.
		m := x.Reshape(256, 256)
		row := tensor.Rand(newRNG(3), dt, 256)
		bdst := tensor.Zeros(dt, 256, 256)
		b.Run(fmt.Sprintf("Broadcast/%v/n=%d", dt, n), func(b *testing.B) {
			b.SetBytes(int64(2 * n * dt.Size()))
			b.ReportAllocs()
			for b.Loop() {
				tensor.AddTo(bdst, m, row)
			}
		})
	}
}

func BenchmarkMatMul(b *testing.B) {
	const m, n, k = 128, 128, 128
	for _, dt := range dtypes {
		x := tensor.Rand(newRNG(1), dt, m, k)
		y := tensor.Rand(newRNG(2), dt, k, n)
		dst := tensor.Zeros(dt, m, n)
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}} {
			b.Run(fmt.Sprintf("%v/%dx%dx%d/transA=%v/transB=%v", dt, m, n, k, tr[0], tr[1]), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					tensor.MatMulTo(dst, x, y, tr[0], tr[1])
				}
				flops := 2.0 * m * n * k * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
