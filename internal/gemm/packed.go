package gemm

import (
	"fmt"
	"sync"
	"unsafe"
)

// PackedB is the right operand op(B) of a product, k×n, packed once for
// the micro-kernel, for many products with the same B: the recurrent
// weights of a layer, which multiply the state at every time step. Each
// product then skips packing B: for a few rows of A, packing moves every
// value of B for only 2m flops per value. The products give the same
// bits as Gemm with the same operands, except where Gemm computes a
// product transposed (a transposed A with few columns, see dispatch).
type PackedB[T Float] struct {
	n, k int
	p32  packed[float32]
	p64  packed[float64]
}

// packed is op(B) packed for the kernel kr, in a buffer of its pool.
type packed[T Float] struct {
	kr  *kernel[T]
	buf *[]T
}

// The pools of packed operands' buffers, by element size.
var (
	poolPacked32 packedPool[float32]
	poolPacked64 packedPool[float64]
)

// packedPool keeps released buffers of packed operands.
type packedPool[T Float] struct{ p sync.Pool }

// get returns a buffer of n elements (its contents undefined).
func (pp *packedPool[T]) get(n int) *[]T {
	b, _ := pp.p.Get().(*[]T)
	if b == nil {
		b = new([]T)
	}
	if cap(*b) < n {
		*b = make([]T, n)
	}
	*b = (*b)[:n]
	return b
}

func (pp *packedPool[T]) put(b *[]T) { pp.p.Put(b) }

// PackB packs op(B), k×n (B itself, or Bᵀ when transB is set, stored with
// row stride ldb), for products with m rows, as Gemm would pack it. Call
// Release when done with it, so that its memory is used again; in the
// steady state packing allocates nothing.
func PackB[T Float](m int, transB bool, n, k int, b []T, ldb int) PackedB[T] {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: PackB: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	check(false, transB, 1, n, k, k, max(k, 1), len(b), ldb, n, max(n, 1)) // B alone
	p := PackedB[T]{n: n, k: k}
	var z T
	if unsafe.Sizeof(z) == 4 {
		p.p32 = packWith(kernels32, narrow32, tall32, &poolPacked32, m, transB, n, k, as32(b), ldb)
	} else {
		p.p64 = packWith(kernels64, narrow64, tall64, &poolPacked64, m, transB, n, k, as64(b), ldb)
	}
	return p
}

// ReusesOneRowPacking reports whether op(B) packed by PackB for products
// of one row serves products of m rows with the bits Gemm gives them: it
// does unless m is a height at which Gemm takes one tile of the taller
// kernel instead of two of the first (9 to 12 rows with AVX-512).
func ReusesOneRowPacking[T Float](m int) bool {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return m >= 1 && !takesTall(kernels32, tall32, m)
	}
	return m >= 1 && !takesTall(kernels64, tall64, m)
}

// takesTall reports whether products of m rows that would use the first
// kernel of ks use the tall one instead: one tall tile instead of two.
func takesTall[T Float](ks []*kernel[T], tall *kernel[T], m int) bool {
	return tall != nil && m <= tall.mr && m > ks[0].mr
}

// packWith picks the kernel Gemm would pick for m×n products (not
// transposed ones: see dispatch) and packs op(B) for it.
func packWith[T Float](ks []*kernel[T], narrow, tall *kernel[T], pool *packedPool[T], m int, transB bool, n, k int, b []T, ldb int) packed[T] {
	kr := pick(ks, narrow, n)
	if kr == ks[0] && takesTall(ks, tall, m) {
		kr = tall
	}
	brs, bcs := ldb, 1
	if transB {
		brs, bcs = 1, ldb
	}
	npad := ceilDiv(n, kr.nr) * kr.nr
	buf := pool.get(k * npad)
	for pc := 0; pc < k; pc += kr.kc {
		kb := min(kr.kc, k-pc)
		packB((*buf)[pc*npad:], b, brs, bcs, pc, kb, 0, n, kr.nr)
	}
	return packed[T]{kr: kr, buf: buf}
}

// Release returns p's memory for reuse; p must not be used afterwards.
func (p *PackedB[T]) Release() {
	if p.p32.buf != nil {
		poolPacked32.put(p.p32.buf)
	}
	if p.p64.buf != nil {
		poolPacked64.put(p.p64.buf)
	}
	p.p32, p.p64 = packed[float32]{}, packed[float64]{}
}

// GemmPacked sets C = α·op(A)·B + β·C as Gemm does, where B is the packed
// operand p, k×n, and op(A), m×k, is A or Aᵀ (transA) stored with row
// stride lda.
func GemmPacked[T Float](transA bool, m int, alpha T, a []T, lda int, p *PackedB[T], beta T, c []T, ldc int) {
	if p.p32.buf == nil && p.p64.buf == nil {
		panic("gemm: GemmPacked: the packed operand was released")
	}
	n, k := p.n, p.k
	// B is packed: check A and C only (a B of k×n with row stride n).
	check(transA, false, m, n, k, len(a), lda, k*n, max(n, 1), len(c), ldc)
	if p.p32.buf != nil {
		gemmWith(p.p32.kr, transA, false, m, n, k, float32(alpha), as32(a), lda, nil, n, float32(beta), as32(c), ldc, *p.p32.buf)
	} else {
		gemmWith(p.p64.kr, transA, false, m, n, k, float64(alpha), as64(a), lda, nil, n, float64(beta), as64(c), ldc, *p.p64.buf)
	}
}
