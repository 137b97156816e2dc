package tensor

import "slices"

// PermuteTo sets dst to a with its axes reordered: axis i of dst is axis
// axes[i] of a.
func PermuteTo(dst, a *Tensor, axes ...int) *Tensor {
	shape := permutedShape("Permute", a.shape, axes)
	checkDst("Permute", dst, a.dtype, shape)
	if dst == a && a.Len() > 1 {
		panicf("Permute", "destination aliases the operand")
	}
	// Read a with its strides permuted, write dst in order.
	as := stridesOf(a.shape)
	st := make([]int, len(axes))
	for i, ax := range axes {
		st[i] = as[normAxis("Permute", ax, len(a.shape))]
	}
	if r := len(shape) - 1; r >= 1 && st[r] == 1 && shape[r] > 1 {
		// The last axis stays last (the heads of attention, [N T H d] to
		// [N H T d]): copy its runs whole.
		n := shape[r]
		if a.dtype == Float32 {
			d, s := dst.s32(), a.s32()
			walk(shape[:r], [][]int{st[:r]}, func(i int, o []int) { copy(d[i*n:(i+1)*n], s[o[0]:o[0]+n]) })
		} else {
			d, s := dst.s64(), a.s64()
			walk(shape[:r], [][]int{st[:r]}, func(i int, o []int) { copy(d[i*n:(i+1)*n], s[o[0]:o[0]+n]) })
		}
		return dst
	}
	if a.dtype == Float32 {
		d, s := dst.s32(), a.s32()
		walk(shape, [][]int{st}, func(i int, o []int) { d[i] = s[o[0]] })
	} else {
		d, s := dst.s64(), a.s64()
		walk(shape, [][]int{st}, func(i int, o []int) { d[i] = s[o[0]] })
	}
	return dst
}

func permutedShape(op string, shape, axes []int) []int {
	if len(axes) != len(shape) {
		panicf(op, "axes %v for shape %v", axes, shape)
	}
	seen := make([]bool, len(shape))
	out := make([]int, len(shape))
	for i, ax := range axes {
		a := normAxis(op, ax, len(shape))
		if seen[a] {
			panicf(op, "axes %v is not a permutation", axes)
		}
		seen[a] = true
		out[i] = shape[a]
	}
	return out
}

// Permute returns a copy of a with its axes reordered; see PermuteTo.
func Permute(a *Tensor, axes ...int) *Tensor {
	return PermuteTo(allocIn(a.arena, "Permute", a.dtype, permutedShape("Permute", a.shape, axes), false), a, axes...)
}

// InversePermutation returns the axes that undo Permute(·, axes...).
func InversePermutation(axes []int) []int {
	inv := make([]int, len(axes))
	for i, ax := range axes {
		if ax < 0 {
			ax += len(axes)
		}
		inv[ax] = i
	}
	return inv
}

// TransposeAxes returns the permutation that swaps the last two of n axes.
func TransposeAxes(n int) []int {
	axes := make([]int, n)
	for i := range axes {
		axes[i] = i
	}
	if n >= 2 {
		axes[n-1], axes[n-2] = axes[n-2], axes[n-1]
	}
	return axes
}

// Transpose returns a copy of a with its last two axes swapped (a 1-d or
// 0-d tensor is returned as a copy). Prefer the transpose flags of MatMul,
// which need no copy.
func Transpose(a *Tensor) *Tensor { return Permute(a, TransposeAxes(a.Dims())...) }

// SliceTo sets dst to the elements of a with index start ≤ i < end along
// axis.
func SliceTo(dst, a *Tensor, axis, start, end int) *Tensor {
	axis, shape := sliceShape("Slice", a.shape, axis, start, end)
	checkDst("Slice", dst, a.dtype, shape)
	outer, n, inner := split(a.shape, axis)
	w := (end - start) * inner
	for o := 0; o < outer; o++ {
		src := o*n*inner + start*inner
		if a.dtype == Float32 {
			copy(dst.s32()[o*w:o*w+w], a.s32()[src:src+w])
		} else {
			copy(dst.s64()[o*w:o*w+w], a.s64()[src:src+w])
		}
	}
	return dst
}

func sliceShape(op string, shape []int, axis, start, end int) (int, []int) {
	axis = normAxis(op, axis, len(shape))
	if start < 0 || end < start || end > shape[axis] {
		panicf(op, "range [%d:%d] out of bounds for axis %d of shape %v", start, end, axis, shape)
	}
	out := slices.Clone(shape)
	out[axis] = end - start
	return axis, out
}

// Slice returns a copy of the elements of a with start ≤ i < end along axis.
func Slice(a *Tensor, axis, start, end int) *Tensor {
	_, shape := sliceShape("Slice", a.shape, axis, start, end)
	return SliceTo(allocIn(a.arena, "Slice", a.dtype, shape, true), a, axis, start, end)
}

// SetSlice copies src into the elements of dst with index start ≤ i <
// start+src.Dim(axis) along axis; the other axes must match. It returns dst.
func SetSlice(dst, src *Tensor, axis, start int) *Tensor {
	sameDType2("SetSlice", dst, src)
	if src.Dims() != dst.Dims() {
		panicf("SetSlice", "shapes %v into %v", src.shape, dst.shape)
	}
	axis = normAxis("SetSlice", axis, len(dst.shape))
	_, want := sliceShape("SetSlice", dst.shape, axis, start, start+src.shape[axis])
	if !SameShape(want, src.shape) {
		panicf("SetSlice", "shape %v does not fit %v at axis %d offset %d", src.shape, dst.shape, axis, start)
	}
	outer, n, inner := split(dst.shape, axis)
	w := src.shape[axis] * inner
	for o := 0; o < outer; o++ {
		d := o*n*inner + start*inner
		if dst.dtype == Float32 {
			copy(dst.s32()[d:d+w], src.s32()[o*w:o*w+w])
		} else {
			copy(dst.s64()[d:d+w], src.s64()[o*w:o*w+w])
		}
	}
	return dst
}

// IndexSelectTo sets dst to the slices of a at the given indices along
// axis, in order (indices may repeat): dst.Dim(axis) = len(idx).
func IndexSelectTo(dst, a *Tensor, axis int, idx []int) *Tensor {
	axis, shape := indexShape("IndexSelect", a.shape, axis, idx)
	checkDst("IndexSelect", dst, a.dtype, shape)
	if dst == a && a.Len() > 1 {
		panicf("IndexSelect", "destination aliases the operand")
	}
	outer, n, inner := split(a.shape, axis)
	for o := 0; o < outer; o++ {
		for j, ix := range idx {
			src := (o*n + ix) * inner
			d := (o*len(idx) + j) * inner
			if a.dtype == Float32 {
				copy(dst.s32()[d:d+inner], a.s32()[src:src+inner])
			} else {
				copy(dst.s64()[d:d+inner], a.s64()[src:src+inner])
			}
		}
	}
	return dst
}

func indexShape(op string, shape []int, axis int, idx []int) (int, []int) {
	axis = normAxis(op, axis, len(shape))
	for _, ix := range idx {
		if ix < 0 || ix >= shape[axis] {
			panicf(op, "index %d out of range for axis %d of shape %v", ix, axis, shape)
		}
	}
	out := slices.Clone(shape)
	out[axis] = len(idx)
	return axis, out
}

// IndexSelect returns the slices of a at the given indices along axis.
func IndexSelect(a *Tensor, axis int, idx []int) *Tensor {
	_, shape := indexShape("IndexSelect", a.shape, axis, idx)
	return IndexSelectTo(allocIn(a.arena, "IndexSelect", a.dtype, shape, true), a, axis, idx)
}

// IndexAdd adds slice j of src along axis into slice idx[j] of dst, summing
// where indices repeat: the adjoint of IndexSelect. It returns dst.
func IndexAdd(dst *Tensor, axis int, idx []int, src *Tensor) *Tensor {
	sameDType2("IndexAdd", dst, src)
	axis, shape := indexShape("IndexAdd", dst.shape, axis, idx)
	if !SameShape(shape, src.shape) {
		panicf("IndexAdd", "source shape %v, want %v", src.shape, shape)
	}
	outer, n, inner := split(dst.shape, axis)
	for o := 0; o < outer; o++ {
		for j, ix := range idx {
			d := (o*n + ix) * inner
			s := (o*len(idx) + j) * inner
			if dst.dtype == Float32 {
				dd, ss := dst.s32()[d:d+inner], src.s32()[s:s+inner]
				for i := range dd {
					dd[i] += ss[i]
				}
			} else {
				dd, ss := dst.s64()[d:d+inner], src.s64()[s:s+inner]
				for i := range dd {
					dd[i] += ss[i]
				}
			}
		}
	}
	return dst
}

// PickTo sets dst[i] = a[i, idx[i]] for a 2-d a of shape [n, c] and a 1-d
// dst of length n: one element per row, as when selecting the score of
// each example's class label.
func PickTo(dst, a *Tensor, idx []int) *Tensor {
	if a.Dims() != 2 || len(idx) != a.shape[0] {
		panicf("Pick", "shape %v with %d indices: want [n c] with n indices", a.shape, len(idx))
	}
	checkDst("Pick", dst, a.dtype, []int{len(idx)})
	c := a.shape[1]
	for i, ix := range idx {
		if ix < 0 || ix >= c {
			panicf("Pick", "index %d of row %d out of range [0,%d)", ix, i, c)
		}
		dst.set(i, a.get(i*c+ix))
	}
	return dst
}

// Pick returns a[i, idx[i]] for each row i of a 2-d a; see PickTo.
func Pick(a *Tensor, idx []int) *Tensor {
	n := len(idx)
	return PickTo(allocIn(a.arena, "Pick", a.dtype, []int{n}, true), a, idx)
}

func concatShape(op string, axis int, ts []*Tensor) (int, []int) {
	if len(ts) == 0 {
		panicf(op, "no tensors")
	}
	sameDType(op, ts...)
	axis = normAxis(op, axis, ts[0].Dims())
	out := slices.Clone(ts[0].shape)
	for _, t := range ts[1:] {
		if t.Dims() != len(out) {
			panicf(op, "shapes %v and %v have different ranks", ts[0].shape, t.shape)
		}
		for i, d := range t.shape {
			if i != axis && d != out[i] {
				panicf(op, "shapes %v and %v differ outside axis %d", ts[0].shape, t.shape, axis)
			}
		}
		out[axis] += t.shape[axis]
	}
	return axis, out
}

// ConcatTo sets dst to the tensors joined along an existing axis.
func ConcatTo(dst *Tensor, axis int, ts ...*Tensor) *Tensor {
	axis, shape := concatShape("Concat", axis, ts)
	checkDst("Concat", dst, ts[0].dtype, shape)
	off := 0
	for _, t := range ts {
		SetSlice(dst, t, axis, off)
		off += t.shape[axis]
	}
	return dst
}

// Concat returns the tensors joined along an existing axis.
func Concat(axis int, ts ...*Tensor) *Tensor {
	_, shape := concatShape("Concat", axis, ts)
	return ConcatTo(allocIn(arenaOfAll(ts), "Concat", ts[0].dtype, shape, true), axis, ts...)
}

// StackShape returns the shape of stacking count tensors of shape along a
// new axis (which may be negative, counting from the end of the result).
func StackShape(shape []int, axis, count int) (int, []int) {
	axis = normAxis("Stack", axis, len(shape)+1)
	out := slices.Insert(slices.Clone(shape), axis, count)
	return axis, out
}

// Stack returns the tensors, which must share one shape, joined along a new
// axis.
func Stack(axis int, ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		panicf("Stack", "no tensors")
	}
	for _, t := range ts[1:] {
		if !SameShape(t.shape, ts[0].shape) {
			panicf("Stack", "shapes %v and %v differ", ts[0].shape, t.shape)
		}
	}
	axis, shape := StackShape(ts[0].shape, axis, len(ts))
	// Stacking is concatenation of the inputs with a size-1 axis inserted.
	one := slices.Insert(slices.Clone(ts[0].shape), axis, 1)
	views := make([]*Tensor, len(ts))
	for i, t := range ts {
		views[i] = t.Reshape(one...)
	}
	return ConcatTo(allocIn(arenaOfAll(ts), "Stack", sameDType("Stack", ts...), shape, true), axis, views...)
}
