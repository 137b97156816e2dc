package conv

import (
	"sync"

	"backprop/internal/gemm"
	"backprop/internal/kernel"
	"backprop/internal/parallel"
)

// BackwardData sets dx to the gradient of Forward's y with respect to x,
// given dy, the gradient with respect to y:
//
//	dx[n][ĉ][iy][ix] = Σ dy[n][k][oy][ox] · w[k][c][ky][kx]
//
// over the k of the group of input channel ĉ (c its index in the group)
// and the (oy, ox, ky, kx) with oy·sh − ph + ky·dh = iy and ox·sw − pw +
// kx·dw = ix: the transposed convolution. At stride 1 it is the forward
// convolution of dy, padded by d·(r−1) − p, with the kernel flipped and
// its channels swapped, or the product dcol = Wᵀ·dy on wide rows folded
// back onto dx by one vector add per row of the unfolding, whichever
// computes fewer dropped and padding products; at larger strides dcol is
// folded back element by element (col2im). dx is N×C×H×W, dy
// N×K×OutH×OutW; dx must not overlap dy or w.
func BackwardData[T Float](g *Geom, dx, dy, w []T) {
	g.mustCheck("BackwardData", [2]int{len(dx), g.inLen()}, [2]int{len(dy), g.outLen()}, [2]int{len(w), g.wLen()})
	cg, kg := g.C/g.Groups, g.K/g.Groups
	if g.StrideH == 1 && g.StrideW == 1 && !wideFold(g) {
		win := window{ci: kg, hi: g.OutH(), wi: g.OutW(), r: g.R, s: g.S, sh: 1, sw: 1,
			ph: g.DilH*(g.R-1) - g.PadH, pw: g.DilW*(g.S-1) - g.PadW, dh: g.DilH, dw: g.DilW,
			ho: g.H, wo: g.W}
		wv := wview[T]{w: w, k: kg, c: cg, r: g.R, s: g.S, transposed: true}
		forwardType(&win, g.N, g.Groups, cg, dy, dx, nil, &wv)
		return
	}
	d := getDplan[T]()
	d.setup(g)
	for gi := range g.Groups {
		d.pack(gi, w)
	}
	d.dy, d.dx = dy, dx
	d.run()
	putDplan(d)
}

// A dplan is the data gradient at strides above 1: for each block of
// output positions of one group of one image, dcol = W_gᵀ·dy (rows of the
// unfolding by positions) into scratch, then folded onto dx. Its items
// are a group of an image, whose blocks overlap on dx.
type dplan[T Float] struct {
	win     window
	n, grp  int
	co      int // output channels per group: the inner dimension
	kg      int // rows of the unfolding
	p       int
	u       gemm.Micro[T]
	nk      int
	slivers int // ⌈kg/Mr⌉
	ap      []T // W_gᵀ packed: [group][piece][sliver][kb][mr]
	nb      int
	dy, dx  []T
	// wide: stride 1, dcol on the wide rows of dx padded, orows rows of
	// dy per block, folded by vector adds.
	wide  bool
	orows int
	task  func(int)
}

// wideFold reports whether the data gradient at stride 1 is computed as
// dcol = Wᵀ·dy on wide rows folded back by vector adds rather than as the
// forward convolution of the padded dy. The second computes every output
// position over every tap, the padding of dy included, on rows
// W + (s−1)·dw wide: H·W/(OH·OW) · (W + (s−1)·dw)/W products for each one
// of the gradient. The first computes (W + 2·pw)/OW of them, and its
// folds cost about as much as 3 of the K products of a dcol element.
// It needs two images or groups at least, being parallel over them.
func wideFold(g *Geom) bool {
	if g.StrideH != 1 || g.StrideW != 1 || g.N*g.Groups < 2 {
		return false
	}
	if testFold >= 0 {
		return testFold == 1
	}
	oh, ow := float64(g.OutH()), float64(g.OutW())
	h, w := float64(g.H), float64(g.W)
	conv := h * w / (oh * ow) * (w + float64((g.S-1)*g.DilW)) / w
	fold := float64(g.W+2*g.PadW)/ow + 3/float64(g.K/g.Groups)
	return fold < conv
}

// testFold, when not negative, overrides wideFold where it applies: 0
// never, 1 always (tests).
var testFold = -1

var dplanPools [2]sync.Pool

func getDplan[T Float]() *dplan[T] {
	d, _ := dplanPools[sizeIndex[T]()].Get().(*dplan[T])
	if d == nil {
		d = new(dplan[T])
		d.task = d.item
	}
	return d
}

func putDplan[T Float](d *dplan[T]) {
	d.dy, d.dx = nil, nil
	dplanPools[sizeIndex[T]()].Put(d)
}

func (d *dplan[T]) setup(g *Geom) {
	cg := g.C / g.Groups
	d.win = window{ci: cg, hi: g.H, wi: g.W, r: g.R, s: g.S,
		sh: g.StrideH, sw: g.StrideW, ph: g.PadH, pw: g.PadW, dh: g.DilH, dw: g.DilW,
		ho: g.OutH(), wo: g.OutW()}
	d.n, d.grp, d.co = g.N, g.Groups, g.K/g.Groups
	d.kg = d.win.rows()
	d.p = d.win.ho * d.win.wo
	d.u = pickMicro[T](d.p)
	d.nk = ceilDiv(d.co, d.u.Kc())
	d.slivers = ceilDiv(d.kg, d.u.Mr())
	d.ap = grow(d.ap, d.grp*d.slivers*d.u.Mr()*d.co)
	var z T
	size := int(sizeof(z))
	d.nb = max(d.u.Nr(), blockBytes/(d.kg*size)/d.u.Nr()*d.u.Nr())
	d.wide = wideFold(g)
	if d.wide {
		wp := d.win.wi + 2*d.win.pw
		d.orows = min(d.win.ho, max(1, blockBytes/(d.kg*wp*size)))
	}
}

// pack packs W_gᵀ, kg×co, element (t, i) = w[g·co + i][t].
func (d *dplan[T]) pack(g int, w []T) {
	mr := d.u.Mr()
	base := g * d.slivers * mr * d.co
	for pi := range d.nk {
		pc, pe := pi*d.co/d.nk, (pi+1)*d.co/d.nk
		kb := pe - pc
		for s := range d.slivers {
			dst := d.ap[base+pc*d.slivers*mr+s*kb*mr:][:kb*mr]
			for k := range kb {
				row := w[(g*d.co+pc+k)*d.kg:][:d.kg]
				for i := range mr {
					var v T
					if t := s*mr + i; t < d.kg {
						v = row[t]
					}
					dst[k*mr+i] = v
				}
			}
		}
	}
}

func (d *dplan[T]) run() {
	if items := d.n * d.grp; items > 0 {
		parallel.Do(items, d.task)
	}
}

func (d *dplan[T]) item(ng int) {
	g := ng % d.grp
	mr, nr := d.u.Mr(), d.u.Nr()
	inLen := d.win.ci * d.win.hi * d.win.wi
	dx := d.dx[ng*inLen : (ng+1)*inLen]
	dy := d.dy[ng*d.co*d.p : (ng+1)*d.co*d.p]
	clear(dx)
	if d.p == 0 {
		return
	}
	sc := getScratch[T]()
	sc.tmp = grow(sc.tmp, mr*nr)
	apg := d.ap[g*d.slivers*mr*d.co:]
	if d.wide {
		d.wideItem(sc, apg, dx, dy)
		putScratch(sc)
		return
	}
	for p0 := 0; p0 < d.p; p0 += d.nb {
		np := min(d.nb, d.p-p0)
		ld := roundUp(np, nr)
		sc.bp = grow(sc.bp, d.co*ld)
		sc.col = grow(sc.col, d.kg*ld)
		bp, col := sc.bp, sc.col
		for k := range d.co {
			row := bp[k*ld : (k+1)*ld]
			copy(row, dy[k*d.p+p0:k*d.p+p0+np])
			clear(row[np:])
		}
		for pi := range d.nk {
			pc, pe := pi*d.co/d.nk, (pi+1)*d.co/d.nk
			kb := pe - pc
			var beta T
			if pi > 0 {
				beta = 1
			}
			for s := range d.slivers {
				a := apg[pc*d.slivers*mr+s*kb*mr:][:kb*mr]
				mb := min(mr, d.kg-s*mr)
				for j := 0; j < np; j += nr {
					d.u.Tile(kb, a, 1, mr, bp[pc*ld+j:], ld, col[s*mr*ld+j:], ld, mb, min(nr, np-j), 1, beta, sc.tmp)
				}
			}
		}
		fold(dx, col, ld, &d.win, 0, d.kg, p0, np)
	}
	putScratch(sc)
}

// wideItem computes dx of one image and group at stride 1: for blocks of
// rows of dy taken on wide rows (wp = W + 2·pw, zero past OW), dcol =
// Wᵀ·dy, each of whose rows t = (c, ky, kx) is then added, as one run, to
// channel c of dx padded at the shift ky·dh·wp + kx·dw; dx is cropped
// out of the padded planes at the end. The dropped columns of dcol are
// zero, so their adds past the row change nothing.
func (d *dplan[T]) wideItem(sc *scratch[T], apg, dx, dy []T) {
	w := &d.win
	mr, nr := d.u.Mr(), d.u.Nr()
	wp, hp := w.wi+2*w.pw, w.hi+2*w.ph
	planeP := hp*wp + (w.s-1)*w.dw + nr // the dropped columns fold past the plane
	sc.xp = grow(sc.xp, w.ci*planeP)
	xp := sc.xp
	clear(xp)
	rs := w.r * w.s
	for oy0 := 0; oy0 < w.ho; oy0 += d.orows {
		nrows := min(d.orows, w.ho-oy0)
		nq := nrows * wp
		ld := roundUp(nq, nr)
		sc.bp = grow(sc.bp, d.co*ld)
		sc.col = grow(sc.col, d.kg*ld)
		bp, col := sc.bp, sc.col
		for k := range d.co {
			row := bp[k*ld : (k+1)*ld]
			for r := range nrows {
				src := dy[k*d.p+(oy0+r)*w.wo : k*d.p+(oy0+r+1)*w.wo]
				copyShort(row[r*wp:r*wp+w.wo], src)
				clearShort(row[r*wp+w.wo : (r+1)*wp])
			}
			clearShort(row[nq:])
		}
		for pi := range d.nk {
			pc, pe := pi*d.co/d.nk, (pi+1)*d.co/d.nk
			kb := pe - pc
			var beta T
			if pi > 0 {
				beta = 1
			}
			for s := range d.slivers {
				a := apg[pc*d.slivers*mr+s*kb*mr:][:kb*mr]
				mb := min(mr, d.kg-s*mr)
				for j := 0; j < nq; j += nr {
					d.u.Tile(kb, a, 1, mr, bp[pc*ld+j:], ld, col[s*mr*ld+j:], ld, mb, min(nr, nq-j), 1, beta, sc.tmp)
				}
			}
		}
		for t := range d.kg {
			c, k := t/rs, t%rs
			o := c*planeP + (oy0+k/w.s*w.dh)*wp + k%w.s*w.dw
			addRun(xp[o:o+nq], col[t*ld:t*ld+nq])
		}
	}
	for c := range w.ci {
		for iy := range w.hi {
			o := c*planeP + (iy+w.ph)*wp + w.pw
			copyShort(dx[(c*w.hi+iy)*w.wi:(c*w.hi+iy+1)*w.wi], xp[o:o+w.wi])
		}
	}
}

// addRun sets dst += src, through the float32 kernel where it applies.
func addRun[T Float](dst, src []T) {
	if f, ok := any(dst).([]float32); ok {
		kernel.Add(f, f, any(src).([]float32))
		return
	}
	for i, v := range src {
		dst[i] += v
	}
}

// BackwardWeight sets dw, or adds to it when accumulate is set, the
// gradient of Forward's y with respect to w, given dy:
//
//	dw[k][c][ky][kx] (+)= Σ_{n,oy,ox} dy[n][k][oy][ox] · x[n][k̂·C/G + c][oy·sh − ph + ky·dh][ox·sw − pw + kx·dw]
//
// as the product dWᵀ = Σₙ col(x[n])·dy[n]ᵀ over blocks of positions. The
// images are summed in chunks fixed by the batch size, each into a
// partial sum of its own, and the partial sums are added in order, so
// the result does not depend on the number of workers. At stride 1 the
// wide scheme reads the input rows in place: there, an infinite element
// of x can turn into NaN the gradient of a tap that does not reach it
// (it is multiplied by the zero gradient of a dropped column). dw is
// K×(C/G)×R×S; it must not overlap dy or x.
func BackwardWeight[T Float](g *Geom, dw, dy, x []T, accumulate bool) {
	g.mustCheck("BackwardWeight", [2]int{len(dw), g.wLen()}, [2]int{len(dy), g.outLen()}, [2]int{len(x), g.inLen()})
	b := getBplan[T]()
	b.setup(g)
	b.dy, b.x = dy, x
	b.run()
	b.reduce(dw[:g.wLen()], accumulate)
	putBplan(b)
}

// A bplan is the weight gradient: items are a chunk of images, a group
// and a block of rows of the unfolding (or planes of the wide scheme),
// each adding its images' products into its chunk's partial sum.
type bplan[T Float] struct {
	win    window
	wide   bool
	wd     wide
	n, grp int
	co     int // output channels per group: the columns of dWᵀ
	rows   int // rows of dWᵀ per group: (c, ky, kx), or (kx, ky, c) when wide
	nrows  int // rows of one product: rows, or the planes r·ci when wide
	p      int
	u      gemm.Micro[T]
	chunks int // chunks of images
	rblk   int // rows (planes) per item
	nrb    int // row blocks
	// The blocking of an image: positions per block (unfolded) or output
	// rows per block (wide); fixed by the shapes.
	nb, orows int
	part      []T // [chunk][group][rows][co]
	dy, x     []T
	dw        []T
	acc       bool
	task      func(int)
	rtask     func(int)
}

var bplanPools [2]sync.Pool

func getBplan[T Float]() *bplan[T] {
	b, _ := bplanPools[sizeIndex[T]()].Get().(*bplan[T])
	if b == nil {
		b = new(bplan[T])
		b.task = b.item
		b.rtask = b.reduceRow
	}
	return b
}

func putBplan[T Float](b *bplan[T]) {
	b.dy, b.x, b.dw = nil, nil, nil
	bplanPools[sizeIndex[T]()].Put(b)
}

// partBudget bounds the partial sums of the weight gradient, in elements
// (16 MiB of float32).
const partBudget = 4 << 20

func (b *bplan[T]) setup(g *Geom) {
	cg := g.C / g.Groups
	b.win = window{ci: cg, hi: g.H, wi: g.W, r: g.R, s: g.S,
		sh: g.StrideH, sw: g.StrideW, ph: g.PadH, pw: g.PadW, dh: g.DilH, dw: g.DilW,
		ho: g.OutH(), wo: g.OutW()}
	b.n, b.grp, b.co = g.N, g.Groups, g.K/g.Groups
	b.rows = b.win.rows()
	b.p = b.win.ho * b.win.wo
	b.wide = useWide(&b.win)
	var z T
	size := int(sizeof(z))
	b.u = pickMicro[T](b.co)
	mr := b.u.Mr()
	b.nrows = b.rows
	if b.wide {
		b.wd = weightWide(&b.win, mr)
		b.nrows = b.wd.kp
		b.orows, _ = wideRows(&b.win, b.wd.kp, 1, 1, size)
	} else {
		b.nb = max(b.u.Nr(), blockBytes/(b.rows*size)/8*8)
	}
	// Chunks of images: as many as keep every core busy, within the
	// budget of the partial sums; a function of the shapes alone.
	wl := g.K * b.rows
	b.chunks = max(1, min(b.n, minItems, partBudget/max(1, wl)))
	b.part = grow(b.part, b.chunks*wl)
	// Rows per item: blocks of whole slivers, enough for every core.
	nrb := max(1, min(ceilDiv(b.nrows, mr), ceilDiv(minItems, b.chunks*b.grp)))
	b.rblk = roundUp(ceilDiv(b.nrows, nrb), mr)
	b.nrb = ceilDiv(b.nrows, b.rblk)
}

func (b *bplan[T]) run() {
	parallel.Do(b.chunks*b.grp*b.nrb, b.task)
}

// item computes row block rb of group g of chunk ch: for every image of
// the chunk and every block of its positions, the rows of the unfolding
// (or the planes) of the block, read in place as A, times dyᵀ packed as B.
func (b *bplan[T]) item(it int) {
	rb, rest := it%b.nrb, it/b.nrb
	g, ch := rest%b.grp, rest/b.grp
	r0 := rb * b.rblk
	r1 := min(r0+b.rblk, b.nrows)
	part := b.part[(ch*b.grp+g)*b.rows*b.co:][:b.rows*b.co]
	n0, n1 := ch*b.n/b.chunks, (ch+1)*b.n/b.chunks
	sc := getScratch[T]()
	first := true
	for n := n0; n < n1; n++ {
		ng := n*b.grp + g
		inLen := b.win.ci * b.win.hi * b.win.wi
		x := b.x[ng*inLen : (ng+1)*inLen]
		dy := b.dy[ng*b.co*b.p : (ng+1)*b.co*b.p]
		if b.wide {
			first = b.wideImage(sc, part, x, dy, r0, r1, first)
		} else {
			first = b.unfoldedImage(sc, part, x, dy, r0, r1, first)
		}
	}
	if first { // no positions: the partial sum is zero
		for r := r0; r < r1; r++ {
			clear(part[r*b.co : (r+1)*b.co])
		}
		if b.wide {
			for kx := 1; kx < b.wd.taps; kx++ {
				for r := r0; r < r1; r++ {
					o := (kx*b.nrows + r) * b.co
					clear(part[o : o+b.co])
				}
			}
		}
	}
	putScratch(sc)
}

// packDyT packs the np positions from p0 of dy (co rows of p) as the
// slivers of B = dyᵀ: bp[s·np·Nr + q·Nr + j] = dy[s·Nr + j][p0 + q], zero
// past co. With wide rows of wp columns (wp > 0), position q of the block
// is column q mod wp of output row q div wp, and zero past wo.
func packDyT[T Float](bp, dy []T, co, p, p0, np, nr, wp, wo int) {
	if wp == 0 {
		wp, wo = np, np // one row of the block's positions
	}
	sl := ceilDiv(co, nr)
	for s := range sl {
		dst := bp[s*np*nr : (s+1)*np*nr]
		jn := min(nr, co-s*nr)
		if jn < nr {
			clear(dst)
		}
		// Four channels at a time, so that each pass writes four
		// adjacent elements of every row of the sliver.
		j := 0
		for ; j+4 <= jn; j += 4 {
			c := (s*nr + j) * p
			r0, r1, r2, r3 := dy[c:c+p], dy[c+p:c+2*p], dy[c+2*p:c+3*p], dy[c+3*p:c+4*p]
			for q := 0; q < np; q += wp {
				o := p0 + q/wp*wo
				a0, a1, a2, a3 := r0[o:o+wo], r1[o:o+wo], r2[o:o+wo], r3[o:o+wo]
				for x := range a0 {
					d := dst[(q+x)*nr+j : (q+x)*nr+j+4 : (q+x)*nr+j+4]
					d[0], d[1], d[2], d[3] = a0[x], a1[x], a2[x], a3[x]
				}
				for x := wo; x < wp; x++ {
					d := dst[(q+x)*nr+j : (q+x)*nr+j+4 : (q+x)*nr+j+4]
					d[0], d[1], d[2], d[3] = 0, 0, 0, 0
				}
			}
		}
		for ; j < jn; j++ {
			src := dy[(s*nr+j)*p:][:p]
			for q := 0; q < np; q += wp {
				o := p0 + q/wp*wo
				for x, v := range src[o : o+wo] {
					dst[(q+x)*nr+j] = v
				}
				for x := wo; x < wp; x++ {
					dst[(q+x)*nr+j] = 0
				}
			}
		}
	}
}

// unfoldedImage adds the products of one image's positions, in blocks of
// nb, to rows [r0, r1) of part: part[t][k] += Σ_p col[t][p]·dy[k][p].
func (b *bplan[T]) unfoldedImage(sc *scratch[T], part, x, dy []T, r0, r1 int, first bool) bool {
	mr, nr, kc := b.u.Mr(), b.u.Nr(), b.u.Kc()
	nt := r1 - r0
	ntp := roundUp(nt, mr)
	sc.tmp = grow(sc.tmp, mr*nr)
	for p0 := 0; p0 < b.p; p0 += b.nb {
		np := min(b.nb, b.p-p0)
		sc.col = grow(sc.col, ntp*np)
		sc.bp = grow(sc.bp, roundUp(b.co, nr)*np)
		col, bp := sc.col, sc.bp
		unfold(col, np, x, &b.win, r0, r1, p0, np, np)
		clear(col[nt*np : ntp*np])
		packDyT(bp, dy, b.co, b.p, p0, np, nr, 0, 0)
		for q0 := 0; q0 < np; q0 += kc {
			kb := min(kc, np-q0)
			var beta T = 1
			if first {
				beta = 0
			}
			first = false
			for i := 0; i < nt; i += mr {
				mb := min(mr, nt-i)
				for s := 0; s*nr < b.co; s++ {
					b.u.Tile(kb, col[i*np+q0:], np, 1, bp[s*np*nr+q0*nr:], nr, part[(r0+i)*b.co+s*nr:], b.co, mb, min(nr, b.co-s*nr), 1, beta, sc.tmp)
				}
			}
		}
	}
	return first
}

// wideImage adds the products of one image to the planes [r0, r1) of
// part, laid out [kx][ky·ci + c][k]: for each tap kx, part[kx][pl][k] +=
// Σ_q plane[pl][q + kx·dw]·dy[k][q] over the wide positions q of blocks of
// output rows (dy zero on the dropped columns).
func (b *bplan[T]) wideImage(sc *scratch[T], part, x, dy []T, r0, r1 int, first bool) bool {
	w := &b.win
	mr, nr, kc := b.u.Mr(), b.u.Nr(), b.u.Kc()
	wp := w.wi + 2*w.pw
	npl := r1 - r0
	nplp := roundUp(npl, mr)
	sc.tmp = grow(sc.tmp, mr*nr)
	for oy0 := 0; oy0 < w.ho; oy0 += b.orows {
		nrows := min(b.orows, w.ho-oy0)
		nq := nrows * wp
		plane := nq + b.wd.slack
		sc.col = grow(sc.col, nplp*plane)
		sc.bp = grow(sc.bp, roundUp(b.co, nr)*nq)
		u, bp := sc.col, sc.bp
		planes(u, plane, x, w, b.wd, oy0, nrows, r0, r1, &sc.xp)
		for pl := range npl {
			clearShort(u[pl*plane+nq : (pl+1)*plane])
		}
		clear(u[npl*plane : nplp*plane])
		packDyT(bp, dy, b.co, b.p, oy0*w.wo, nq, nr, wp, w.wo)
		for q0 := 0; q0 < nq; q0 += kc {
			kb := min(kc, nq-q0)
			var beta T = 1
			if first {
				beta = 0
			}
			for kx := range b.wd.taps {
				pk := part[kx*b.nrows*b.co:]
				for i := 0; i < npl; i += mr {
					mb := min(mr, npl-i)
					for s := 0; s*nr < b.co; s++ {
						b.u.Tile(kb, u[i*plane+q0+kx*b.wd.shift:], plane, 1, bp[s*nq*nr+q0*nr:], nr, pk[(r0+i)*b.co+s*nr:], b.co, mb, min(nr, b.co-s*nr), 1, beta, sc.tmp)
					}
				}
			}
			first = false
		}
	}
	return first
}

// reduce sets dw, or adds to it, the sum of the chunks' partial sums, in
// chunk order, moving each element from its row of dWᵀ to its place in
// w's layout.
func (b *bplan[T]) reduce(dw []T, acc bool) {
	b.dw, b.acc = dw, acc
	parallel.Do(b.grp*b.co, b.rtask)
}

// reduceRow reduces output channel k of group g (task g·co + k).
func (b *bplan[T]) reduceRow(it int) {
	g, k := it/b.co, it%b.co
	w := &b.win
	rs := w.r * w.s
	dst := b.dw[(g*b.co+k)*b.rows : (g*b.co+k+1)*b.rows]
	stride := b.grp * b.rows * b.co // between chunks
	base := g*b.rows*b.co + k
	for t := range dst { // t = (c, ky, kx), w's order
		r := t
		if b.wide && !b.wd.full {
			c, ky, kx := t/rs, t%rs/w.s, t%w.s
			r = kx*b.nrows + ky*w.ci + c
		}
		var s T
		if b.acc {
			s = dst[t]
		}
		o := base + r*b.co
		for range b.chunks {
			s += b.part[o]
			o += stride
		}
		dst[t] = s
	}
}

// BackwardBias sets db, or adds to it when accumulate is set, the
// gradient of Forward's y with respect to its bias: db[k] (+)= Σ_{n,p}
// dy[n][k][p], each image's sum over positions added in image order.
func BackwardBias[T Float](g *Geom, db, dy []T, accumulate bool) {
	g.mustCheck("BackwardBias", [2]int{len(db), g.K}, [2]int{len(dy), g.outLen()})
	p := g.OutH() * g.OutW()
	for k := range g.K {
		var s T
		if accumulate {
			s = db[k]
		}
		for n := range g.N {
			s += sum(dy[(n*g.K+k)*p : (n*g.K+k+1)*p])
		}
		db[k] = s
	}
}

// sum returns the sum of s, through the float32 kernel where it applies.
func sum[T Float](s []T) T {
	if f, ok := any(s).([]float32); ok {
		return T(kernel.Sum(f))
	}
	var t T
	for _, v := range s {
		t += v
	}
	return t
}
