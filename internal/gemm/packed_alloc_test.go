//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it.

package gemm

import "testing"

// In the steady state, packing an operand and multiplying by it
// allocate nothing: the packed buffers are pooled.
func TestGemmPackedAllocatesNothing(t *testing.T) {
	testPackedAllocs[float32](t)
	testPackedAllocs[float64](t)
}

func testPackedAllocs[T Float](t *testing.T) {
	b, a, c := make([]T, 64*32), make([]T, 8*64), make([]T, 8*32)
	if n := testing.AllocsPerRun(20, func() {
		q := PackB(8, true, 32, 64, b, 64)
		GemmPacked(false, 8, 1, a, 64, &q, 0, c, 32)
		q.Release()
	}); n != 0 {
		t.Errorf("%T: %v allocations per pack and product", a, n)
	}
}
