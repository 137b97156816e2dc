package gemm

import (
	"fmt"
	"unsafe"
)

// Micro is one of this package's register-blocked micro-kernels, with its
// tile and blocking, for drivers in other packages that lay out their
// operands themselves: convolution reads its unfolded input in place as
// one operand and packs the weights once per call as the other, instead
// of materialising the unfolded matrix for Gemm to pack again.
//
// The zero Micro is not usable; get one from MicroFor or Micros.
type Micro[T Float] struct{ kr *kernel[T] }

// MicroFor returns the micro-kernel Gemm uses for a product with n
// columns (and more rows than one tile): the narrow one where it exists
// and n fits in its tile, the fastest otherwise.
func MicroFor[T Float](n int) Micro[T] {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return Micro[T]{(*kernel[T])(unsafe.Pointer(pick(kernels32, narrow32, n)))}
	}
	return Micro[T]{(*kernel[T])(unsafe.Pointer(pick(kernels64, narrow64, n)))}
}

// Micros returns every micro-kernel for T that this CPU can run: the
// kernels Gemm may pick, fastest first and the pure-Go reference last,
// then the narrow and tall ones where they exist. Tests use it to run a
// driver over every variant.
func Micros[T Float]() []Micro[T] {
	var z T
	var out []Micro[T]
	add := func(p unsafe.Pointer) {
		if p != nil {
			out = append(out, Micro[T]{(*kernel[T])(p)})
		}
	}
	if unsafe.Sizeof(z) == 4 {
		for _, k := range kernels32 {
			add(unsafe.Pointer(k))
		}
		add(unsafe.Pointer(narrow32))
		add(unsafe.Pointer(tall32))
	} else {
		for _, k := range kernels64 {
			add(unsafe.Pointer(k))
		}
		add(unsafe.Pointer(narrow64))
		add(unsafe.Pointer(tall64))
	}
	return out
}

// Name returns the kernel's name: "avx512", "avx512narrow", "avx512tall",
// "avx2" or "go".
func (u Micro[T]) Name() string { return u.kr.name }

// Mr returns the rows of the kernel's tile.
func (u Micro[T]) Mr() int { return u.kr.mr }

// Nr returns the columns of the kernel's tile.
func (u Micro[T]) Nr() int { return u.kr.nr }

// Partial reports whether the kernel stores partial tiles itself, under
// masks; Tile stores those of the others by way of a buffer.
func (u Micro[T]) Partial() bool { return u.kr.edges }

// Kc returns the depth of a step of the kernel that keeps an Mr×Kc block
// of A in a quarter of the L1 cache (see blockSizes).
func (u Micro[T]) Kc() int { return u.kr.kc }

// Nc returns the width of a Kc×Nc block of B that fills half of the L2
// cache (see blockSizes).
func (u Micro[T]) Nc() int { return u.kr.nc }

// Tile sets the mb×nb block of C at c (row stride ldc) to
//
//	C[i][j] = α·Σₚ A[i][p]·B[p][j] + β·C[i][j]    (i < mb, j < nb, p < k)
//
// where A[i][p] = a[i·rsa + p·csa] and B[p][j] = b[p·rsb + j]. Whatever mb
// and nb, the kernel reads A over all Mr rows and B over all Nr columns
// (the rows and columns past mb and nb are computed and dropped), so those
// elements must exist in a and b; it writes only the mb×nb block of C, by
// way of tmp (Mr·Nr elements) when the kernel cannot store a partial tile
// itself, and reads C only when β ≠ 0. It panics unless k ≥ 1,
// 1 ≤ mb ≤ Mr, 1 ≤ nb ≤ Nr and the slices hold what it reads and writes.
func (u Micro[T]) Tile(k int, a []T, rsa, csa int, b []T, rsb int, c []T, ldc, mb, nb int, alpha, beta T, tmp []T) {
	kr := u.kr
	mr, nr := kr.mr, kr.nr
	if k < 1 || mb < 1 || mb > mr || nb < 1 || nb > nr || rsa < 0 || csa < 0 || rsb < 0 || ldc < nb {
		panic(fmt.Sprintf("gemm: Micro.Tile: k=%d mb=%d nb=%d rsa=%d csa=%d rsb=%d ldc=%d for a %d×%d tile", k, mb, nb, rsa, csa, rsb, ldc, mr, nr))
	}
	if la, lb, lc := (mr-1)*rsa+(k-1)*csa+1, (k-1)*rsb+nr, (mb-1)*ldc+nb; len(a) < la || len(b) < lb || len(c) < lc {
		panic(fmt.Sprintf("gemm: Micro.Tile: slices of %d, %d, %d elements, need %d, %d, %d", len(a), len(b), len(c), la, lb, lc))
	}
	if kr.edges || (mb == mr && nb == nr) {
		kr.fn(k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, mb, nb, alpha, beta)
		return
	}
	if len(tmp) < mr*nr {
		panic(fmt.Sprintf("gemm: Micro.Tile: tmp has %d elements, need %d", len(tmp), mr*nr))
	}
	kr.fn(k, &a[0], rsa, csa, &b[0], rsb, &tmp[0], nr, mr, nr, alpha, 0)
	for i := range mb {
		row := c[i*ldc : i*ldc+nb]
		t := tmp[i*nr : i*nr+nb]
		if beta == 0 {
			copy(row, t)
		} else {
			for j := range row {
				row[j] = t[j] + beta*row[j]
			}
		}
	}
}
