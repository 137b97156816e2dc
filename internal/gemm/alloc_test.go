//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it; test.sh runs this in its plain
// pass.

package gemm

import (
	"runtime"
	"testing"
)

func TestNoAllocations(t *testing.T) {
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	for _, n := range []int{16, 200} {
		a := make([]float32, n*n)
		c := make([]float32, n*n)
		Gemm(false, true, n, n, n, 1, a, n, a, n, 0, c, n) // fill the pool
		if allocs := testing.AllocsPerRun(20, func() { Gemm(false, true, n, n, n, 1, a, n, a, n, 0, c, n) }); allocs != 0 {
			t.Errorf("n=%d: %v allocations per call", n, allocs)
		}
	}
}
