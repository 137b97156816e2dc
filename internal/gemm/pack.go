package gemm

// packA packs rows [i0, i0+mb) and columns [p0, p0+kb) of op(A), whose
// element (i, p) is a[i·ars + p·acs], into one sliver of dst: for every p,
// mr consecutive values, the rows past mb zero.
func packA[T Float](dst, a []T, ars, acs, i0, mb, p0, kb, mr int) {
	dst = dst[:kb*mr]
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
	case acs == 1:
		for i := range mb {
			row := a[(i0+i)*ars+p0:][:kb]
			for p, v := range row {
				dst[p*mr+i] = v
			}
		}
		if mb < mr {
			for p := range kb {
				clear(dst[p*mr+mb : p*mr+mr])
			}
		}
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
			for p := range kb {
				o := (p0+p)*brs + jt
				d := s[p*nr : p*nr+nr]
				copy(d, b[o:o+w])
				clear(d[w:])
			}
			continue
		}
		// B is transposed: column j of op(B) is contiguous. Walk p outside
		// so that the writes are contiguous and the w columns read are w
		// sequential streams, each cache line of which serves several p.
		base := jt*bcs + p0*brs
		for p := range kb {
			d := s[p*nr : p*nr+w]
			o := base + p*brs
			for j := range d {
				d[j] = b[o+j*bcs]
			}
		}
		if w < nr {
			for p := range kb {
				clear(s[p*nr+w : p*nr+nr])
			}
		}
	}
}
