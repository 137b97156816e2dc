package gemm

import "unsafe"

// useTransposeBlock lets tests turn off the register transposes of packB.
var useTransposeBlock = true

// packA packs rows [i0, i0+mb) and columns [p0, p0+kb) of op(A), whose
// element (i, p) is a[i·ars + p·acs], into one sliver of dst: for every p,
// mr consecutive values, the rows past mb zero.
func packA[T Float](dst, a []T, ars, acs, i0, mb, p0, kb, mr int) {
	dst = dst[:kb*mr]
	side := transposeSide(unsafe.Sizeof(a[0]))
	if ars == 1 && mb == mr {
		_ = a[i0+(p0+kb-1)*acs+mr-1] // the last row moveRows would read
	}
	switch {
	case acs == 1 && mb == mr && mr == 8:
		base := i0*ars + p0
		r0 := a[base : base+kb]
		r1 := a[base+ars : base+ars+kb]
		r2 := a[base+2*ars : base+2*ars+kb]
		r3 := a[base+3*ars : base+3*ars+kb]
		r4 := a[base+4*ars : base+4*ars+kb]
		r5 := a[base+5*ars : base+5*ars+kb]
		r6 := a[base+6*ars : base+6*ars+kb]
		r7 := a[base+7*ars : base+7*ars+kb]
		for p := range kb {
			d := dst[p*8 : p*8+8 : p*8+8]
			d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
			d[4], d[5], d[6], d[7] = r4[p], r5[p], r6[p], r7[p]
		}
	case acs == 1 && mr <= side && kb >= side && useTransposeBlock:
		// Blocks of side columns go through transposeBlock, in registers,
		// the last columns one by one.
		base := i0*ars + p0
		pDone := kb / side * side
		for p := 0; p < pDone; p += side {
			transposeBlock(&dst[p*mr], mr, &a[base+p], ars, mb, mr)
		}
		for p := pDone; p < kb; p++ {
			d := dst[p*mr : p*mr+mr : p*mr+mr]
			for i := range mb {
				d[i] = a[base+i*ars+p]
			}
			for i := mb; i < mr; i++ {
				d[i] = 0
			}
		}
	case acs == 1:
		// p outside, so that the writes are contiguous and the mb rows
		// read are mb sequential streams.
		base := i0*ars + p0
		for p := range kb {
			d := dst[p*mr : p*mr+mr : p*mr+mr]
			for i := range mb {
				d[i] = a[base+i*ars+p]
			}
			for i := mb; i < mr; i++ {
				d[i] = 0
			}
		}
	case ars == 1 && mb == mr && moveRows(&dst[0], mr, &a[i0+p0*acs], acs, kb, mr):
		// A is transposed and the sliver whole: each p is mr consecutive
		// values, moved by masked vector loads and stores (copy would
		// call memmove for every p).
	default: // ars == 1 in practice: A is transposed
		for p := range kb {
			d := dst[p*mr : p*mr+mr]
			o := i0*ars + (p0+p)*acs
			if ars == 1 {
				copy(d, a[o:o+mb])
			} else {
				for i := range mb {
					d[i] = a[o+i*ars]
				}
			}
			clear(d[mb:])
		}
	}
}

// packB packs rows [p0, p0+kb) and columns [j0, j0+nb) of op(B), whose
// element (p, j) is b[p·brs + j·bcs], into ⌈nb/nr⌉ slivers of dst, each
// kb×nr and row-major, the columns past nb zero.
func packB[T Float](dst, b []T, brs, bcs, p0, kb, j0, nb, nr int) {
	for t := 0; t*nr < nb; t++ {
		w := min(nr, nb-t*nr)
		s := dst[t*kb*nr : (t+1)*kb*nr]
		jt := j0 + t*nr
		if bcs == 1 {
			o := p0*brs + jt
			_ = b[o+(kb-1)*brs+w-1] // the rows moveRows reads
			if moveRows(&s[0], nr, &b[o], brs, kb, w) {
				// Whole rows of a sliver by masked vector moves, where
				// copy would call memmove; then the columns past w are
				// cleared.
				if w < nr {
					for p := range kb {
						clear(s[p*nr+w : p*nr+nr])
					}
				}
				continue
			}
			for p := range kb {
				o := (p0+p)*brs + jt
				d := s[p*nr : p*nr+nr]
				copy(d, b[o:o+w])
				clear(d[w:])
			}
			continue
		}
		// B is transposed: column j of op(B) is contiguous. Blocks of
		// side rows go through transposeBlock, in registers, where it
		// exists (with zeros past column w); the rest walks p outside so
		// that the writes are contiguous and the w columns read are w
		// sequential streams, each cache line of which serves several p.
		base := jt*bcs + p0*brs
		pDone := 0
		if side := transposeSide(unsafe.Sizeof(b[0])); side > 0 && brs == 1 && useTransposeBlock {
			pDone = kb / side * side
			for p := 0; p < pDone; p += side {
				for j := 0; j < nr; j += side {
					rows, src := max(0, min(side, w-j)), base+p
					if rows > 0 {
						src += j * bcs
					}
					transposeBlock(&s[p*nr+j], nr, &b[src], bcs, rows, min(side, nr-j))
				}
			}
		}
		for p := pDone; p < kb; p++ {
			d := s[p*nr : p*nr+nr : p*nr+nr]
			o := base + p*brs
			for j := range w {
				d[j] = b[o+j*bcs]
			}
			for j := w; j < nr; j++ {
				d[j] = 0
			}
		}
	}
}
