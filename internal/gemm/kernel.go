package gemm

import "unsafe"

// Float is the element type of a matrix.
type Float interface{ ~float32 | ~float64 }

// A kernel is a register-blocked micro-kernel with its blocking. Its fn
// sets the mr×nr tile at c (row stride ldc) to
//
//	C[i][j] = α·Σₚ A[i][p]·B[p][j] + β·C[i][j]    (i < mr, j < nr, p < k)
//
// where A[i][p] = a[i·rsa + p·csa] and B[p][j] = b[p·rsb + j]; it reads A
// and B over the full Mr×Nr tile (the caller pads partial slivers) and C
// only when β ≠ 0. A kernel without edges handles only mr = Mr, nr = Nr;
// one with maskB reads B only in its first nr columns, so that a partial
// sliver of B can be read in place.
type kernel[T Float] struct {
	name   string
	mr, nr int  // Mr, Nr: the tile
	edges  bool // fn writes partial tiles itself
	maskB  bool // fn reads only the nr columns of B it computes
	kc, nc int  // the blocking (blockSizes)
	fn     func(k int, a *T, rsa, csa int, b *T, rsb int, c *T, ldc, mr, nr int, alpha, beta T)
	// one, if not nil, is the one-row kernel with this kernel's tile
	// width, blocking and packing, which products of one row use instead:
	// it computes what row 0 of this kernel does, with the same bits.
	one *kernel[T]
}

// withOne returns kr with the one-row kernel fn attached (see one).
func withOne[T Float](kr *kernel[T], name string, fn func(k int, a *T, rsa, csa int, b *T, rsb int, c *T, ldc, mr, nr int, alpha, beta T)) *kernel[T] {
	kr.one = &kernel[T]{name: name, mr: 1, nr: kr.nr, edges: true, maskB: true, kc: kr.kc, nc: kr.nc, fn: fn}
	return kr
}

func newKernel[T Float](name string, mr, nr int, edges bool, fn func(k int, a *T, rsa, csa int, b *T, rsb int, c *T, ldc, mr, nr int, alpha, beta T)) *kernel[T] {
	var z T
	kc, nc := blockSizes(mr, nr, int(unsafe.Sizeof(z)))
	return &kernel[T]{name: name, mr: mr, nr: nr, edges: edges, kc: kc, nc: nc, fn: fn}
}

// kernels32 and kernels64 list the kernels this CPU can run, the fastest
// first; the last is always the pure-Go kernel. narrow32 and narrow64,
// nil where there is none, are the kernels with a narrower tile that
// Gemm uses instead of the first when n fits in it; tall32 and tall64,
// with a taller tile, compute the products with few columns that Gemm
// transposes.
var (
	kernels32 []*kernel[float32]
	kernels64 []*kernel[float64]
	narrow32  *kernel[float32]
	narrow64  *kernel[float64]
	tall32    *kernel[float32]
	tall64    *kernel[float64]
)

func init() {
	kernels32 = append(asmKernels32(), newKernel("go", goMr, goNr, true, kernGo[float32]))
	kernels64 = append(asmKernels64(), newKernel("go", goMr, goNr, true, kernGo[float64]))
	narrow32, narrow64 = asmNarrow32(), asmNarrow64()
	tall32, tall64 = asmTall32(), asmTall64()
}

// pick returns the kernel for a product with n columns: the narrow one
// where it exists and n fits in its tile, the fastest otherwise.
func pick[T Float](ks []*kernel[T], narrow *kernel[T], n int) *kernel[T] {
	if narrow != nil && n <= narrow.nr {
		return narrow
	}
	return ks[0]
}

// The tile of the pure-Go kernel: 16 accumulators, as many as the SSE
// registers the Go compiler allocates.
const (
	goMr = 4
	goNr = 4
)

// kernGo is the pure-Go micro-kernel: the reference for the assembly ones
// and the fallback where they cannot run.
func kernGo[T Float](k int, a *T, rsa, csa int, b *T, rsb int, c *T, ldc, mr, nr int, alpha, beta T) {
	as := unsafe.Slice(a, (goMr-1)*rsa+(k-1)*csa+1)
	bs := unsafe.Slice(b, (k-1)*rsb+goNr)
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 T
	ia, ib := 0, 0
	for range k {
		a0, a1, a2, a3 := as[ia], as[ia+rsa], as[ia+2*rsa], as[ia+3*rsa]
		bp := bs[ib : ib+goNr : ib+goNr]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
		ia += csa
		ib += rsb
	}
	acc := [goMr][goNr]T{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	cs := unsafe.Slice(c, (mr-1)*ldc+nr)
	for i := range mr {
		row := cs[i*ldc : i*ldc+nr]
		if beta == 0 {
			for j := range row {
				row[j] = alpha * acc[i][j]
			}
		} else {
			for j := range row {
				row[j] = alpha*acc[i][j] + beta*row[j]
			}
		}
	}
}
