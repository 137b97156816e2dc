package conv

import (
	"sync"

	"backprop/internal/gemm"
	"backprop/internal/parallel"
)

// The wide scheme computes a convolution of stride 1 without unfolding
// its input. The positions of a block of output rows are taken on rows as
// wide as the padded input, wp = wi + 2·pw, so that position q = oy·wp + ox
// and tap kx read the padded input at q + kx·dw: for a fixed kx the input
// of a block of positions is a contiguous run of each padded input row.
// The columns ox ≥ wo of a wide row are computed and dropped.
//
// The planes are the pairs (ky, c), plane ky·ci + c holding the padded
// rows oy + ky·dh − ph of channel c, one after the other, for the block's
// output rows: one contiguous copy per plane. With them, tap kx of the
// product is a GEMM whose inner dimension runs over the planes at a
// constant stride, read in place by the micro-kernel:
//
//	out[k][q] += Σ_{ky,c} w[k][c][ky][kx] · plane[ky·ci + c][q + kx·dw]
//
// so the input is copied r times rather than r·s times, in long runs.

// useWide reports whether a convolution with this window is computed with
// the wide scheme: stride 1, enough planes per tap for the kernel's inner
// loop to pay for its tile's loads and stores, and few wasted columns.
func useWide(w *window) bool {
	if w.sh != 1 || w.sw != 1 || w.ho < 1 || w.wo < 1 {
		return false
	}
	if testWide >= 0 {
		return testWide == 1
	}
	if w.r*w.ci < 16 {
		return false
	}
	wp := w.wi + 2*w.pw
	return (wp-w.wo)*8 <= wp
}

// testWide, when not negative, overrides the choice of useWide where the
// wide scheme applies: 0 never uses it, 1 always does (tests).
var testWide = -1

// wideRows returns the output rows per block of the wide scheme: as many
// as keep the planes of a block within blockBytes, and enough blocks per
// batch for every core.
func wideRows(w *window, n, grp, size int) (rows, blocks int) {
	wp := w.wi + 2*w.pw
	rows = max(1, blockBytes/(w.r*w.ci*wp*size))
	rows = min(rows, w.ho)
	blocks = ceilDiv(w.ho, rows)
	if n*grp*blocks < minItems && n > 0 {
		blocks = min(w.ho, ceilDiv(minItems, n*grp))
	}
	rows = ceilDiv(w.ho, blocks)
	return rows, ceilDiv(w.ho, rows)
}

// planes sets dst[(pl−pl0)·plane + oy'·wp + ix'], for the planes pl in
// [pl0, pl1) and the output rows oy0 + oy' below oy0 + nrows, to the input
// element x[c][oy0 + oy' + ky·dh − ph][ix' − pw] of plane pl = ky·ci + c
// (0 outside the input). xp is scratch for the padded input rows, used
// unless there is no padding.
func planes[T Float](dst []T, plane int, x []T, w *window, oy0, nrows, pl0, pl1 int, xp *[]T) {
	wp := w.wi + 2*w.pw
	nIn := nrows + (w.r-1)*w.dh // padded input rows of the block
	src, srcPlane := x, w.hi*w.wi
	off := oy0 * w.wi // first row of the block in src
	if w.ph != 0 || w.pw != 0 {
		// Padded rows oy0 − ph … of the channels the planes need.
		c0, c1 := w.ci, 0
		for pl := pl0; pl < pl1; pl++ {
			c0, c1 = min(c0, pl%w.ci), max(c1, pl%w.ci+1)
		}
		if pl1-pl0 >= w.ci {
			c0, c1 = 0, w.ci
		}
		srcPlane = nIn * wp
		*xp = grow(*xp, w.ci*srcPlane)
		src, off = *xp, 0
		lo, hi := max(0, w.pw), min(wp, w.wi+w.pw) // columns of the input
		for c := c0; c < c1; c++ {
			xc := x[c*w.hi*w.wi : (c+1)*w.hi*w.wi]
			for r := range nIn {
				row := src[c*srcPlane+r*wp : c*srcPlane+(r+1)*wp]
				iy := oy0 - w.ph + r
				if iy < 0 || iy >= w.hi || lo >= hi {
					clearShort(row)
					continue
				}
				clearShort(row[:lo])
				clearShort(row[hi:])
				copyShort(row[lo:hi], xc[iy*w.wi+lo-w.pw:iy*w.wi+hi-w.pw])
			}
		}
	}
	n := nrows * wp
	for pl := pl0; pl < pl1; pl++ {
		ky, c := pl/w.ci, pl%w.ci
		s := src[c*srcPlane+off+ky*w.dh*wp:]
		copy(dst[(pl-pl0)*plane:(pl-pl0)*plane+n], s[:n])
	}
}

// A wplan is a forward-type convolution (out = A ⋆ in per group, as in
// fplan) of stride 1 in the wide scheme. Its items are blocks of output
// rows of one group of one image.
type wplan[T Float] struct {
	win     window
	n, grp  int
	co      int // output channels per group
	wp      int // width of a wide row
	kp      int // planes, r·ci: the inner dimension of one tap
	u       gemm.Micro[T]
	nk      int // pieces of the planes, ⌈kp/Kc⌉, of equal size
	slivers int
	ap      []T // A packed: [group][kx][piece][sliver][kb][mr]
	rows    int // output rows per block
	nblocks int
	in, out []T
	bias    []T
	task    func(int)
}

var wplanPools [2]sync.Pool

func getWplan[T Float]() *wplan[T] {
	f, _ := wplanPools[sizeIndex[T]()].Get().(*wplan[T])
	if f == nil {
		f = new(wplan[T])
		f.task = f.item
	}
	return f
}

func putWplan[T Float](f *wplan[T]) {
	f.in, f.out, f.bias = nil, nil, nil
	wplanPools[sizeIndex[T]()].Put(f)
}

func (f *wplan[T]) setup(win window, n, grp, co int) {
	f.win, f.n, f.grp, f.co = win, n, grp, co
	f.wp = win.wi + 2*win.pw
	f.kp = win.r * win.ci
	var z T
	f.rows, f.nblocks = wideRows(&win, n, grp, int(sizeof(z)))
	f.u = pickMicro[T](f.rows * f.wp)
	f.nk = ceilDiv(f.kp, f.u.Kc())
	f.slivers = ceilDiv(co, f.u.Mr())
	f.ap = grow(f.ap, grp*win.s*f.slivers*f.u.Mr()*f.kp)
}

// tapStride is the distance in f.ap between the packed weights of two
// taps kx of a group.
func (f *wplan[T]) tapStride() int { return f.slivers * f.u.Mr() * f.kp }

// pack packs, for group g, the co×kp matrix of each tap kx whose element
// (i, ky·ci + c) is wv.at(g, i, c, ky, kx).
func (f *wplan[T]) pack(g int, wv *wview[T]) {
	mr := f.u.Mr()
	ci := f.win.ci
	for kx := range f.win.s {
		base := (g*f.win.s + kx) * f.tapStride()
		for pi := range f.nk {
			pc, pe := pi*f.kp/f.nk, (pi+1)*f.kp/f.nk
			kb := pe - pc
			for s := range f.slivers {
				dst := f.ap[base+pc*f.slivers*mr+s*kb*mr:][:kb*mr]
				for t := range kb {
					ky, c := (pc+t)/ci, (pc+t)%ci
					for i := range mr {
						var v T
						if k := s*mr + i; k < f.co {
							v = wv.at(g, k, c, ky, kx)
						}
						dst[t*mr+i] = v
					}
				}
			}
		}
	}
}

func (f *wplan[T]) run() {
	if items := f.n * f.grp * f.nblocks; items > 0 {
		parallel.Do(items, f.task)
	}
}

// item computes output rows [b·rows, (b+1)·rows) of group g of image n.
func (f *wplan[T]) item(it int) {
	b, ng := it%f.nblocks, it/f.nblocks
	g := ng % f.grp
	w := &f.win
	mr, nr := f.u.Mr(), f.u.Nr()
	oy0 := b * f.rows
	nrows := min(f.rows, w.ho-oy0)
	nq := nrows * f.wp          // wide positions of the block
	ldq := roundUp(nq, nr)      // row stride of the wide output
	plane := ldq + (w.s-1)*w.dw // the taps read up to (s−1)·dw past a tile
	inLen := w.ci * w.hi * w.wi
	in := f.in[ng*inLen : (ng+1)*inLen]
	p := w.ho * w.wo
	out := f.out[ng*f.co*p : (ng+1)*f.co*p]

	sc := getScratch[T]()
	sc.col = grow(sc.col, f.kp*plane)
	sc.tmp = grow(sc.tmp, mr*nr)
	sc.bp = grow(sc.bp, f.slivers*mr*ldq) // the wide output
	u, yw, tmp := sc.col, sc.bp, sc.tmp
	planes(u, plane, in, w, oy0, nrows, 0, f.kp, &sc.xp)
	for pl := range f.kp { // columns past the block, read by the last tiles
		clearShort(u[pl*plane+nq : (pl+1)*plane])
	}

	first := true
	for kx := range w.s {
		apk := f.ap[(g*w.s+kx)*f.tapStride():]
		for pi := range f.nk {
			pc, pe := pi*f.kp/f.nk, (pi+1)*f.kp/f.nk
			kb := pe - pc
			var beta T
			if !first {
				beta = 1
			}
			first = false
			for s := range f.slivers {
				a := apk[pc*f.slivers*mr+s*kb*mr:][:kb*mr]
				mb := min(mr, f.co-s*mr)
				for j := 0; j < nq; j += nr {
					f.u.Tile(kb, a, 1, mr, u[pc*plane+j+kx*w.dw:], plane, yw[s*mr*ldq+j:], ldq, mb, min(nr, nq-j), 1, beta, tmp)
				}
			}
		}
	}
	// The valid columns of each wide row, plus the bias.
	for c := range f.co {
		for r := range nrows {
			src := yw[c*ldq+r*f.wp : c*ldq+r*f.wp+w.wo]
			dst := out[c*p+(oy0+r)*w.wo : c*p+(oy0+r+1)*w.wo]
			if f.bias == nil {
				copyShort(dst, src)
				continue
			}
			bv := f.bias[g*f.co+c]
			for i, v := range src {
				dst[i] = v + bv
			}
		}
	}
	putScratch(sc)
}
