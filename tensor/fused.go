package tensor

import "backprop/internal/kernel"

// This file holds fused operations: passes that the layers of a network
// would otherwise make as a chain of element-wise operations, each reading
// and writing the whole tensor.

// BiasReLUTo sets dst = max(a + b, 0), where b is a row (shape [n], or
// [1 … 1 n]) broadcast over the rows of a (last axis n): the bias add and
// activation of a layer in one pass. dst may be a.
func BiasReLUTo(dst, a, b *Tensor) *Tensor {
	dt := sameDType2("BiasReLU", a, b)
	if len(a.shape) == 0 || !isRowOf(b.shape, a.shape) {
		panicf("BiasReLU", "bias %v is not a row of %v", b.shape, a.shape)
	}
	checkDst("BiasReLU", dst, dt, a.shape)
	n := b.n
	if dt == Float32 && n < narrow {
		// Rows too short for the kernels' call to pay: a plain loop,
		// with the same float32 sums.
		d, x, r := dst.s32(), a.s32(), b.s32()
		for lo := 0; lo < len(d); lo += n {
			xs, ds := x[lo:lo+n], d[lo:lo+n]
			for i, v := range r {
				if y := xs[i] + v; y <= 0 {
					ds[i] = 0
				} else {
					ds[i] = y // NaN too, as kernel.ReLU
				}
			}
		}
		return dst
	}
	if dt == Float32 {
		d, x, r := dst.s32(), a.s32(), b.s32()
		for lo := 0; lo < len(d); lo += n {
			row := d[lo : lo+n]
			kernel.Add(row, x[lo:lo+n], r)
			kernel.ReLU(row, row)
		}
		return dst
	}
	d, x, r := dst.s64(), a.s64(), b.s64()
	for i := range d {
		d[i] = relu(x[i] + r[i%n])
	}
	return dst
}

// ReLUBackwardTo sets dst = 0 where y ≤ 0 and dy elsewhere: the gradient
// of max(x, 0) from its output y, which passes where y is NaN, as in
// PyTorch. dst may be dy.
func ReLUBackwardTo(dst, y, dy *Tensor) *Tensor {
	dt := sameDType2("ReLUBackward", y, dy)
	if !SameShape(y.shape, dy.shape) {
		panicf("ReLUBackward", "shapes %v and %v differ", y.shape, dy.shape)
	}
	checkDst("ReLUBackward", dst, dt, y.shape)
	if dt == Float32 {
		kernel.ReLUBackward(dst.s32(), y.s32(), dy.s32())
		return dst
	}
	d, a, g := dst.s64(), y.s64(), dy.s64()
	for i := range d {
		if a[i] <= 0 {
			d[i] = 0
		} else {
			d[i] = g[i]
		}
	}
	return dst
}

// sumRows sets dst (n elements) to the sum of the rows of src (len(src)/n
// rows of n), adding the rows in order, so that each element gets the same
// sums as a sequential loop from zero.
func sumRows(dst, src *Tensor) {
	n := dst.n
	if dst.dtype == Float32 {
		d, s := dst.s32(), src.s32()
		copy(d, s[:n])
		addRows32(d, s[n:])
		return
	}
	d, s := dst.s64(), src.s64()
	copy(d, s[:n])
	for lo := n; lo < len(s); lo += n {
		r := s[lo : lo+n]
		for i := range d {
			d[i] += r[i]
		}
	}
}

// SumRowsAddTo adds to dst the sum of the rows of src, whose last size is
// dst's length: dst += Σ_rows src, the accumulation of a bias gradient.
// Rows are added in order.
func SumRowsAddTo(dst, src *Tensor) *Tensor {
	dt := sameDType2("SumRowsAdd", dst, src)
	if len(src.shape) == 0 || !isRowOf(dst.shape, src.shape) {
		panicf("SumRowsAdd", "destination %v is not a row of %v", dst.shape, src.shape)
	}
	n := dst.n
	if dt == Float32 {
		addRows32(dst.s32(), src.s32())
		return dst
	}
	d, s := dst.s64(), src.s64()
	for lo := 0; lo < len(s); lo += n {
		r := s[lo : lo+n]
		for i := range d {
			d[i] += r[i]
		}
	}
	return dst
}

// BiasReLU returns max(a + b, 0); see BiasReLUTo.
func BiasReLU(a, b *Tensor) *Tensor {
	return BiasReLUTo(allocIn(arenaOf(a, b), "BiasReLU", a.dtype, a.shape, false), a, b)
}

// ReLUBackward returns dy where y > 0 and 0 elsewhere; see ReLUBackwardTo.
func ReLUBackward(y, dy *Tensor) *Tensor {
	return ReLUBackwardTo(allocIn(arenaOf(dy, y), "ReLUBackward", dy.dtype, dy.shape, false), y, dy)
}

// narrow is the row length below which the fused row operations use plain
// loops rather than a kernel call per row.
const narrow = 64

// addRows32 adds the rows of s (of len(d) each) to d, in order.
func addRows32(d, s []float32) {
	n := len(d)
	if n >= narrow {
		for lo := 0; lo < len(s); lo += n {
			kernel.Add(d, d, s[lo:lo+n])
		}
		return
	}
	for lo := 0; lo < len(s); lo += n {
		for i, v := range s[lo : lo+n] {
			d[i] += v
		}
	}
}
