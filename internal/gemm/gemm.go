package gemm

import (
	"fmt"
	"sync"
	"unsafe"

	"backprop/internal/parallel"
)

// Gemm sets C = α·op(A)·op(B) + β·C, where op(A) is m×k, op(B) is k×n and
// C is m×n, all row-major: element (i, j) of C is c[i·ldc + j], op(X) is
// X, or Xᵀ when transX is set, and X is stored with row stride ldx. When
// β = 0, C is not read (NaN in C does not propagate). It panics if a
// dimension is negative, a leading dimension is smaller than its row, or
// a slice is too short.
func Gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	check(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if unsafe.Sizeof(alpha) == 4 {
		dispatch(kernels32, narrow32, tall32, transA, transB, m, n, k, float32(alpha), as32(a), lda, as32(b), ldb, float32(beta), as32(c), ldc)
	} else {
		dispatch(kernels64, narrow64, tall64, transA, transB, m, n, k, float64(alpha), as64(a), lda, as64(b), ldb, float64(beta), as64(c), ldc)
	}
}

// dispatch runs the product with the kernel that suits its shape, given
// the kernels of the CPU, the fastest first, and the narrow and tall ones
// (or nil). A product with few columns and many rows and a transposed A is
// computed transposed, Cᵀ = op(B)ᵀ·op(A)ᵀ, with the tall kernel (or the
// first) into a buffer that is then transposed into C: op(A)ᵀ = A is read
// in place as the wide side of the tiles, each broadcast of op(B) feeding
// two vectors of it. The other few-column products use the narrow kernel,
// which reads A in place by broadcasts: for them op(A)ᵀ would have to be
// packed, by transposes that cost as much as the product saves. Products
// with a few more rows than the first kernel's tile (10, as dW = dYᵀ·X of
// a 10-class layer) take one tile of the tall kernel instead of two.
func dispatch[T Float](ks []*kernel[T], narrow, tall *kernel[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if swapCols > 0 && n > 0 && n <= swapCols && m >= swapRows && k > 0 && alpha != 0 && transA {
		ws := getWorkspace[T](2)
		ct := grow(ws.ct, n*m)
		ws.ct = ct
		kr := ks[0]
		if tall != nil && n <= tall.mr {
			kr = tall
		}
		gemm(kr, !transB, !transA, n, m, k, alpha, b, ldb, a, lda, 0, ct, m)
		transposeInto(c, ldc, ct, m, n, beta)
		putWorkspace(2, ws)
		return
	}
	kr := pick(ks, narrow, n)
	if kr == ks[0] && takesTall(ks, tall, m) {
		kr = tall // one tall tile instead of two
	}
	gemm(kr, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// transposeInto sets C = Ctᵀ + β·C for the m×n matrix C and the n×m
// matrix Ct, whose rows are m apart; β = 0 does not read C.
func transposeInto[T Float](c []T, ldc int, ct []T, m, n int, beta T) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			for j := range row {
				row[j] = ct[j*m+i]
			}
		} else {
			for j := range row {
				row[j] = ct[j*m+i] + beta*row[j]
			}
		}
	}
}

// Kernel returns the name of the micro-kernel Gemm uses for elements of
// type T: "avx512", "avx2" or "go".
func Kernel[T Float]() string {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return kernels32[0].name
	}
	return kernels64[0].name
}

// check panics unless the arguments describe valid matrices.
func check(transA, transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: Gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	operand := func(name string, rows, cols, l, ld int) {
		if ld < max(1, cols) {
			panic(fmt.Sprintf("gemm: Gemm: %s is %d×%d: leading dimension %d < %d", name, rows, cols, ld, max(1, cols)))
		}
		if rows > 0 && cols > 0 && l < (rows-1)*ld+cols {
			panic(fmt.Sprintf("gemm: Gemm: %s is %d×%d with leading dimension %d: slice has %d elements, need %d", name, rows, cols, ld, l, (rows-1)*ld+cols))
		}
	}
	if m > 0 && n > 0 && k > 0 {
		operand("A", ar, ac, la, lda)
		operand("B", br, bc, lb, ldb)
	}
	operand("C", m, n, lc, ldc)
}

// A workspace holds the packing buffers of one call (bp, the packed B)
// or of one worker (ap, tmp); workspaces are pooled so that steady-state
// calls allocate nothing.
type workspace[T Float] struct {
	ap, bp, tmp []T
	ct          []T // Cᵀ, for a product computed transposed
}

// The pools of workspaces, by element size and use: [0] for the packed B
// of a call, [1] for a worker's buffers, [2] for a transposed product.
var pool32, pool64 [3]sync.Pool

func pool[T Float](use int) *sync.Pool {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return &pool32[use]
	}
	return &pool64[use]
}

func getWorkspace[T Float](use int) *workspace[T] {
	ws, _ := pool[T](use).Get().(*workspace[T])
	if ws == nil {
		ws = new(workspace[T])
	}
	return ws
}

func putWorkspace[T Float](use int, ws *workspace[T]) { pool[T](use).Put(ws) }

// grow returns s resliced to n elements, reallocated if it is too short.
func grow[T Float](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// problem is one call of gemm, with op(A)(i, p) = a[i·ars + p·acs] and
// op(B)(p, j) = b[p·brs + j·bcs].
type problem[T Float] struct {
	kr          *kernel[T]
	m, n, k     int
	alpha, beta T
	a           []T
	ars, acs    int
	b           []T
	brs, bcs    int
	c           []T
	ldc         int
	packA       bool
	// bp holds op(B) packed: for every block of kc rows starting at pc,
	// at bp[pc·npad:], its ⌈n/Nr⌉ slivers of kb×Nr. When B is read in
	// place (packB false), bp holds only its last, partial sliver, if
	// any, k×Nr, unless the kernel reads B under a mask (maskB).
	bp        []T
	packB     bool
	npad      int
	chunkRows int // a chunk of work: chunkRows×chunkCols of C
	chunkCols int
	chunksM   int // chunks along m
}

// gemm runs the product with the kernel kr; the arguments are checked.
func gemm[T Float](kr *kernel[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	gemmWith(kr, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
}

// gemmWith is gemm, with op(B) already packed for kr into pre where pre
// is not nil (then b is not read).
func gemmWith[T Float](kr *kernel[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int, pre []T) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	if m == 1 && kr.one != nil {
		kr = kr.one // same tile width, blocking and packing: the same bits
	}
	pr := problem[T]{kr: kr, m: m, n: n, k: k, alpha: alpha, beta: beta, a: a, b: b, c: c, ldc: ldc}
	pr.ars, pr.acs = lda, 1
	if transA {
		pr.ars, pr.acs = 1, lda
	}
	pr.brs, pr.bcs = ldb, 1
	if transB {
		pr.brs, pr.bcs = 1, ldb
	}
	small := m*n*k <= smallFlops
	// A float32 op(A) with contiguous rows is read in place by the 8-row
	// AVX-512 kernels: the sliver of 8 rows × kc stays in L1 while the
	// kernel sweeps the panel of B, and gathering it into a packed sliver
	// costs more than it saves (measured on the products of a
	// transformer's linear layers, 4096 rows × 128 to 512: 10–20% faster
	// in place). A transposed op(A) is packed with whole-sliver moves;
	// float64, the 12-row kernel and the AVX2 and Go kernels (not
	// measured in place) pack as before.
	pr.packA = !small && !(inPlaceA && pr.acs == 1 && kr.mr == 8 && unsafe.Sizeof(a[0]) == 4)
	pr.packB = !small || transB

	// Pack B once, before the workers start: they all read it.
	ws := getWorkspace[T](0)
	slivB := ceilDiv(n, kr.nr)
	pr.npad = slivB * kr.nr
	par := parallel.Workers() > 1 && m*n*k >= parallelFlops
	if pre != nil {
		pr.packB = true
	} else if pr.packB {
		ws.bp = grow(ws.bp, k*pr.npad)
		if par && k*n >= parallelPack {
			packBParallel(ws.bp, b, pr.brs, pr.bcs, k, n, pr.npad, kr)
		} else {
			for pc := 0; pc < k; pc += kr.kc {
				kb := min(kr.kc, k-pc)
				packB(ws.bp[pc*pr.npad:], b, pr.brs, pr.bcs, pc, kb, 0, n, kr.nr)
			}
		}
	} else if e := n % kr.nr; e != 0 && !kr.maskB {
		ws.bp = grow(ws.bp, k*kr.nr)
		packB(ws.bp, b, pr.brs, pr.bcs, 0, k, n-e, e, kr.nr)
	}
	pr.bp = ws.bp
	if pre != nil {
		pr.bp = pre
	}

	// Cut C into chunks that idle workers take in turn: bands of rows if
	// there are enough slivers of A, of columns otherwise. There are more
	// chunks than workers, so that a worker that starts late (waking an
	// idle core can take a hundred microseconds) finds less to do rather
	// than making the others wait. Chunks are whole tiles, so that the
	// tiles, and thus every element's arithmetic, are the same whatever
	// the split and the number of workers.
	slivA := ceilDiv(m, kr.mr)
	pr.chunkRows, pr.chunkCols, pr.chunksM = m, n, 1
	chunks := 1
	if par {
		const perChunk = 8 // chunks per product, at most
		if slivA >= 2 || slivA >= slivB {
			pr.chunkRows = ceilDiv(slivA, min(perChunk, slivA)) * kr.mr
			chunks = ceilDiv(m, pr.chunkRows)
			pr.chunksM = chunks
		} else {
			pr.chunkCols = ceilDiv(slivB, min(perChunk, slivB)) * kr.nr
			chunks = ceilDiv(n, pr.chunkCols)
		}
	}
	if chunks == 1 {
		pr.chunk(0)
	} else {
		runChunks(pr, chunks)
	}
	putWorkspace(0, ws)
}

// runChunks computes the chunks of pr in parallel. It takes pr by value so
// that the single-chunk path above does not move pr to the heap.
func runChunks[T Float](pr problem[T], chunks int) {
	parallel.Do(chunks, pr.chunk)
}

// packBParallel packs op(B), k×n, into bp as gemm does, in parallel: in
// tasks of a few slivers of one block of kc rows.
func packBParallel[T Float](bp, b []T, brs, bcs, k, n, npad int, kr *kernel[T]) {
	slivB := ceilDiv(n, kr.nr)
	blocks := ceilDiv(k, kr.kc)
	per := ceilDiv(slivB, max(1, 8/blocks)) // slivers per task
	groups := ceilDiv(slivB, per)
	parallel.Do(blocks*groups, func(i int) {
		pc := i / groups * kr.kc
		kb := min(kr.kc, k-pc)
		t0 := i % groups * per
		j0 := t0 * kr.nr
		packB(bp[pc*npad+t0*kr.nr*kb:], b, brs, bcs, pc, kb, j0, min(per*kr.nr, n-j0), kr.nr)
	})
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// chunk computes chunk i of C.
func (pr *problem[T]) chunk(i int) {
	bm, bn := i%pr.chunksM, i/pr.chunksM
	r0, c0 := bm*pr.chunkRows, bn*pr.chunkCols
	r1, c1 := min(r0+pr.chunkRows, pr.m), min(c0+pr.chunkCols, pr.n)
	ws := getWorkspace[T](1)
	ws.ap = grow(ws.ap, pr.kr.mr*pr.kr.kc)
	ws.tmp = grow(ws.tmp, pr.kr.mr*pr.kr.nr)
	pr.block(ws, r0, r1, c0, c1)
	putWorkspace(1, ws)
}

// block computes rows [r0, r1) and columns [c0, c1) of C with the Goto
// loops: panels of packed B (kc×nc, in L2) outside, slivers of A (Mr×kc,
// in L1) inside them, and the slivers of B (kc×Nr) innermost.
func (pr *problem[T]) block(ws *workspace[T], r0, r1, c0, c1 int) {
	kr := pr.kr
	mr, nr := kr.mr, kr.nr
	for jc := c0; jc < c1; jc += kr.nc {
		nb := min(kr.nc, c1-jc)
		for pc := 0; pc < pr.k; pc += kr.kc {
			kb := min(kr.kc, pr.k-pc)
			beta := pr.beta
			if pc > 0 {
				beta = 1
			}
			for ir := r0; ir < r1; ir += mr {
				mb := min(mr, r1-ir)
				ap, rsa, csa := &pr.a[0], pr.ars, pr.acs
				if pr.packA || mb < mr {
					packA(ws.ap, pr.a, pr.ars, pr.acs, ir, mb, pc, kb, mr)
					ap, rsa, csa = &ws.ap[0], 1, mr
				} else {
					ap = &pr.a[ir*pr.ars+pc*pr.acs]
				}
				for jr := jc; jr < jc+nb; jr += nr {
					w := min(nr, pr.n-jr)
					var bp *T
					rsb := nr
					switch {
					case pr.packB:
						bp = &pr.bp[pc*pr.npad+jr*kb]
					case w < nr && !kr.maskB:
						bp = &pr.bp[pc*nr]
					default:
						bp, rsb = &pr.b[pc*pr.brs+jr], pr.brs
					}
					co := ir*pr.ldc + jr
					if kr.edges || (mb == mr && w == nr) {
						kr.fn(kb, ap, rsa, csa, bp, rsb, &pr.c[co], pr.ldc, mb, w, pr.alpha, beta)
						continue
					}
					kr.fn(kb, ap, rsa, csa, bp, rsb, &ws.tmp[0], nr, mr, nr, pr.alpha, 0)
					for i := range mb {
						row := pr.c[co+i*pr.ldc : co+i*pr.ldc+w]
						t := ws.tmp[i*nr : i*nr+w]
						if beta == 0 {
							copy(row, t)
						} else {
							for j := range row {
								row[j] = t[j] + beta*row[j]
							}
						}
					}
				}
			}
		}
	}
}

// scale sets C = β·C; β = 0 clears C without reading it.
func scale[T Float](m, n int, beta T, c []T, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}
