package conv

import "unsafe"

// copyShort and clearShort copy and clear the short runs of the
// unfolding (a row of an image, tens of elements) in 32-byte moves, the
// last one overlapping the one before: faster than the calls of copy and
// clear for such lengths. They are written per element size, since a
// generic array copy becomes a call of memmove.
func copyShort[T Float](d, s []T) {
	n := len(d)
	if n == 0 {
		return
	}
	_ = s[n-1]
	if unsafe.Sizeof(d[0]) == 4 {
		copy32(unsafe.Pointer(&d[0]), unsafe.Pointer(&s[0]), n)
	} else {
		copy64(unsafe.Pointer(&d[0]), unsafe.Pointer(&s[0]), n)
	}
}

func clearShort[T Float](d []T) {
	n := len(d)
	if n == 0 {
		return
	}
	if unsafe.Sizeof(d[0]) == 4 {
		clear32(unsafe.Pointer(&d[0]), n)
	} else {
		clear64(unsafe.Pointer(&d[0]), n)
	}
}

// move32 copies 32 bytes from s to d through registers (a 32-byte array
// copy between unsafe pointers becomes a call of memmove).
func move32(d, s unsafe.Pointer) {
	a := *(*uint64)(s)
	b := *(*uint64)(unsafe.Add(s, 8))
	c := *(*uint64)(unsafe.Add(s, 16))
	e := *(*uint64)(unsafe.Add(s, 24))
	*(*uint64)(d) = a
	*(*uint64)(unsafe.Add(d, 8)) = b
	*(*uint64)(unsafe.Add(d, 16)) = c
	*(*uint64)(unsafe.Add(d, 24)) = e
}

func zero32(d unsafe.Pointer) {
	*(*uint64)(d) = 0
	*(*uint64)(unsafe.Add(d, 8)) = 0
	*(*uint64)(unsafe.Add(d, 16)) = 0
	*(*uint64)(unsafe.Add(d, 24)) = 0
}

// copyBytes copies n ≥ 32 bytes from s to d in 32-byte moves, the last
// one overlapping the one before.
func copyBytes(d, s unsafe.Pointer, n int) {
	for i := 0; i < n-32; i += 32 {
		move32(unsafe.Add(d, i), unsafe.Add(s, i))
	}
	move32(unsafe.Add(d, n-32), unsafe.Add(s, n-32))
}

func clearBytes(d unsafe.Pointer, n int) {
	for i := 0; i < n-32; i += 32 {
		zero32(unsafe.Add(d, i))
	}
	zero32(unsafe.Add(d, n-32))
}

func copy32(d, s unsafe.Pointer, n int) {
	if n < 8 {
		dd, ss := unsafe.Slice((*float32)(d), n), unsafe.Slice((*float32)(s), n)
		for i := range dd {
			dd[i] = ss[i]
		}
		return
	}
	copyBytes(d, s, 4*n)
}

func copy64(d, s unsafe.Pointer, n int) {
	if n < 4 {
		dd, ss := unsafe.Slice((*float64)(d), n), unsafe.Slice((*float64)(s), n)
		for i := range dd {
			dd[i] = ss[i]
		}
		return
	}
	copyBytes(d, s, 8*n)
}

func clear32(d unsafe.Pointer, n int) {
	if n < 8 {
		clear(unsafe.Slice((*float32)(d), n))
		return
	}
	clearBytes(d, 4*n)
}

func clear64(d unsafe.Pointer, n int) {
	if n < 4 {
		clear(unsafe.Slice((*float64)(d), n))
		return
	}
	clearBytes(d, 8*n)
}
