package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// guard is the number of elements of NaN around C and between its rows
// that a product must leave untouched.
const guard = 37

// sentinel is the bit pattern of the guard NaN, distinct from the NaN a
// computation produces.
const sentinel = 0x7ff4dead

type matrices[T Float] struct {
	transA, transB bool
	m, n, k        int
	lda, ldb, ldc  int
	alpha, beta    T
	a, b           []T
	cbuf           []T // C with guard elements before and after
	c              []T // cbuf[guard : len-guard]
	c0             []T // C before the product
}

func nan[T Float]() T {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return T(math.Float32frombits(sentinel))
	}
	return T(math.Float64frombits(0x7ff400000000dead))
}

func isSentinel[T Float](v T) bool {
	switch x := any(v).(type) {
	case float32:
		return math.Float32bits(x) == sentinel
	case float64:
		return math.Float64bits(x) == 0x7ff400000000dead
	}
	return false
}

// newMatrices builds random operands for the given shapes with row padding
// pad added to each leading dimension. With β = 0, C holds NaN, which must
// not reach the result.
func newMatrices[T Float](rng *rand.Rand, transA, transB bool, m, n, k, pad int, alpha, beta T) *matrices[T] {
	x := &matrices[T]{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	x.lda, x.ldb, x.ldc = max(ac, 1)+pad, max(bc, 1)+2*pad, max(n, 1)+pad
	fill := func(rows, ld int) []T {
		s := make([]T, max(rows*ld, 0))
		for i := range s {
			s[i] = T(rng.Float64()*2 - 1)
		}
		return s
	}
	x.a, x.b = fill(ar, x.lda), fill(br, x.ldb)
	size := m * x.ldc
	x.cbuf = make([]T, size+2*guard)
	for i := range x.cbuf {
		x.cbuf[i] = nan[T]()
	}
	x.c = x.cbuf[guard : guard+size]
	for i := range m {
		for j := range n {
			if beta == 0 {
				x.c[i*x.ldc+j] = T(math.NaN())
			} else {
				x.c[i*x.ldc+j] = T(rng.Float64()*2 - 1)
			}
		}
	}
	x.c0 = append([]T(nil), x.c...)
	return x
}

// verify compares C with a float64 reference: the error of each element
// must be within (k+4)·ε·(|α|·Σₚ|aᵢₚ·bₚⱼ| + |β·cᵢⱼ|), the bound of a
// recursive dot product, which grows with k. The guards must be intact.
func (x *matrices[T]) verify(t *testing.T, what string) {
	t.Helper()
	eps := 0x1p-52
	var z T
	if unsafe.Sizeof(z) == 4 {
		eps = 0x1p-23
	}
	opA := func(i, p int) float64 {
		if x.transA {
			return float64(x.a[p*x.lda+i])
		}
		return float64(x.a[i*x.lda+p])
	}
	opB := func(p, j int) float64 {
		if x.transB {
			return float64(x.b[j*x.ldb+p])
		}
		return float64(x.b[p*x.ldb+j])
	}
	bad := 0
	for i := range x.m {
		for j := range x.n {
			var sum, mag float64
			for p := range x.k {
				v := opA(i, p) * opB(p, j)
				sum += v
				mag += math.Abs(v)
			}
			alpha, beta := float64(x.alpha), float64(x.beta)
			want := alpha * sum
			bound := math.Abs(alpha) * mag
			if beta != 0 {
				c := float64(x.c0[i*x.ldc+j])
				want += beta * c
				bound += math.Abs(beta * c)
			}
			bound = bound*float64(x.k+4)*eps + 1e-300
			got := float64(x.c[i*x.ldc+j])
			if !(math.Abs(got-want) <= bound) {
				if bad++; bad <= 3 {
					t.Errorf("%s: C[%d][%d] = %v, want %v ± %.3g", what, i, j, got, want, bound)
				}
			}
		}
		for j := x.n; j < x.ldc && i < x.m-1; j++ {
			if !isSentinel(x.c[i*x.ldc+j]) {
				t.Fatalf("%s: padding C[%d][%d] overwritten with %v", what, i, j, x.c[i*x.ldc+j])
			}
		}
	}
	for i := range guard {
		if !isSentinel(x.cbuf[i]) || !isSentinel(x.cbuf[len(x.cbuf)-1-i]) {
			t.Fatalf("%s: guard around C overwritten", what)
		}
	}
}

func (x *matrices[T]) run(kr *kernel[T]) {
	check(x.transA, x.transB, x.m, x.n, x.k, len(x.a), x.lda, len(x.b), x.ldb, len(x.c), x.ldc)
	gemm(kr, x.transA, x.transB, x.m, x.n, x.k, x.alpha, x.a, x.lda, x.b, x.ldb, x.beta, x.c, x.ldc)
}

// shapes returns (m, n, k) triples for a kernel: ones, primes, and sizes
// around its tile and block edges.
func shapes[T Float](kr *kernel[T]) [][3]int {
	mr, nr, kc, nc := kr.mr, kr.nr, kr.kc, kr.nc
	return [][3]int{
		{1, 1, 1}, {1, 1, 7}, {1, 9, 1}, {9, 1, 1}, {1, 13, 11}, {13, 1, 11}, {13, 11, 1},
		{2, 3, 5}, {7, 11, 13}, {17, 19, 23}, {31, 37, 41}, {61, 67, 3},
		{mr, nr, 1}, {mr, nr, 8}, {mr - 1, nr - 1, 5}, {mr + 1, nr + 1, 9}, {2*mr - 1, 2*nr + 1, 6},
		{3 * mr, 3 * nr, kc - 1}, {mr + 3, nr + 5, kc}, {2*mr + 1, nr - 3, kc + 1}, {mr, 2 * nr, 2*kc + 3},
		{mr + 2, nc + nr + 3, 9}, {5, nc - 1, kc + 2}, {2*mr + 5, 2*nc + 1, 3},
		{131, 127, 137}, {100, 3, 300}, {3, 100, 70},
	}
}

// products are the (α, β) pairs every shape is tried with.
var products = [][2]float64{{1, 0}, {-1.5, 0}, {1, 1}, {0.5, -2}, {0, 0.5}, {0, 0}}

func testKernel[T Float](t *testing.T, kr *kernel[T]) {
	rng := rand.New(rand.NewPCG(1, 2))
	for si, s := range shapes(kr) {
		for _, forced := range []int{-1, 0, math.MaxInt} { // packed, float32 row-major A in place, then all in place where possible
			old := smallFlops
			smallFlops = max(forced, 0)
			inPlaceA = forced != -1
			for ti := range 4 {
				transA, transB := ti&1 != 0, ti&2 != 0
				ab := products[(si+ti)%len(products)]
				if forced <= 0 && ti == 0 {
					ab = products[si%2] // β = 0 for every shape once
				}
				pad := (si + ti) % 4 * 3
				x := newMatrices(rng, transA, transB, s[0], s[1], s[2], pad, T(ab[0]), T(ab[1]))
				x.run(kr)
				x.verify(t, fmt.Sprintf("%s m=%d n=%d k=%d transA=%v transB=%v α=%v β=%v pad=%d small=%d",
					kr.name, s[0], s[1], s[2], transA, transB, ab[0], ab[1], pad, forced))
			}
			smallFlops, inPlaceA = old, true
		}
	}
	// k = 0 and zero-sized products.
	for _, s := range [][3]int{{3, 4, 0}, {0, 4, 3}, {3, 0, 4}} {
		for _, ab := range products {
			x := newMatrices(rng, false, true, s[0], s[1], s[2], 2, T(ab[0]), T(ab[1]))
			x.run(kr)
			x.verify(t, fmt.Sprintf("%s m=%d n=%d k=%d α=%v β=%v", kr.name, s[0], s[1], s[2], ab[0], ab[1]))
		}
	}
}

func TestKernels(t *testing.T) {
	for _, kr := range kernels32 {
		t.Run("float32/"+kr.name, func(t *testing.T) { testKernel(t, kr) })
	}
	for _, kr := range kernels64 {
		t.Run("float64/"+kr.name, func(t *testing.T) { testKernel(t, kr) })
	}
	if narrow32 != nil {
		t.Run("float32/"+narrow32.name, func(t *testing.T) { testKernel(t, narrow32) })
	}
	if narrow64 != nil {
		t.Run("float64/"+narrow64.name, func(t *testing.T) { testKernel(t, narrow64) })
	}
	if tall32 != nil {
		t.Run("float32/"+tall32.name, func(t *testing.T) { testKernel(t, tall32) })
	}
	if tall64 != nil {
		t.Run("float64/"+tall64.name, func(t *testing.T) { testKernel(t, tall64) })
	}
	t.Logf("float32 kernels: %d, float64 kernels: %d; Gemm uses %s and %s",
		len(kernels32), len(kernels64), Kernel[float32](), Kernel[float64]())
}

// TestKernelsAgree checks that every kernel computes exactly what the
// pure-Go one does on a product whose float32 sums are exact, with small
// integers.
func TestKernelsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m, n, k := 45, 77, 300
	for _, tb := range []bool{false, true} {
		x := newMatrices[float32](rng, false, tb, m, n, k, 1, 1, 0)
		for i := range x.a {
			x.a[i] = float32(rng.IntN(9) - 4)
		}
		for i := range x.b {
			x.b[i] = float32(rng.IntN(9) - 4)
		}
		var want []float32
		for ki, kr := range kernels32 {
			c := make([]float32, m*n)
			gemm(kr, false, tb, m, n, k, 1, x.a, x.lda, x.b, x.ldb, 0, c, n)
			if ki == 0 {
				want = c
				continue
			}
			for i := range c {
				if c[i] != want[i] {
					t.Fatalf("transB=%v: %s and %s differ at %d: %v, %v", tb, kernels32[0].name, kr.name, i, want[i], c[i])
				}
			}
		}
	}
}

func TestGemmPublic(t *testing.T) {
	// The generic entry point on a defined type, and the worked example
	// [1 2; 3 4]·[5 6; 7 8] = [19 22; 43 50].
	type myFloat float32
	a := []myFloat{1, 2, 3, 4}
	b := []myFloat{5, 6, 7, 8}
	c := make([]myFloat, 4)
	Gemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
	if fmt.Sprint(c) != "[19 22 43 50]" {
		t.Errorf("got %v", c)
	}
	d := []float64{1, 1, 1, 1}
	Gemm(true, true, 2, 2, 2, 2, []float64{1, 2, 3, 4}, 2, []float64{5, 6, 7, 8}, 2, -1, d, 2)
	// Aᵀ·Bᵀ = [1 3; 2 4]·[5 7; 6 8] = [23 31; 34 46].
	if fmt.Sprint(d) != "[45 61 67 91]" {
		t.Errorf("got %v", d)
	}
}

// TestWorkersDoNotChangeResults checks bit-for-bit equality between one
// and two workers, over row and column splits.
func TestWorkersDoNotChangeResults(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range [][3]int{{64, 64, 64}, {200, 301, 150}, {5, 700, 100}, {333, 17, 260}, {130, 600, 270}, {900, 10, 300}, {700, 7, 800}} {
		for ti := range 4 {
			x := newMatrices[float32](rng, ti&1 != 0, ti&2 != 0, s[0], s[1], s[2], 1, 1.5, 0.5)
			y := newMatrices[float64](rng, ti&1 != 0, ti&2 != 0, s[0], s[1], s[2], 1, 1.5, 0.5)
			var c32 [2][]float32
			var c64 [2][]float64
			for i, p := range []int{1, 2} {
				old := runtime.GOMAXPROCS(p)
				c32[i] = append([]float32(nil), x.c0...)
				Gemm(x.transA, x.transB, x.m, x.n, x.k, x.alpha, x.a, x.lda, x.b, x.ldb, x.beta, c32[i], x.ldc)
				c64[i] = append([]float64(nil), y.c0...)
				Gemm(y.transA, y.transB, y.m, y.n, y.k, y.alpha, y.a, y.lda, y.b, y.ldb, y.beta, c64[i], y.ldc)
				runtime.GOMAXPROCS(old)
			}
			for i := range c32[0] {
				if math.Float32bits(c32[0][i]) != math.Float32bits(c32[1][i]) {
					t.Fatalf("float32 %v trans=%d: element %d differs: %v with 1 worker, %v with 2", s, ti, i, c32[0][i], c32[1][i])
				}
			}
			for i := range c64[0] {
				if math.Float64bits(c64[0][i]) != math.Float64bits(c64[1][i]) {
					t.Fatalf("float64 %v trans=%d: element %d differs: %v with 1 worker, %v with 2", s, ti, i, c64[0][i], c64[1][i])
				}
			}
		}
	}
}

func TestPanics(t *testing.T) {
	s := make([]float32, 12)
	for _, tc := range []struct {
		f    func()
		want string
	}{
		{func() { Gemm(false, false, -1, 2, 2, 1, s, 2, s, 2, 0, s, 2) }, "gemm: Gemm: negative dimension m=-1 n=2 k=2"},
		{func() { Gemm(false, false, 3, 4, 2, 1, s, 1, s, 4, 0, s, 4) }, "gemm: Gemm: A is 3×2: leading dimension 1 < 2"},
		{func() { Gemm(false, true, 3, 4, 2, 1, s, 2, s[:7], 2, 0, s, 4) }, "gemm: Gemm: B is 4×2 with leading dimension 2: slice has 7 elements, need 8"},
		{func() { Gemm(false, false, 3, 4, 2, 1, s, 2, s, 4, 0, s[:11], 4) }, "gemm: Gemm: C is 3×4 with leading dimension 4: slice has 11 elements, need 12"},
		{func() { Gemm(true, false, 3, 4, 2, 1, s, 2, s, 4, 0, s, 4) }, "gemm: Gemm: A is 2×3: leading dimension 2 < 3"},
	} {
		func() {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.HasPrefix(msg, tc.want) {
					t.Errorf("panic %v, want %q", r, tc.want)
				}
			}()
			tc.f()
		}()
	}
	// Zero-sized operands need no storage.
	Gemm[float64](false, false, 0, 5, 3, 1, nil, 3, nil, 5, 0, nil, 5)
	Gemm[float64](false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0, make([]float64, 4), 2)
	Gemm[float32](true, false, 40, 0, 3, 1, make([]float32, 120), 40, nil, 1, 0, nil, 1) // few columns, none
}

// FuzzGemm checks shapes, transposes, paddings and scalars against the
// float64 reference, with the selected kernel and the pure-Go one.
func FuzzGemm(f *testing.F) {
	for _, s := range [][6]uint8{{1, 1, 1, 0, 0, 0}, {9, 33, 17, 1, 2, 3}, {8, 32, 255, 2, 0, 0}, {17, 3, 70, 3, 1, 7}, {0, 5, 5, 0, 0, 0}, {40, 40, 0, 1, 1, 1}, {65, 129, 33, 0, 3, 255}} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	f.Fuzz(func(t *testing.T, m, n, k, trans, pad, scalars uint8) {
		rng := rand.New(rand.NewPCG(uint64(m)<<16|uint64(n)<<8|uint64(k), uint64(scalars)))
		ab := products[int(scalars)%len(products)]
		ta, tb := trans&1 != 0, trans&2 != 0
		mm, nn, kk, pp := int(m), int(n)+int(trans>>2)*64, int(k), int(pad%8)
		x := newMatrices[float32](rng, ta, tb, mm, nn, kk, pp, float32(ab[0]), float32(ab[1]))
		x.run(kernels32[0])
		x.verify(t, "float32 "+kernels32[0].name)
		y := newMatrices[float64](rng, ta, tb, mm, nn, kk, pp, ab[0], ab[1])
		y.run(kernels64[len(kernels64)-1])
		y.verify(t, "float64 go")
	})
}

// TestPackBTransposed checks packB on a transposed B, with and without the
// register transposes, against its definition: every sliver kb×nr, the
// columns past nb zero.
func TestPackBTransposed(t *testing.T) {
	testPackBTransposed[float32](t, 32)
	testPackBTransposed[float32](t, 16)
	testPackBTransposed[float64](t, 16)
	testPackBTransposed[float64](t, 8)
}

func testPackBTransposed[T Float](t *testing.T, nr int) {
	rng := rand.New(rand.NewPCG(7, 8))
	defer func(old bool) { useTransposeBlock = old }(useTransposeBlock)
	for _, kb := range []int{1, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100} {
		for _, nb := range []int{1, 5, 8, 15, 16, 17, nr - 1, nr, nr + 1, 2*nr + 9, 3 * nr} {
			for _, p0 := range []int{0, 3} {
				j0 := p0 + 1
				ldb := p0 + kb + 5 // B is n×k, op(B)(p, j) = b[p + j·ldb]
				b := make([]T, (j0+nb)*ldb)
				for i := range b {
					b[i] = T(rng.Float64())
				}
				slivers := ceilDiv(nb, nr)
				for _, blocks := range []bool{false, true} {
					useTransposeBlock = blocks
					dst := make([]T, slivers*kb*nr+1)
					for i := range dst {
						dst[i] = nan[T]()
					}
					packB(dst, b, 1, ldb, p0, kb, j0, nb, nr)
					for s := range slivers {
						for p := range kb {
							for j := range nr {
								got := dst[s*kb*nr+p*nr+j]
								var want T
								if jj := s*nr + j; jj < nb {
									want = b[(p0+p)+(j0+jj)*ldb]
								}
								if got != want {
									t.Fatalf("%T nr=%d kb=%d nb=%d p0=%d blocks=%v: sliver %d [%d][%d] = %v, want %v", got, nr, kb, nb, p0, blocks, s, p, j, got, want)
								}
							}
						}
					}
					if !isSentinel(dst[len(dst)-1]) {
						t.Fatalf("kb=%d nb=%d: wrote past the slivers", kb, nb)
					}
				}
			}
		}
	}
}

// TestPackA checks packA, with and without the register transposes, on
// op(A) = A and op(A) = Aᵀ, against its definition: for every p, mr values,
// the rows past mb zero.
func TestPackA(t *testing.T) {
	testPackA[float32](t)
	testPackA[float64](t)
}

func testPackA[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	defer func(old bool) { useTransposeBlock = old }(useTransposeBlock)
	for _, mr := range []int{4, 6, 8, 12, 16} {
		for _, mb := range []int{1, mr/2 + 1, mr - 1, mr} {
			for _, kb := range []int{1, 7, 8, 15, 16, 17, 33, 100} {
				for _, trans := range []bool{false, true} {
					i0, p0 := 2, 3
					rows, cols := i0+mb, p0+kb+4 // A as stored, op(A)(i, p) = a[i·ars + p·acs]
					ars, acs := cols, 1
					if trans {
						rows, cols = cols, rows+1
						ars, acs = 1, cols
					}
					a := make([]T, rows*cols)
					for i := range a {
						a[i] = T(rng.Float64())
					}
					for _, blocks := range []bool{false, true} {
						useTransposeBlock = blocks
						dst := make([]T, kb*mr+1)
						for i := range dst {
							dst[i] = nan[T]()
						}
						packA(dst, a, ars, acs, i0, mb, p0, kb, mr)
						for p := range kb {
							for i := range mr {
								var want T
								if i < mb {
									want = a[(i0+i)*ars+(p0+p)*acs]
								}
								if got := dst[p*mr+i]; got != want {
									t.Fatalf("%T mr=%d mb=%d kb=%d trans=%v blocks=%v: [%d][%d] = %v, want %v", got, mr, mb, kb, trans, blocks, p, i, got, want)
								}
							}
						}
						if !isSentinel(dst[len(dst)-1]) {
							t.Fatalf("mr=%d mb=%d kb=%d: wrote past the sliver", mr, mb, kb)
						}
					}
				}
			}
		}
	}
}

// TestKernelsScalarPacking runs the kernel tests with the packing done
// without register transposes.
func TestKernelsScalarPacking(t *testing.T) {
	defer func(old bool) { useTransposeBlock = old }(useTransposeBlock)
	useTransposeBlock = false
	t.Run("float32", func(t *testing.T) { testKernel(t, kernels32[0]) })
	t.Run("float64", func(t *testing.T) { testKernel(t, kernels64[0]) })
	if tall32 != nil {
		t.Run("float32/tall", func(t *testing.T) { testKernel(t, tall32) })
	}
}

// TestGemmShapes checks the kernel choices of Gemm (narrow tiles, products
// computed transposed) on few-column products, with the transposed path
// forced on and off, against the float64 reference.
func TestGemmShapes(t *testing.T) {
	defer func(c, r int) { swapCols, swapRows = c, r }(swapCols, swapRows)
	rng := rand.New(rand.NewPCG(11, 12))
	shapes := [][3]int{{64, 10, 256}, {256, 10, 64}, {33, 1, 5}, {100, 16, 17}, {40, 12, 300}, {300, 13, 1}, {32, 8, 9}, {77, 2, 1000}, {31, 10, 10}, {10, 256, 64}, {9, 300, 33}, {12, 40, 7}, {11, 1000, 300}}
	for si, s := range shapes {
		for _, swap := range []int{0, 16} {
			swapCols = swap
			for ti := range 4 {
				ab := products[(si+ti)%len(products)]
				pad := (si + ti) % 3 * 2
				x := newMatrices[float32](rng, ti&1 != 0, ti&2 != 0, s[0], s[1], s[2], pad, float32(ab[0]), float32(ab[1]))
				Gemm(x.transA, x.transB, x.m, x.n, x.k, x.alpha, x.a, x.lda, x.b, x.ldb, x.beta, x.c, x.ldc)
				x.verify(t, fmt.Sprintf("float32 %v trans=%d α=%v β=%v swap=%d", s, ti, ab[0], ab[1], swap))
				y := newMatrices[float64](rng, ti&1 != 0, ti&2 != 0, s[0], s[1], s[2], pad, ab[0], ab[1])
				Gemm(y.transA, y.transB, y.m, y.n, y.k, y.alpha, y.a, y.lda, y.b, y.ldb, y.beta, y.c, y.ldc)
				y.verify(t, fmt.Sprintf("float64 %v trans=%d α=%v β=%v swap=%d", s, ti, ab[0], ab[1], swap))
			}
		}
	}
}
