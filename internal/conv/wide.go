package conv

import (
	"sync"

	"backprop/internal/gemm"
	"backprop/internal/parallel"
)

// The wide scheme computes a convolution of stride 1 without the
// per-segment copies of unfolding. The positions of a block of output rows
// are taken on rows as wide as the padded input, wp = wi + 2·pw, so that
// position q = oy·wp + ox and tap (ky, kx) read the padded input of the
// block at q + ky·dh·wp + kx·dw: for each tap, the input of a block of
// positions is one contiguous run. The columns ox ≥ wo of a wide row are
// computed and dropped.
//
// It has two modes. In the tap mode the planes are the pairs (ky, c),
// plane ky·ci + c holding the padded rows oy + ky·dh − ph of channel c for
// the block's output rows, one contiguous copy per plane, and tap kx of
// the product is a GEMM whose inner dimension runs over the planes at a
// constant stride, read in place at a shift by the micro-kernel:
//
//	out[k][q] += Σ_{ky,c} w[k][c][ky][kx] · plane[ky·ci + c][q + kx·dw]
//
// so the input is copied r times, in long runs. Where r·ci is too small
// for the kernel's inner loop to pay for loading and storing its tile s
// times, the full mode copies one plane per row (c, ky, kx) of the
// unfolding, shifted by kx·dw, and makes one GEMM of them: the input is
// copied r·s times, still one run per plane.

// wideMode returns the mode of the wide scheme for a window: 0 where it
// does not apply or does not pay (stride above 1, or more than half the
// columns dropped), 1 for the tap mode, 2 for the full mode.
func wideMode(w *window) int {
	if w.sh != 1 || w.sw != 1 || w.ho < 1 || w.wo < 1 {
		return 0
	}
	if testWide >= 0 {
		return testWide
	}
	wp := w.wi + 2*w.pw
	if 2*w.wo < wp {
		return 0
	}
	if w.r*w.ci < 32 {
		return 2
	}
	return 1
}

// useWide reports whether the window is computed in the wide scheme.
func useWide(w *window) bool { return wideMode(w) != 0 }

// testWide, when not negative, overrides the choice of wideMode where the
// wide scheme applies (tests).
var testWide = -1

// A wide is the layout of the planes of one mode: taps products, each over
// kp planes, the tap t read at a shift of t·shift.
type wide struct {
	full         bool
	taps, kp     int
	shift, slack int // shift per tap; columns read past a plane's block
}

func wideOf(w *window) wide {
	if wideMode(w) == 2 {
		return fullWide(w)
	}
	return tapWide(w)
}

func fullWide(w *window) wide { return wide{full: true, taps: 1, kp: w.ci * w.r * w.s} }

func tapWide(w *window) wide {
	return wide{taps: w.s, kp: w.r * w.ci, shift: w.dw, slack: (w.s - 1) * w.dw}
}

// weightWide returns the mode of the wide scheme for the weight gradient,
// whose inner dimension is the positions, long in either mode: the tap
// mode, which copies s times less, unless its products have so few rows
// (planes) that the kernel's tiles of mr rows would mostly be padding.
func weightWide(w *window, mr int) wide {
	if testWide >= 1 {
		return wideOf(w)
	}
	t, f := tapWide(w), fullWide(w)
	et := float64(t.kp) / float64(roundUp(t.kp, mr))
	ef := float64(f.kp) / float64(roundUp(f.kp, mr))
	if ef > 1.25*et {
		return f
	}
	return t
}

// wideRows returns the output rows per block of the wide scheme: as many
// as keep the planes of a block within blockBytes, and enough blocks per
// batch for every core.
func wideRows(w *window, kp, n, grp, size int) (rows, blocks int) {
	wp := w.wi + 2*w.pw
	rows = max(1, blockBytes/(kp*wp*size))
	rows = min(rows, w.ho)
	blocks = ceilDiv(w.ho, rows)
	if n*grp*blocks < minItems && n > 0 {
		blocks = min(w.ho, ceilDiv(minItems, n*grp))
	}
	rows = ceilDiv(w.ho, blocks)
	return rows, ceilDiv(w.ho, rows)
}

// planes sets, for the planes pl in [pl0, pl1) of the mode of wd, the
// nrows·wp elements at dst[(pl−pl0)·plane:] to the padded input of the
// output rows from oy0: in the tap mode, plane ky·ci + c holds x[c][oy0 +
// oy' + ky·dh − ph][ix' − pw] at oy'·wp + ix'; in the full mode, plane
// (c·r + ky)·s + kx holds the same shifted by kx·dw. Elements outside the
// input are 0. xp is scratch for the padded input rows, used unless there
// is no padding.
func planes[T Float](dst []T, plane int, x []T, w *window, wd wide, oy0, nrows, pl0, pl1 int, xp *[]T) {
	wp := w.wi + 2*w.pw
	nIn := nrows + (w.r-1)*w.dh // padded input rows of the block
	src, srcPlane := x, w.hi*w.wi
	off := oy0 * w.wi // first row of the block in src
	chanOf := func(pl int) int {
		if wd.full {
			return pl / (w.r * w.s)
		}
		return pl % w.ci
	}
	if w.ph != 0 || w.pw != 0 {
		// Padded rows oy0 − ph … of the channels the planes need.
		c0, c1 := w.ci, 0
		for pl := pl0; pl < pl1; pl++ {
			c0, c1 = min(c0, chanOf(pl)), max(c1, chanOf(pl)+1)
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
		var o int
		if wd.full {
			c, k := pl/(w.r*w.s), pl%(w.r*w.s)
			o = c*srcPlane + off + k/w.s*w.dh*wp + k%w.s*w.dw
		} else {
			ky, c := pl/w.ci, pl%w.ci
			o = c*srcPlane + off + ky*w.dh*wp
		}
		d := dst[(pl-pl0)*plane : (pl-pl0)*plane+n]
		// In the full mode the shift runs the last row's dropped columns
		// up to (s−1)·dw past the block, and so past the end of src.
		m := copy(d, src[o:min(o+n, len(src))])
		clear(d[m:])
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
	wd      wide
	kp      int // planes: the inner dimension of one tap
	u       gemm.Micro[T]
	nk      int // pieces of the planes, ⌈kp/Kc⌉, of equal size
	slivers int
	ap      []T // A packed: [group][tap][piece][sliver][kb][mr]
	rows    int // output rows per block
	nblocks int
	// direct: tiles stay within an output row and are stored straight
	// into the output, rather than on wide rows compacted afterwards.
	direct  bool
	in, out []T
	bias    []T
	task    func(int)
}

// directRows reports whether a wide forward product should store its
// tiles straight into the output, each output row cut into tiles of nr
// columns, rather than compute whole wide rows and copy their valid
// columns out. The choice weighs, per output element, the products of
// the padded tiles against those of the dropped columns plus the copy,
// counted as the work of about 48 multiply-adds (a vector's worth of
// element copies while the kernel could have done two FMAs per cycle).
//
// A kernel that cannot store partial tiles stores them through a buffer
// (gemm.Micro.Tile), a copy as costly as the compaction: then only rows
// of whole tiles go straight into the output.
func directRows(w *window, kp, taps, nr int, partial bool) bool {
	if testDirect >= 0 {
		return testDirect == 1
	}
	if !partial && w.wo%nr != 0 {
		return false
	}
	per := float64(kp * taps) // multiply-adds per output element
	wp := w.wi + 2*w.pw
	direct := per * float64(roundUp(w.wo, nr)) / float64(w.wo)
	wide := per*float64(wp)/float64(w.wo) + 48
	return direct < wide
}

// testDirect, when not negative, overrides directRows: 0 never, 1 always
// (tests).
var testDirect = -1

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
	f.wd = wideOf(&win)
	f.kp = f.wd.kp
	var z T
	f.rows, f.nblocks = wideRows(&win, f.kp, n, grp, int(sizeof(z)))
	f.u = pickMicro[T](f.rows * f.wp)
	f.nk = ceilDiv(f.kp, f.u.Kc())
	f.slivers = ceilDiv(co, f.u.Mr())
	f.ap = grow(f.ap, grp*f.wd.taps*f.slivers*f.u.Mr()*f.kp)
	f.direct = directRows(&win, f.kp, f.wd.taps, f.u.Nr(), f.u.Partial())
}

// tapStride is the distance in f.ap between the packed weights of two
// taps kx of a group.
func (f *wplan[T]) tapStride() int { return f.slivers * f.u.Mr() * f.kp }

// pack packs, for group g, the co×kp matrix of each tap kx whose element
// (i, ky·ci + c) is wv.at(g, i, c, ky, kx); in the full mode, the one
// matrix whose element (i, (c·r + ky)·s + kx) is that.
func (f *wplan[T]) pack(g int, wv *wview[T]) {
	mr := f.u.Mr()
	ci := f.win.ci
	for kx := range f.wd.taps {
		base := (g*f.wd.taps + kx) * f.tapStride()
		for pi := range f.nk {
			pc, pe := pi*f.kp/f.nk, (pi+1)*f.kp/f.nk
			kb := pe - pc
			for s := range f.slivers {
				dst := f.ap[base+pc*f.slivers*mr+s*kb*mr:][:kb*mr]
				for t := range kb {
					ky, c, tx := (pc+t)/ci, (pc+t)%ci, kx
					if f.wd.full {
						rs := f.win.r * f.win.s
						c, ky, tx = (pc+t)/rs, (pc+t)%rs/f.win.s, (pc+t)%f.win.s
					}
					for i := range mr {
						var v T
						if k := s*mr + i; k < f.co {
							v = wv.at(g, k, c, ky, tx)
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
	nq := nrows * f.wp     // wide positions of the block
	ldq := roundUp(nq, nr) // row stride of the wide output
	// The tiles read up to a tile past the block, plus the taps' shift.
	plane := ldq + nr + f.wd.slack
	inLen := w.ci * w.hi * w.wi
	in := f.in[ng*inLen : (ng+1)*inLen]
	p := w.ho * w.wo
	out := f.out[ng*f.co*p : (ng+1)*f.co*p]

	sc := getScratch[T]()
	sc.col = grow(sc.col, f.kp*plane)
	sc.tmp = grow(sc.tmp, mr*nr)
	if !f.direct {
		sc.bp = grow(sc.bp, f.slivers*mr*ldq) // the wide output
	}
	u, yw, tmp := sc.col, sc.bp, sc.tmp
	planes(u, plane, in, w, f.wd, oy0, nrows, 0, f.kp, &sc.xp)
	for pl := range f.kp { // columns past the block, read by the last tiles
		clearShort(u[pl*plane+nq : (pl+1)*plane])
	}

	first := true
	if f.direct && f.bias != nil {
		for c := range f.co {
			row := out[c*p+oy0*w.wo : c*p+(oy0+nrows)*w.wo]
			v := f.bias[g*f.co+c]
			for i := range row {
				row[i] = v
			}
		}
		first = false
	}
	for kx := range f.wd.taps {
		apk := f.ap[(g*f.wd.taps+kx)*f.tapStride():]
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
				if f.direct {
					for r := range nrows {
						ur := u[pc*plane+r*f.wp+kx*f.wd.shift:]
						yr := out[s*mr*p+(oy0+r)*w.wo:]
						for j := 0; j < w.wo; j += nr {
							f.u.Tile(kb, a, 1, mr, ur[j:], plane, yr[j:], p, mb, min(nr, w.wo-j), 1, beta, tmp)
						}
					}
					continue
				}
				for j := 0; j < nq; j += nr {
					f.u.Tile(kb, a, 1, mr, u[pc*plane+j+kx*f.wd.shift:], plane, yw[s*mr*ldq+j:], ldq, mb, min(nr, nq-j), 1, beta, tmp)
				}
			}
		}
	}
	if f.direct {
		putScratch(sc)
		return
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
