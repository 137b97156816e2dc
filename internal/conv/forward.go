package conv

import (
	"fmt"
	"sync"

	"backprop/internal/gemm"
	"backprop/internal/parallel"
)

// An fplan is one forward-type convolution of a batch, out = A ⋆ in per
// group, as the forward pass and the stride-1 data gradient compute it:
// out[n][g][k] (co channels of ho×wo) = A_g · unfold(in[n][g]), with A_g
// the co×kg matrix of group g's weights, packed.
type fplan[T Float] struct {
	win     window
	n, grp  int
	co, kg  int // output channels per group; rows of the unfolding
	p       int // output positions, ho·wo
	u       gemm.Micro[T]
	ap      []T // A packed: [group][piece][sliver][kb][mr]
	nk      int // pieces of the inner dimension, ⌈kg/Kc⌉, of equal size
	slivers int // ⌈co/Mr⌉
	nb      int // output positions per block
	nblocks int
	in, out []T
	bias    []T // per output channel (all groups), or nil
	task    func(int)
}

var fplanPools [2]sync.Pool

func getFplan[T Float]() *fplan[T] {
	f, _ := fplanPools[sizeIndex[T]()].Get().(*fplan[T])
	if f == nil {
		f = new(fplan[T])
		f.task = f.item
	}
	return f
}

func putFplan[T Float](f *fplan[T]) {
	f.in, f.out, f.bias = nil, nil, nil
	fplanPools[sizeIndex[T]()].Put(f)
}

// blockBytes bounds an unfolded block: a quarter of the 1 MiB L2 cache,
// which two hardware threads of a core may share.
const blockBytes = 256 << 10

// minItems is the number of chunks of work below which a batch's blocks
// are cut smaller, so that small batches still keep every core busy.
const minItems = 8

// setup prepares f for a batch of n images in grp groups with co output
// channels per group; the weights are packed by the caller into f.ap.
func (f *fplan[T]) setup(win window, n, grp, co int) {
	f.win, f.n, f.grp, f.co = win, n, grp, co
	f.kg = win.rows()
	f.p = win.ho * win.wo
	f.u = pickMicro[T](f.p)
	mr, nr := f.u.Mr(), f.u.Nr()
	f.nk = ceilDiv(f.kg, f.u.Kc())
	f.slivers = ceilDiv(co, mr)
	f.ap = grow(f.ap, grp*f.slivers*mr*f.kg)
	var z T
	size := int(sizeof(z))
	maxNb := max(nr, blockBytes/(f.kg*size)/nr*nr)
	f.nblocks = ceilDiv(f.p, maxNb)
	if f.p == 0 {
		return
	}
	if n*grp*f.nblocks < minItems && n > 0 {
		f.nblocks = min(ceilDiv(f.p, nr), ceilDiv(minItems, n*grp))
	}
	f.nb = roundUp(ceilDiv(f.p, f.nblocks), nr)
	f.nblocks = ceilDiv(f.p, f.nb)
}

// pack packs the co×kg matrix of group g whose element (i, t), for the
// row t = (c, ky, kx) of the unfolding, is wv.at(g, i, c, ky, kx), into
// f.ap.
func (f *fplan[T]) pack(g int, wv *wview[T]) {
	mr := f.u.Mr()
	rs, s := f.win.r*f.win.s, f.win.s
	base := g * f.slivers * mr * f.kg
	for pi := range f.nk {
		pc, pe := pi*f.kg/f.nk, (pi+1)*f.kg/f.nk
		kb := pe - pc
		for sl := range f.slivers {
			dst := f.ap[base+pc*f.slivers*mr+sl*kb*mr:][:kb*mr]
			for t := range kb {
				c, k := (pc+t)/rs, (pc+t)%rs
				for i := range mr {
					var v T
					if o := sl*mr + i; o < f.co {
						v = wv.at(g, o, c, k/s, k%s)
					}
					dst[t*mr+i] = v
				}
			}
		}
	}
}

// run computes every block of every group of every image.
func (f *fplan[T]) run() {
	items := f.n * f.grp * f.nblocks
	if items == 0 || f.co == 0 {
		return
	}
	parallel.Do(items, f.task)
}

// item computes block b of group g of image n (item (n·grp + g)·nblocks + b).
func (f *fplan[T]) item(it int) {
	b, ng := it%f.nblocks, it/f.nblocks
	g := ng % f.grp
	mr, nr := f.u.Mr(), f.u.Nr()
	p0 := b * f.nb
	np := min(f.nb, f.p-p0)
	ld := roundUp(np, nr)
	inLen := f.win.ci * f.win.hi * f.win.wi
	in := f.in[ng*inLen : ng*inLen+inLen]
	out := f.out[ng*f.co*f.p : (ng+1)*f.co*f.p]

	sc := getScratch[T]()
	sc.col = grow(sc.col, f.kg*ld)
	sc.tmp = grow(sc.tmp, mr*nr)
	col, tmp := sc.col, sc.tmp
	unfold(col, ld, in, &f.win, 0, f.kg, p0, np, ld)

	var beta0 T
	if f.bias != nil {
		for c := range f.co {
			v := f.bias[g*f.co+c]
			row := out[c*f.p+p0 : c*f.p+p0+np]
			for i := range row {
				row[i] = v
			}
		}
		beta0 = 1
	}
	apg := f.ap[g*f.slivers*mr*f.kg:]
	for pi := range f.nk {
		pc, pe := pi*f.kg/f.nk, (pi+1)*f.kg/f.nk
		kb := pe - pc
		beta := beta0
		if pi > 0 {
			beta = 1
		}
		for s := range f.slivers {
			a := apg[pc*f.slivers*mr+s*kb*mr:][:kb*mr]
			mb := min(mr, f.co-s*mr)
			c0 := s * mr * f.p
			for j := 0; j < np; j += nr {
				f.u.Tile(kb, a, 1, mr, col[pc*ld+j:], ld, out[c0+p0+j:], f.p, mb, min(nr, np-j), 1, beta, tmp)
			}
		}
	}
	putScratch(sc)
}

// Forward sets y = x ⋆ w + bias for the geometry g:
//
//	y[n][k][oy][ox] = Σ_{c,ky,kx} w[k][c][ky][kx] · x[n][k̂·C/G + c][oy·sh − ph + ky·dh][ox·sw − pw + kx·dw] + bias[k]
//
// where k̂ = ⌊k/(K/G)⌋ is k's group, c runs over the C/G channels of a
// group, x is zero outside its H×W, and bias may be nil (no bias). x is
// N×C×H×W, w is K×(C/G)×R×S, y is N×K×OutH×OutW; y must not overlap x or w.
func Forward[T Float](g *Geom, y, x, w, bias []T) {
	g.mustCheck("Forward", [2]int{len(y), g.outLen()}, [2]int{len(x), g.inLen()}, [2]int{len(w), g.wLen()})
	if bias != nil && len(bias) < g.K {
		panic(fmt.Sprintf("conv: Forward: bias has %d elements, need %d", len(bias), g.K))
	}
	cg, kg := g.C/g.Groups, g.K/g.Groups
	win := window{ci: cg, hi: g.H, wi: g.W, r: g.R, s: g.S,
		sh: g.StrideH, sw: g.StrideW, ph: g.PadH, pw: g.PadW, dh: g.DilH, dw: g.DilW,
		ho: g.OutH(), wo: g.OutW()}
	wv := wview[T]{w: w, k: kg, c: cg, r: g.R, s: g.S}
	forwardType(&win, g.N, g.Groups, kg, x, y, bias, &wv)
}

// A wview is the weights of a convolution, K×(C/G)×R×S, as the matrices
// A_g of a forward-type product: element (i, c, ky, kx) of group g is
// w[g·k + i][c][ky][kx], or, transposed, w[g·k + c][i][r−1−ky][s−1−kx]:
// the kernel flipped and its channels swapped, for the data gradient.
type wview[T Float] struct {
	w          []T
	k, c, r, s int // output and input channels per group, kernel size
	transposed bool
}

func (v *wview[T]) at(g, i, c, ky, kx int) T {
	if v.transposed {
		return v.w[(((g*v.k+c)*v.c+i)*v.r+v.r-1-ky)*v.s+v.s-1-kx]
	}
	return v.w[(((g*v.k+i)*v.c+c)*v.r+ky)*v.s+kx]
}

// forwardType computes out = A ⋆ in per group for the window win, n
// images, grp groups of co output channels and the weights wv, in the
// wide scheme where it applies and on unfolded blocks
// otherwise.
func forwardType[T Float](win *window, n, grp, co int, in, out, bias []T, wv *wview[T]) {
	if useWide(win) {
		f := getWplan[T]()
		f.setup(*win, n, grp, co)
		for gi := range grp {
			f.pack(gi, wv)
		}
		f.in, f.out, f.bias = in, out, bias
		f.run()
		putWplan(f)
		return
	}
	f := getFplan[T]()
	f.setup(*win, n, grp, co)
	for gi := range grp {
		f.pack(gi, wv)
	}
	f.in, f.out, f.bias = in, out, bias
	f.run()
	putFplan(f)
}
