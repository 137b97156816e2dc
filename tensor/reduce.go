package tensor

import (
	"math"
	"slices"

	"backprop/internal/kernel"
)

// reduceAxes normalises axes (none means all) into the set of reduced
// axes, bit i for axis i, panicking on an axis out of range or repeated.
func reduceAxes(op string, shape []int, axes []int) (set uint64) {
	if len(shape) > 64 {
		panicf(op, "%d dimensions, more than 64", len(shape))
	}
	if len(axes) == 0 {
		return 1<<len(shape) - 1
	}
	for _, ax := range axes {
		a := normAxis(op, ax, len(shape))
		if set&(1<<a) != 0 {
			panicf(op, "axis %d repeated in %v", ax, axes)
		}
		set |= 1 << a
	}
	return set
}

// keptShape appends to buf the shape of a reduction over the axes in set
// that keeps them as size 1.
func keptShape(buf, shape []int, set uint64) []int {
	for i, d := range shape {
		if set&(1<<i) != 0 {
			d = 1
		}
		buf = append(buf, d)
	}
	return buf
}

// squeezedShape appends to buf the shape of a reduction over the axes in
// set that drops them.
func squeezedShape(buf, shape []int, set uint64) []int {
	for i, d := range shape {
		if set&(1<<i) == 0 {
			buf = append(buf, d)
		}
	}
	return buf
}

// ReducedShape returns the shape of a reduction of shape over axes (all
// axes when none are given), keeping reduced axes as size 1 if keepdims.
func ReducedShape(shape []int, keepdims bool, axes ...int) []int {
	set := reduceAxes("ReducedShape", shape, axes)
	if keepdims {
		return keptShape(make([]int, 0, len(shape)), shape, set)
	}
	return squeezedShape([]int{}, shape, set)
}

// reduce folds a over axes into dst (which has either the kept or the
// squeezed shape) with f, starting every output element at init.
func reduce(op string, dst, a *Tensor, axes []int, init float64, f func(acc, x float64) float64) *Tensor {
	return reduceK(op, dst, a, axes, init, nil, f)
}

// reduceK is reduce with a float32 kernel k that folds a whole slice; it
// serves reductions over all axes and over the last axis alone.
func reduceK(op string, dst, a *Tensor, axes []int, init float64, k func([]float32) float32, f func(acc, x float64) float64) *Tensor {
	set := reduceAxes(op, a.shape, axes)
	var kb, sb [8]int
	keep := keptShape(kb[:0], a.shape, set)
	if dst == a && a.Len() > 1 {
		panicf(op, "destination aliases the operand")
	}
	if dst.dtype != a.dtype {
		panicf(op, "destination is %v, operand is %v", dst.dtype, a.dtype)
	}
	squeezed := squeezedShape(sb[:0], a.shape, set)
	if !SameShape(dst.shape, keep) && !SameShape(dst.shape, squeezed) {
		panicf(op, "destination shape %v, want %v or %v", dst.shape, slices.Clone(keep), slices.Clone(squeezed))
	}
	if k != nil && a.dtype == Float32 {
		n := 0 // length of the reduced rows
		switch {
		case len(axes) == 0 || len(a.shape) == 0 || (len(axes) == 1 && len(a.shape) == 1):
			n = a.n
		case len(axes) == 1 && normAxis(op, axes[0], len(a.shape)) == len(a.shape)-1:
			n = a.shape[len(a.shape)-1]
		}
		if n > 0 {
			d, x := dst.s32(), a.s32()
			for i := range d {
				d[i] = k(x[i*n : (i+1)*n])
			}
			return dst
		}
	}
	dst.Fill(init)
	st := [][]int{bstrides(keep, a.shape)}
	if a.dtype == Float32 {
		d, x := dst.s32(), a.s32()
		walk(a.shape, st, func(i int, o []int) { d[o[0]] = float32(f(float64(d[o[0]]), float64(x[i]))) })
	} else {
		d, x := dst.s64(), a.s64()
		walk(a.shape, st, func(i int, o []int) { d[o[0]] = f(d[o[0]], x[i]) })
	}
	return dst
}

func fmax(acc, x float64) float64 {
	if x > acc || x != x {
		return x
	}
	return acc
}

func fmin(acc, x float64) float64 {
	if x < acc || x != x {
		return x
	}
	return acc
}

// SumTo sets dst to the sum of a over axes (all when none are given). dst
// has the reduced shape, with or without the reduced axes kept as size 1.
func SumTo(dst, a *Tensor, axes ...int) *Tensor {
	return reduceK("Sum", dst, a, axes, 0, kernel.Sum, fadd)
}

// MeanTo sets dst to the mean of a over axes.
func MeanTo(dst, a *Tensor, axes ...int) *Tensor {
	reduceK("Mean", dst, a, axes, 0, kernel.Sum, fadd)
	if dst.Len() > 0 {
		ScaleTo(dst, dst, float64(dst.Len())/float64(a.Len()))
	}
	return dst
}

// MaxTo sets dst to the maximum of a over axes; NaN propagates.
func MaxTo(dst, a *Tensor, axes ...int) *Tensor {
	checkNonEmpty("Max", a, axes)
	return reduceK("Max", dst, a, axes, math.Inf(-1), kernel.Max, fmax)
}

// MinTo sets dst to the minimum of a over axes; NaN propagates.
func MinTo(dst, a *Tensor, axes ...int) *Tensor {
	checkNonEmpty("Min", a, axes)
	return reduce("Min", dst, a, axes, math.Inf(1), fmin)
}

func checkNonEmpty(op string, a *Tensor, axes []int) {
	set := reduceAxes(op, a.shape, axes)
	for i, d := range a.shape {
		if set&(1<<i) != 0 && d == 0 {
			panicf(op, "reduction over empty axis %d of shape %v", i, a.shape)
		}
	}
}

func newReduced(op string, a *Tensor, keepdims bool, axes []int) *Tensor {
	set := reduceAxes(op, a.shape, axes)
	var buf [8]int
	shape := squeezedShape(buf[:0], a.shape, set)
	if keepdims {
		shape = keptShape(buf[:0], a.shape, set)
	}
	return allocIn(a.arena, op, a.dtype, shape, true)
}

// Sum returns the sum of a over axes (all when none are given), keeping
// the reduced axes as size 1 if keepdims.
func Sum(a *Tensor, keepdims bool, axes ...int) *Tensor {
	return SumTo(newReduced("Sum", a, keepdims, axes), a, axes...)
}

// Mean returns the mean of a over axes.
func Mean(a *Tensor, keepdims bool, axes ...int) *Tensor {
	return MeanTo(newReduced("Mean", a, keepdims, axes), a, axes...)
}

// Max returns the maximum of a over axes.
func Max(a *Tensor, keepdims bool, axes ...int) *Tensor {
	return MaxTo(newReduced("Max", a, keepdims, axes), a, axes...)
}

// Min returns the minimum of a over axes.
func Min(a *Tensor, keepdims bool, axes ...int) *Tensor {
	return MinTo(newReduced("Min", a, keepdims, axes), a, axes...)
}

// split returns the sizes before, along and after axis.
func split(shape []int, axis int) (outer, n, inner int) {
	outer, inner = 1, 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	return outer, shape[axis], inner
}

// ArgMax returns, for every position of a with axis removed (row-major),
// the index along axis of the largest element; the first one on ties.
func ArgMax(a *Tensor, axis int) []int { return argBest("ArgMax", a, axis, 1) }

// ArgMin is ArgMax for the smallest element.
func ArgMin(a *Tensor, axis int) []int { return argBest("ArgMin", a, axis, -1) }

func argBest(op string, a *Tensor, axis int, sign float64) []int {
	axis = normAxis(op, axis, len(a.shape))
	outer, n, inner := split(a.shape, axis)
	if n == 0 {
		panicf(op, "empty axis %d of shape %v", axis, a.shape)
	}
	out := make([]int, outer*inner)
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			base := o*n*inner + in
			best, bi := sign*a.get(base), 0
			for j := 1; j < n; j++ {
				v := sign * a.get(base+j*inner)
				if v > best || (v != v && best == best) {
					best, bi = v, j
				}
			}
			out[o*inner+in] = bi
		}
	}
	return out
}

// SoftmaxTo sets dst to the softmax of a along axis: exp(x − max) divided
// by its sum, so that large inputs do not overflow.
func SoftmaxTo(dst, a *Tensor, axis int) *Tensor { return softmax("Softmax", dst, a, axis, false) }

// LogSoftmaxTo sets dst to log(softmax(a)) along axis, computed as
// x − max − log Σ exp(x − max) so that it never takes the log of 0.
func LogSoftmaxTo(dst, a *Tensor, axis int) *Tensor {
	return softmax("LogSoftmax", dst, a, axis, true)
}

// Softmax returns the softmax of a along axis.
func Softmax(a *Tensor, axis int) *Tensor {
	return SoftmaxTo(newLike("Softmax", a), a, axis)
}

// LogSoftmax returns log(softmax(a)) along axis.
func LogSoftmax(a *Tensor, axis int) *Tensor {
	return LogSoftmaxTo(newLike("LogSoftmax", a), a, axis)
}

func softmax(op string, dst, a *Tensor, axis int, logOut bool) *Tensor {
	checkDst(op, dst, a.dtype, a.shape)
	axis = normAxis(op, axis, len(a.shape))
	outer, n, inner := split(a.shape, axis)
	if a.dtype == Float32 && inner == 1 {
		// Rows along the last axis (or axes of size 1 after it): the
		// kernels, max-shifted the same way.
		if logOut {
			kernel.LogSoftmax(dst.s32(), a.s32(), n)
		} else {
			kernel.Softmax(dst.s32(), a.s32(), n)
		}
		return dst
	}
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			base := o*n*inner + in
			m := math.Inf(-1)
			for j := 0; j < n; j++ {
				m = max(m, a.get(base+j*inner))
			}
			if math.IsInf(m, -1) {
				m = 0 // all −∞: avoid −∞ − (−∞); the row is 0/0 = NaN, as in NumPy
			}
			s := 0.0
			for j := 0; j < n; j++ {
				s += kernel.Exp64(a.get(base+j*inner) - m)
			}
			if logOut {
				ls := kernel.Log64(s)
				for j := 0; j < n; j++ {
					i := base + j*inner
					dst.set(i, a.get(i)-m-ls)
				}
			} else {
				for j := 0; j < n; j++ {
					i := base + j*inner
					dst.set(i, kernel.Exp64(a.get(i)-m)/s)
				}
			}
		}
	}
	return dst
}
