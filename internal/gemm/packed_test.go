package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A product with a packed B gives the bits of Gemm with the same
// operands (where Gemm does not compute the product transposed), for
// every shape around the tiles and blocks, a strided A and C, β = 0 and
// β ≠ 0; the same packed operand serves many products; the guards
// around C stay intact.
func TestGemmPacked(t *testing.T) {
	testGemmPacked[float32](t)
	testGemmPacked[float64](t)
}

func testGemmPacked[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 8))
	for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {32, 1024, 256}, {17, 33, 300}, {8, 16, 513}, {40, 100, 1}, {5, 700, 64}, {200, 301, 150}, {0, 5, 3}, {4, 0, 3}, {4, 5, 0}} {
		m, n, k := s[0], s[1], s[2]
		for tr := range 4 {
			transA, transB := tr&1 != 0, tr&2 != 0
			if transA && n <= swapCols && m >= swapRows {
				continue // Gemm computes it transposed
			}
			for _, beta := range []T{0, 0.5} {
				x := newMatrices[T](rng, transA, transB, m, n, k, 3, 1.5, beta)
				want := append([]T(nil), x.c...)
				Gemm(transA, transB, m, n, k, x.alpha, x.a, x.lda, x.b, x.ldb, beta, want, x.ldc)
				p := PackB(m, transB, n, k, x.b, x.ldb)
				for range 2 { // the packed operand is reusable
					copy(x.c, x.c0)
					GemmPacked(transA, m, x.alpha, x.a, x.lda, &p, beta, x.c, x.ldc)
					for i := range want {
						if !same(x.c[i], want[i]) {
							t.Fatalf("%T %v transA=%v transB=%v β=%v: element %d is %v, Gemm gives %v", x.alpha, s, transA, transB, beta, i, x.c[i], want[i])
						}
					}
				}
				p.Release()
				x.verify(t, "GemmPacked")
			}
		}
	}
	p := PackB(2, false, 3, 4, make([]T, 12), 3)
	p.Release()

	defer func() {
		if recover() == nil {
			t.Error("no panic for a released operand")
		}
	}()
	GemmPacked(false, 2, 1, make([]T, 8), 4, &p, 0, make([]T, 6), 3)
}

func same[T Float](a, b T) bool {
	if a != a && b != b {
		return true
	}
	if f, ok := any(a).(float32); ok {
		return math.Float32bits(f) == math.Float32bits(any(b).(float32))
	}
	return math.Float64bits(float64(a)) == math.Float64bits(float64(b))
}

// A product of one row (a decoder's step) runs on the one-row kernel where
// there is one; each element must have the bits of the same row inside a
// product of many rows, for k within and past one block of kc, both
// transpose flags, β = 0 and β ≠ 0, with B packed per call and packed
// once (GemmPacked).
func TestOneRowMatchesBatch(t *testing.T) {
	testOneRow[float32](t)
	testOneRow[float64](t)
}

func testOneRow[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, s := range [][2]int{{1, 1}, {33, 7}, {384, 128}, {256, 300}, {100, 600}, {17, 1030}} {
		n, k := s[0], s[1]
		for tr := range 4 {
			transA, transB := tr&1 != 0, tr&2 != 0
			for _, beta := range []T{0, 0.5} {
				const m = 13 // a batch of rows, row 5 the one checked alone
				x := newMatrices[T](rng, transA, transB, m, n, k, 2, 1.5, beta)
				batch := append([]T(nil), x.c...)
				Gemm(transA, transB, m, n, k, x.alpha, x.a, x.lda, x.b, x.ldb, beta, batch, x.ldc)
				// Row 5 of op(A) alone: A's row, or Aᵀ's column with the
				// same leading dimension.
				const r = 5
				a, lda := x.a[r:], x.lda
				if !transA {
					a = x.a[r*x.lda:]
				}
				row := append([]T(nil), x.c0[r*x.ldc:r*x.ldc+n]...)
				Gemm(transA, transB, 1, n, k, x.alpha, a, lda, x.b, x.ldb, beta, row, n)
				p := PackB(1, transB, n, k, x.b, x.ldb)
				packed := append([]T(nil), x.c0[r*x.ldc:r*x.ldc+n]...)
				GemmPacked(transA, 1, x.alpha, a, lda, &p, beta, packed, n)
				p.Release()
				for j := range n {
					want := batch[r*x.ldc+j]
					if !same(row[j], want) || !same(packed[j], want) {
						t.Fatalf("%T n=%d k=%d transA=%v transB=%v β=%v: column %d alone %v, packed %v, in the batch %v",
							x.alpha, n, k, transA, transB, beta, j, row[j], packed[j], want)
					}
				}
			}
		}
	}
}

// Where ReusesOneRowPacking says so, a product of m rows through B packed
// for one row gives Gemm's bits; where the tall kernel would take the
// product it says not.
func TestReusesOneRowPacking(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const n, k = 70, 300
	for m := 1; m <= 16; m++ {
		reuse := ReusesOneRowPacking[float32](m)
		if tall32 != nil && m > kernels32[0].mr && m <= tall32.mr && reuse {
			t.Errorf("m = %d: reports reuse where Gemm takes the tall kernel", m)
		}
		if !reuse {
			continue
		}
		x := newMatrices[float32](rng, false, true, m, n, k, 1, 1, 0)
		want := append([]float32(nil), x.c...)
		Gemm(false, true, m, n, k, 1, x.a, x.lda, x.b, x.ldb, 0, want, x.ldc)
		p := PackB(1, true, n, k, x.b, x.ldb)
		GemmPacked(false, m, 1, x.a, x.lda, &p, 0, x.c, x.ldc)
		p.Release()
		for i := range want {
			if !same(x.c[i], want[i]) {
				t.Fatalf("m = %d: element %d is %v through the one-row packing, Gemm gives %v", m, i, x.c[i], want[i])
			}
		}
	}
}
