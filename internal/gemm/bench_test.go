package gemm

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkGemm measures C = A·B for square n×n float32 and float64
// matrices on one and two workers, reporting GFLOP/s (2n³ per product).
func BenchmarkGemm(b *testing.B) {
	for _, dtype := range []string{"float32", "float64"} {
		for _, n := range []int{64, 128, 256, 512, 1024} {
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/n=%d/threads=%d", dtype, n, threads), func(b *testing.B) {
					if dtype == "float32" {
						benchGemm[float32](b, n, n, n, false, false, threads)
					} else {
						benchGemm[float64](b, n, n, n, false, false, threads)
					}
				})
			}
		}
	}
}

// BenchmarkGemmTraining measures the products of a 784-512-256-10 MLP at
// batch 256: forward x·W, and the backward dX = dY·Wᵀ and dW = Xᵀ·dY.
func BenchmarkGemmTraining(b *testing.B) {
	for _, s := range [][3]int{{256, 512, 784}, {256, 256, 512}, {256, 10, 256}} {
		m, n, k := s[0], s[1], s[2]
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/threads=%d", m, n, k, threads), func(b *testing.B) { benchGemm[float32](b, m, n, k, false, false, threads) })
			b.Run(fmt.Sprintf("%dx%dx%dᵀ/threads=%d", m, k, n, threads), func(b *testing.B) { benchGemm[float32](b, m, k, n, false, true, threads) })
			b.Run(fmt.Sprintf("%dᵀx%dx%d/threads=%d", k, n, m, threads), func(b *testing.B) { benchGemm[float32](b, k, n, m, true, false, threads) })
		}
	}
}

func benchGemm[T Float](b *testing.B, m, n, k int, transA, transB bool, threads int) {
	old := runtime.GOMAXPROCS(threads)
	defer runtime.GOMAXPROCS(old)
	a := make([]T, m*k)
	bm := make([]T, k*n)
	c := make([]T, m*n)
	for i := range a {
		a[i] = T(i%7) - 3
	}
	for i := range bm {
		bm[i] = T(i%5) - 2
	}
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	b.ReportAllocs()
	for b.Loop() {
		Gemm(transA, transB, m, n, k, 1, a, lda, bm, ldb, 0, c, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemmGPT measures the products of a linear layer of the gpt
// preset's blocks at batch 32 × context 128 (4096 rows, width 128, the
// MLP's 512): forward X·Wᵀ, and the backward dX = dY·W and dW = dYᵀ·X.
func BenchmarkGemmGPT(b *testing.B) {
	const rows = 4096
	for _, s := range [][2]int{{128, 384}, {128, 512}, {512, 128}} {
		in, out := s[0], s[1]
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%dᵀ/threads=%d", rows, out, in, threads), func(b *testing.B) { benchGemm[float32](b, rows, out, in, false, true, threads) })
			b.Run(fmt.Sprintf("%dx%dx%d/threads=%d", rows, in, out, threads), func(b *testing.B) { benchGemm[float32](b, rows, in, out, false, false, threads) })
			b.Run(fmt.Sprintf("%dᵀx%dx%d/threads=%d", out, in, rows, threads), func(b *testing.B) { benchGemm[float32](b, out, in, rows, true, false, threads) })
		}
	}
}
