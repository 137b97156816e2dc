package tensor_test

import (
	"fmt"
	"slices"
	"testing"

	"backprop/tensor"
)

// allPerms returns every permutation of 0…n−1.
func allPerms(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range allPerms(n - 1) {
		for pos := 0; pos <= len(p); pos++ {
			out = append(out, slices.Insert(slices.Clone(p), pos, n-1))
		}
	}
	return out
}

func TestPermute(t *testing.T) {
	for _, dt := range dtypes {
		for i, shape := range [][]int{nil, {5}, {2, 3}, {2, 3, 4}, {2, 1, 3, 2}, {2, 3, 1, 2, 2}} {
			a := randT(newRNG(uint64(3000+i)), dt, -1, 1, shape...)
			orig := a.Clone()
			for _, p := range allPerms(len(shape)) {
				// Spell every other permutation with negative axes.
				axes := slices.Clone(p)
				if len(axes) > 0 && len(axes)%2 == 0 {
					axes[0] -= len(axes)
				}
				name := fmt.Sprintf("Permute %v %v %v", dt, shape, axes)
				got := tensor.Permute(a, axes...)
				outShape := make([]int, len(p))
				for j, ax := range p {
					outShape[j] = shape[ax]
				}
				// Reference: out[idx] = a[idx mapped back through p].
				want := make([]float64, a.Len())
				for o := range want {
					oidx := unravel(o, outShape)
					aidx := make([]int, len(p))
					for j, ax := range p {
						aidx[ax] = oidx[j]
					}
					want[o] = a.At(aidx...)
				}
				checkVals(t, name, got, outShape, want, 0)
				if got.DType() != dt {
					t.Errorf("%s: dtype %v", name, got.DType())
				}
				dst := tensor.Full(dt, 9, outShape...)
				if tensor.PermuteTo(dst, a, axes...) != dst {
					t.Errorf("%s: PermuteTo does not return dst", name)
				}
				checkVals(t, name+" To", dst, outShape, want, 0)

				// Permute then its inverse is the identity.
				inv := tensor.InversePermutation(axes)
				if back := tensor.Permute(got, inv...); !tensor.Equal(back, a) {
					t.Errorf("%s: inverse %v does not restore the tensor", name, inv)
				}
				if !tensor.Equal(a, orig) {
					t.Fatalf("%s: operand modified", name)
				}
			}
		}
	}
	for _, p := range allPerms(4) {
		inv := tensor.InversePermutation(p)
		for i := range p {
			if inv[p[i]] != i || p[inv[i]] != i {
				t.Errorf("InversePermutation(%v) = %v", p, inv)
				break
			}
		}
	}
	if got := tensor.InversePermutation([]int{-1, 0, 1}); !slices.Equal(got, []int{1, 2, 0}) {
		t.Errorf("InversePermutation([-1 0 1]) = %v", got)
	}

	a := tensor.Zeros(tensor.Float32, 2, 3, 4)
	mustPanic(t, func() { tensor.Permute(a, 0, 1) }, "Permute", "axes [0 1] for shape [2 3 4]")
	mustPanic(t, func() { tensor.Permute(a, 0, 1, 1) }, "Permute", "[0 1 1] is not a permutation")
	mustPanic(t, func() { tensor.Permute(a, 0, 2, -1) }, "Permute", "not a permutation")
	mustPanic(t, func() { tensor.Permute(a, 0, 1, 3) }, "Permute", "axis 3 out of range")
	mustPanic(t, func() { tensor.PermuteTo(a, a, 0, 1, 2) }, "Permute", "aliases")
	mustPanic(t, func() { tensor.PermuteTo(tensor.Zeros(tensor.Float32, 2, 3, 4), a, 2, 1, 0) }, "Permute", "destination shape [2 3 4]", "[4 3 2]")
	mustPanic(t, func() { tensor.PermuteTo(tensor.Zeros(tensor.Float64, 4, 3, 2), a, 2, 1, 0) }, "Permute", "destination is float64")
}

func TestTranspose(t *testing.T) {
	for _, dt := range dtypes {
		a := tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3).As(dt)
		at := tensor.Transpose(a)
		if !slices.Equal(at.Shape(), []int{3, 2}) || !slices.Equal(at.Values(), []float64{1, 4, 2, 5, 3, 6}) {
			t.Errorf("%v: Transpose = %v %v", dt, at.Shape(), at)
		}
		b := tensor.Arange(dt, 0, 24, 1).Reshape(2, 3, 4)
		bt := tensor.Transpose(b)
		if !slices.Equal(bt.Shape(), []int{2, 4, 3}) {
			t.Fatalf("%v: Transpose 3-d shape %v", dt, bt.Shape())
		}
		for i := 0; i < 2; i++ {
			for j := 0; j < 3; j++ {
				for k := 0; k < 4; k++ {
					if bt.At(i, k, j) != b.At(i, j, k) {
						t.Fatalf("%v: Transpose 3-d at %d %d %d", dt, i, j, k)
					}
				}
			}
		}
		v := tensor.FromSlice([]float64{1, 2, 3}).As(dt)
		vt := tensor.Transpose(v)
		if !tensor.Equal(v, vt) || vt == v {
			t.Errorf("%v: Transpose of 1-d is not an equal copy", dt)
		}
		vt.SetFlat(0, 100)
		if v.Flat(0) != 1 {
			t.Errorf("%v: Transpose of 1-d shares storage", dt)
		}
		s := tensor.Scalar(dt, 3)
		if st := tensor.Transpose(s); st.Dims() != 0 || st.Item() != 3 || st == s {
			t.Errorf("%v: Transpose of a scalar", dt)
		}
	}
	for _, tc := range []struct {
		n    int
		want []int
	}{{0, []int{}}, {1, []int{0}}, {2, []int{1, 0}}, {4, []int{0, 1, 3, 2}}} {
		if got := tensor.TransposeAxes(tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("TransposeAxes(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

func TestSliceSetSlice(t *testing.T) {
	for _, dt := range dtypes {
		for i, shape := range [][]int{{6}, {4, 5}, {2, 3, 4}, {3, 1, 2, 5}} {
			a := randT(newRNG(uint64(3100+i)), dt, -1, 1, shape...)
			for axis := -len(shape); axis < len(shape); axis++ {
				ax := axis
				if ax < 0 {
					ax += len(shape)
				}
				n := shape[ax]
				for start := 0; start <= n; start++ {
					for end := start; end <= n; end++ {
						name := fmt.Sprintf("Slice %v %v axis %d [%d:%d]", dt, shape, axis, start, end)
						outShape := slices.Clone(shape)
						outShape[ax] = end - start
						want := make([]float64, numel(outShape))
						for o := range want {
							idx := unravel(o, outShape)
							idx[ax] += start
							want[o] = a.At(idx...)
						}
						got := tensor.Slice(a, axis, start, end)
						checkVals(t, name, got, outShape, want, 0)
						dst := tensor.Full(dt, 9, outShape...)
						if tensor.SliceTo(dst, a, axis, start, end) != dst {
							t.Errorf("%s: SliceTo does not return dst", name)
						}
						checkVals(t, name+" To", dst, outShape, want, 0)

						// SetSlice writes exactly that range and nothing else.
						z := tensor.Zeros(dt, shape...)
						if tensor.SetSlice(z, got, axis, start) != z {
							t.Errorf("%s: SetSlice does not return dst", name)
						}
						for j := 0; j < z.Len(); j++ {
							idx := unravel(j, shape)
							inside := idx[ax] >= start && idx[ax] < end
							if inside && z.Flat(j) != a.Flat(j) || !inside && z.Flat(j) != 0 {
								t.Fatalf("%s: SetSlice element %v = %v", name, idx, z.Flat(j))
							}
						}
					}
				}
				// Round trip: split along the axis at every point and
				// reassemble with SetSlice.
				for cut := 0; cut <= n; cut++ {
					r := tensor.Full(dt, 7, shape...)
					tensor.SetSlice(r, tensor.Slice(a, axis, 0, cut), axis, 0)
					tensor.SetSlice(r, tensor.Slice(a, axis, cut, n), axis, cut)
					if !tensor.Equal(r, a) {
						t.Errorf("%v %v axis %d: split at %d and SetSlice do not round-trip", dt, shape, axis, cut)
					}
				}
			}
		}
	}
	a := tensor.Zeros(tensor.Float32, 3, 4)
	mustPanic(t, func() { tensor.Slice(a, 1, 2, 5) }, "Slice", "range [2:5] out of bounds for axis 1 of shape [3 4]")
	mustPanic(t, func() { tensor.Slice(a, 0, -1, 2) }, "Slice", "[-1:2]")
	mustPanic(t, func() { tensor.Slice(a, 0, 2, 1) }, "Slice", "[2:1]")
	mustPanic(t, func() { tensor.Slice(a, 2, 0, 1) }, "Slice", "axis 2 out of range")
	mustPanic(t, func() { tensor.SliceTo(tensor.Zeros(tensor.Float32, 3, 3), a, 1, 0, 2) }, "Slice", "destination shape [3 3]", "[3 2]")
	mustPanic(t, func() { tensor.SetSlice(a, tensor.Zeros(tensor.Float32, 3, 2), 1, 3) }, "SetSlice", "out of bounds")
	mustPanic(t, func() { tensor.SetSlice(a, tensor.Zeros(tensor.Float32, 2, 2), 1, 0) }, "SetSlice", "shape [2 2] does not fit [3 4] at axis 1")
	mustPanic(t, func() { tensor.SetSlice(a, tensor.Zeros(tensor.Float32, 4), 0, 0) }, "SetSlice", "shapes [4] into [3 4]")
	mustPanic(t, func() { tensor.SetSlice(a, tensor.Zeros(tensor.Float64, 3, 1), 1, 0) }, "SetSlice", "mixed dtypes")
	mustPanic(t, func() { tensor.SetSlice(a, tensor.Zeros(tensor.Float32, 3, 1), 1, -1) }, "SetSlice", "out of bounds")
}

func TestIndexSelectIndexAdd(t *testing.T) {
	for _, dt := range dtypes {
		for i, shape := range [][]int{{5}, {4, 3}, {2, 3, 4}, {3, 1, 2}} {
			rng := newRNG(uint64(3200 + i))
			a := randT(rng, dt, -1, 1, shape...)
			for axis := -len(shape); axis < len(shape); axis++ {
				ax := axis
				if ax < 0 {
					ax += len(shape)
				}
				n := shape[ax]
				for _, idx := range [][]int{{0}, {n - 1, 0}, {0, 0, 0}, {n - 1, 0, n - 1, 0, n / 2}, {}} {
					name := fmt.Sprintf("IndexSelect %v %v axis %d idx %v", dt, shape, axis, idx)
					outShape := slices.Clone(shape)
					outShape[ax] = len(idx)
					want := make([]float64, numel(outShape))
					for o := range want {
						oi := unravel(o, outShape)
						oi[ax] = idx[oi[ax]]
						want[o] = a.At(oi...)
					}
					got := tensor.IndexSelect(a, axis, idx)
					checkVals(t, name, got, outShape, want, 0)
					dst := tensor.Full(dt, 9, outShape...)
					if tensor.IndexSelectTo(dst, a, axis, idx) != dst {
						t.Errorf("%s: IndexSelectTo does not return dst", name)
					}
					checkVals(t, name+" To", dst, outShape, want, 0)

					// IndexAdd against a reference, onto non-zero contents.
					src := randT(rng, dt, -1, 1, outShape...)
					base := randT(rng, dt, -1, 1, shape...)
					wantAdd := base.Values()
					for s := 0; s < src.Len(); s++ {
						si := unravel(s, outShape)
						si[ax] = idx[si[ax]]
						wantAdd[ravel(si, shape)] += src.Flat(s)
					}
					for j := range wantAdd {
						wantAdd[j] = round(dt, wantAdd[j])
					}
					acc := base.Clone()
					if tensor.IndexAdd(acc, axis, idx, src) != acc {
						t.Errorf("%s: IndexAdd does not return dst", name)
					}
					checkVals(t, "IndexAdd"+name[len("IndexSelect"):], acc, shape, wantAdd, 4*eps(dt))

					// Adjointness: ⟨IndexSelect(x), y⟩ = ⟨x, IndexAdd(0, y)⟩.
					y := src
					lhs := dot(tensor.IndexSelect(a, axis, idx), y)
					rhs := dot(a, tensor.IndexAdd(tensor.Zeros(dt, shape...), axis, idx, y))
					if !near(lhs, rhs, 8*eps(dt)) {
						t.Errorf("%s: ⟨Sx, y⟩ = %v, ⟨x, Aᵀy⟩ = %v", name, lhs, rhs)
					}
				}
			}
		}
	}
	a := tensor.Zeros(tensor.Float32, 3, 4)
	mustPanic(t, func() { tensor.IndexSelect(a, 1, []int{0, 4}) }, "IndexSelect", "index 4 out of range for axis 1 of shape [3 4]")
	mustPanic(t, func() { tensor.IndexSelect(a, 0, []int{-1}) }, "IndexSelect", "index -1")
	mustPanic(t, func() { tensor.IndexSelect(a, 2, []int{0}) }, "IndexSelect", "axis 2 out of range")
	mustPanic(t, func() { tensor.IndexSelectTo(tensor.Zeros(tensor.Float32, 3, 4), a, 1, []int{0}) }, "IndexSelect", "destination shape [3 4]", "[3 1]")
	mustPanic(t, func() { tensor.IndexAdd(a, 0, []int{3}, tensor.Zeros(tensor.Float32, 1, 4)) }, "IndexAdd", "index 3 out of range")
	mustPanic(t, func() { tensor.IndexAdd(a, 0, []int{0, 1}, tensor.Zeros(tensor.Float32, 3, 4)) }, "IndexAdd", "source shape [3 4], want [2 4]")
	mustPanic(t, func() { tensor.IndexAdd(a, 0, []int{0}, tensor.Zeros(tensor.Float64, 1, 4)) }, "IndexAdd", "mixed dtypes")
}

func TestPick(t *testing.T) {
	for _, dt := range dtypes {
		a := tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 4, 3).As(dt)
		idx := []int{2, 0, 1, 2}
		got := tensor.Pick(a, idx)
		if got.DType() != dt || !slices.Equal(got.Shape(), []int{4}) || !slices.Equal(got.Values(), []float64{3, 4, 8, 12}) {
			t.Errorf("%v: Pick = %v %v", dt, got.Shape(), got.Values())
		}
		dst := tensor.Full(dt, 0, 4)
		if tensor.PickTo(dst, a, idx) != dst || !slices.Equal(dst.Values(), []float64{3, 4, 8, 12}) {
			t.Errorf("%v: PickTo = %v", dt, dst.Values())
		}
		// Against a reference on random data.
		r := randT(newRNG(3300), dt, -1, 1, 7, 5)
		ri := []int{4, 0, 0, 3, 2, 1, 4}
		for i, v := range tensor.Pick(r, ri).Values() {
			if v != r.At(i, ri[i]) {
				t.Errorf("%v: Pick row %d = %v, want %v", dt, i, v, r.At(i, ri[i]))
			}
		}
		if e := tensor.Pick(tensor.Zeros(dt, 0, 3), nil); e.Len() != 0 || !slices.Equal(e.Shape(), []int{0}) {
			t.Errorf("%v: Pick of empty = %v", dt, e.Shape())
		}
	}
	a := tensor.Zeros(tensor.Float32, 2, 3)
	mustPanic(t, func() { tensor.Pick(a, []int{0}) }, "Pick", "shape [2 3] with 1 indices")
	mustPanic(t, func() { tensor.Pick(tensor.Zeros(tensor.Float32, 6), []int{0}) }, "Pick", "shape [6]")
	mustPanic(t, func() { tensor.Pick(tensor.Zeros(tensor.Float32, 2, 3, 1), []int{0, 0}) }, "Pick", "shape [2 3 1]")
	mustPanic(t, func() { tensor.Pick(a, []int{0, 3}) }, "Pick", "index 3 of row 1 out of range [0,3)")
	mustPanic(t, func() { tensor.Pick(a, []int{-1, 0}) }, "Pick", "index -1 of row 0")
	mustPanic(t, func() { tensor.PickTo(tensor.Zeros(tensor.Float32, 3), a, []int{0, 0}) }, "Pick", "destination shape [3]")
	mustPanic(t, func() { tensor.PickTo(tensor.Zeros(tensor.Float64, 2), a, []int{0, 0}) }, "Pick", "destination is float64")
}

func TestConcat(t *testing.T) {
	for _, dt := range dtypes {
		for i, shape := range [][]int{{3}, {2, 3}, {2, 3, 4}, {1, 2, 1, 3}} {
			rng := newRNG(uint64(3400 + i))
			for axis := -len(shape); axis < len(shape); axis++ {
				ax := axis
				if ax < 0 {
					ax += len(shape)
				}
				// Three pieces of different sizes along the axis, one empty.
				var parts []*tensor.Tensor
				var offs []int
				total := 0
				for _, size := range []int{shape[ax], 2, 0, 1} {
					s := slices.Clone(shape)
					s[ax] = size
					parts = append(parts, randT(rng, dt, -1, 1, s...))
					offs = append(offs, total)
					total += size
				}
				outShape := slices.Clone(shape)
				outShape[ax] = total
				want := make([]float64, numel(outShape))
				for o := range want {
					idx := unravel(o, outShape)
					p := 0
					for p+1 < len(offs) && idx[ax] >= offs[p+1] {
						p++
					}
					idx[ax] -= offs[p]
					want[o] = parts[p].At(idx...)
				}
				name := fmt.Sprintf("Concat %v %v axis %d", dt, shape, axis)
				got := tensor.Concat(axis, parts...)
				checkVals(t, name, got, outShape, want, 0)
				dst := tensor.Full(dt, 9, outShape...)
				if tensor.ConcatTo(dst, axis, parts...) != dst {
					t.Errorf("%s: ConcatTo does not return dst", name)
				}
				checkVals(t, name+" To", dst, outShape, want, 0)
				// Concat then Slice gives the pieces back.
				for p, part := range parts {
					if back := tensor.Slice(got, axis, offs[p], offs[p]+part.Dim(ax)); !tensor.Equal(back, part) {
						t.Errorf("%s: piece %d does not slice back", name, p)
					}
				}
			}
			// A single tensor concatenates to a copy of itself.
			one := randT(rng, dt, -1, 1, shape...)
			if c := tensor.Concat(0, one); !tensor.Equal(c, one) || c == one {
				t.Errorf("%v: Concat of one tensor", dt)
			}
		}
	}
	z := func(s ...int) *tensor.Tensor { return tensor.Zeros(tensor.Float32, s...) }
	mustPanic(t, func() { tensor.Concat(0) }, "Concat", "no tensors")
	mustPanic(t, func() { tensor.Concat(0, z(2, 3), z(3)) }, "Concat", "[2 3] and [3] have different ranks")
	mustPanic(t, func() { tensor.Concat(0, z(2, 3), z(2, 4)) }, "Concat", "[2 3] and [2 4] differ outside axis 0")
	mustPanic(t, func() { tensor.Concat(-1, z(2, 3), z(3, 3)) }, "Concat", "differ outside axis 1")
	mustPanic(t, func() { tensor.Concat(2, z(2, 3), z(2, 3)) }, "Concat", "axis 2 out of range")
	mustPanic(t, func() { tensor.Concat(-3, z(2, 3), z(2, 3)) }, "Concat", "axis -3 out of range")
	mustPanic(t, func() { tensor.Concat(0, z(2, 3), tensor.Zeros(tensor.Float64, 2, 3)) }, "Concat", "mixed dtypes")
	mustPanic(t, func() { tensor.Concat(0, tensor.Scalar(tensor.Float32, 1), tensor.Scalar(tensor.Float32, 2)) }, "Concat", "out of range for 0 dimensions")
	mustPanic(t, func() { tensor.ConcatTo(z(3, 3), 0, z(2, 3), z(2, 3)) }, "Concat", "destination shape [3 3]", "[4 3]")
}

func TestStack(t *testing.T) {
	for _, dt := range dtypes {
		for i, shape := range [][]int{nil, {3}, {2, 3}, {2, 1, 3}} {
			rng := newRNG(uint64(3500 + i))
			parts := []*tensor.Tensor{randT(rng, dt, -1, 1, shape...), randT(rng, dt, -1, 1, shape...), randT(rng, dt, -1, 1, shape...)}
			r := len(shape)
			for axis := -r - 1; axis <= r; axis++ {
				ax := axis
				if ax < 0 {
					ax += r + 1
				}
				outShape := slices.Insert(slices.Clone(shape), ax, len(parts))
				name := fmt.Sprintf("Stack %v %v axis %d", dt, shape, axis)
				gotAx, gotShape := tensor.StackShape(shape, axis, len(parts))
				if gotAx != ax || !slices.Equal(gotShape, outShape) {
					t.Errorf("%s: StackShape = %d %v, want %d %v", name, gotAx, gotShape, ax, outShape)
				}
				want := make([]float64, numel(outShape))
				for o := range want {
					idx := unravel(o, outShape)
					p := idx[ax]
					want[o] = parts[p].At(slices.Delete(idx, ax, ax+1)...)
				}
				got := tensor.Stack(axis, parts...)
				if got.DType() != dt {
					t.Errorf("%s: dtype %v", name, got.DType())
				}
				checkVals(t, name, got, outShape, want, 0)
				// Each piece is the slice at its position, and the inputs
				// keep their shapes.
				for p, part := range parts {
					back := tensor.Slice(got, ax, p, p+1).Reshape(shape...)
					if !tensor.Equal(back, part) || !slices.Equal(part.Shape(), shape) {
						t.Errorf("%s: piece %d", name, p)
					}
				}
			}
		}
	}
	z := func(s ...int) *tensor.Tensor { return tensor.Zeros(tensor.Float32, s...) }
	mustPanic(t, func() { tensor.Stack(0) }, "Stack", "no tensors")
	mustPanic(t, func() { tensor.Stack(0, z(2, 3), z(3, 2)) }, "Stack", "shapes [2 3] and [3 2] differ")
	mustPanic(t, func() { tensor.Stack(3, z(2, 3), z(2, 3)) }, "Stack", "axis 3 out of range for 3 dimensions")
	mustPanic(t, func() { tensor.Stack(-4, z(2, 3), z(2, 3)) }, "Stack", "axis -4")
	mustPanic(t, func() { tensor.Stack(0, z(2), tensor.Zeros(tensor.Float64, 2)) }, "Stack", "mixed dtypes")
}
