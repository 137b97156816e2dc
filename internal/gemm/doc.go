// Package gemm computes the general matrix product
//
//	C = α·op(A)·op(B) + β·C
//
// for float32 and float64, where op(X) is X or Xᵀ, on row-major matrices
// with leading dimensions (row strides) of any size.
//
// The algorithm is Goto's, as in BLIS and OpenBLAS: op(B) is cut into
// panels of kc rows and nc columns that are packed into contiguous Nr-wide
// slivers and stay in the L2 cache, op(A) into Mr-row slivers of kc
// columns that stay in L1, and a register-blocked Mr×Nr micro-kernel,
// written in assembly for AVX-512 and for AVX2+FMA, multiplies one sliver
// of each into a tile of C. The blocking parameters are derived from this
// machine's caches in blocking.go. Edge tiles go through the same kernels
// (AVX-512 with masked loads of B and masked loads and stores of C, the
// others through a small buffer), and matrices small enough that packing
// does not pay are read in place by them. Transposed operands are packed
// by 16×16 (8×8) transposes in AVX-512 registers. Products with few
// columns (the last layer of a classifier) use a narrow 8×16 (8×8) tile,
// or, when A is transposed, are computed as Cᵀ = op(B)ᵀ·op(A)ᵀ with a tall
// 12×32 (12×16) tile and transposed into C. B is packed once per call (in
// parallel when the product is), and chunks of rows (or columns) of C then
// run in parallel on GOMAXPROCS workers (package internal/parallel).
//
// Results do not depend on the number of workers: chunks are made of whole
// tiles, so every element of C is summed in the same order whatever the
// split. They do depend on the
// micro-kernel that the CPU selects, within rounding.
//
// Building with -tags purego, or on a CPU without AVX2 and FMA, replaces
// the assembly with a pure-Go micro-kernel, which is also the reference
// the assembly is tested against.
package gemm

//go:generate go run -C _asm . -out ..
