package conv

// A window is the geometry of one group of one image as the unfolding
// sees it: an input of ci channels of hi×wi, an r×s kernel with strides,
// padding (which may be negative: a crop) and dilations, and an output of
// ho×wo positions. Row t = (c, ky, kx) of the unfolded matrix, in that
// order (c·r·s + ky·s + kx, the order of a weight's row), holds at column
// p = oy·wo + ox the input element x[c][oy·sh − ph + ky·dh][ox·sw − pw +
// kx·dw], or 0 where that falls outside the input.
type window struct {
	ci, hi, wi             int
	r, s                   int
	sh, sw, ph, pw, dh, dw int
	ho, wo                 int
}

// rows returns the rows of the unfolded matrix, ci·r·s.
func (w *window) rows() int { return w.ci * w.r * w.s }

// oxRange returns the output columns [lo, hi) whose tap kx falls inside
// the input: 0 ≤ ox·sw − pw + kx·dw < wi.
func (w *window) oxRange(kx int) (lo, hi int) {
	off := kx*w.dw - w.pw
	lo = max(0, ceilDiv(-off, w.sw))
	hi = min(w.wo, floorDiv(w.wi-1-off, w.sw)+1)
	return lo, max(lo, hi)
}

// unfold sets col[(t−t0)·ld + q], for rows t in [t0, t1) and q in [0, np),
// to row t of the unfolding of x (one image's ci channels of hi×wi) at
// column p0 + q, and clears columns np to pad of every row.
func unfold[T Float](col []T, ld int, x []T, w *window, t0, t1, p0, np, pad int) {
	rs, s, wo, wi, hi, sh, sw := w.r*w.s, w.s, w.wo, w.wi, w.hi, w.sh, w.sw
	plane := hi * wi
	oy0, ox00 := p0/wo, p0%wo
	for t := t0; t < t1; t++ {
		c, k := t/rs, t%rs
		ky, kx := k/s, k%s
		row := col[(t-t0)*ld : (t-t0)*ld+pad]
		if pad > np {
			clearShort(row[np:])
		}
		xc := x[c*plane : c*plane+plane]
		lo, hiX := w.oxRange(kx)
		ixOff := kx*w.dw - w.pw
		iyOff := ky*w.dh - w.ph
		oy, ox0 := oy0, ox00
		for q := 0; q < np; oy, ox0 = oy+1, 0 {
			n := min(wo-ox0, np-q)
			dst := row[q : q+n]
			q += n
			iy := oy*sh + iyOff
			a, b := max(lo, ox0), min(hiX, ox0+n) // the valid columns
			if uint(iy) >= uint(hi) || a >= b {
				clearShort(dst)
				continue
			}
			if a > ox0 {
				clearShort(dst[:a-ox0])
			}
			if b < ox0+n {
				clearShort(dst[b-ox0:])
			}
			ix := iy*wi + a*sw + ixOff
			d := dst[a-ox0 : b-ox0]
			if sw == 1 {
				copyShort(d, xc[ix:ix+len(d)])
				continue
			}
			src := xc[ix : ix+(len(d)-1)*sw+1]
			for i := range d {
				d[i] = src[i*sw]
			}
		}
	}
}

// fold adds row t of col, for t in [t0, t1), back onto the input elements
// it was unfolded from: x[c][iy][ix] += col[(t−t0)·ld + q] for the np
// columns from p0, skipping those outside the input. It is the transpose
// of unfold (col2im).
func fold[T Float](x []T, col []T, ld int, w *window, t0, t1, p0, np int) {
	rs := w.r * w.s
	plane := w.hi * w.wi
	for t := t0; t < t1; t++ {
		c, k := t/rs, t%rs
		ky, kx := k/w.s, k%w.s
		row := col[(t-t0)*ld : (t-t0)*ld+np]
		xc := x[c*plane : c*plane+plane]
		lo, hi := w.oxRange(kx)
		ixOff := kx*w.dw - w.pw
		iyOff := ky*w.dh - w.ph
		oy, ox0 := p0/w.wo, p0%w.wo
		for q := 0; q < np; oy, ox0 = oy+1, 0 {
			n := min(w.wo-ox0, np-q)
			src := row[q : q+n]
			q += n
			iy := oy*w.sh + iyOff
			if iy < 0 || iy >= w.hi {
				continue
			}
			a := min(max(lo, ox0), ox0+n)
			b := max(a, min(hi, ox0+n))
			if a == b {
				continue
			}
			s := src[a-ox0 : b-ox0]
			ix := a*w.sw + ixOff
			dst := xc[iy*w.wi+ix : iy*w.wi+ix+(len(s)-1)*w.sw+1]
			if w.sw == 1 {
				for i, v := range s {
					dst[i] += v
				}
				continue
			}
			for i, v := range s {
				dst[i*w.sw] += v
			}
		}
	}
}
