package tensor_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"backprop/tensor"
)

type reduceCase struct {
	name string
	fn   func(a *tensor.Tensor, keepdims bool, axes ...int) *tensor.Tensor
	to   func(dst, a *tensor.Tensor, axes ...int) *tensor.Tensor
	// ref folds the values of one output element.
	ref func(xs []float64) float64
}

func reduceCases() []reduceCase {
	return []reduceCase{
		{"Sum", tensor.Sum, tensor.SumTo, func(xs []float64) float64 {
			s := 0.0
			for _, x := range xs {
				s += x
			}
			return s
		}},
		{"Mean", tensor.Mean, tensor.MeanTo, func(xs []float64) float64 {
			s := 0.0
			for _, x := range xs {
				s += x
			}
			return s / float64(len(xs))
		}},
		{"Max", tensor.Max, tensor.MaxTo, func(xs []float64) float64 { return slices.Max(xs) }},
		{"Min", tensor.Min, tensor.MinTo, func(xs []float64) float64 { return slices.Min(xs) }},
	}
}

// naiveReduce groups the elements of a by their index with the reduced
// axes dropped and folds each group with f. It returns the kept and the
// squeezed output shapes.
func naiveReduce(a *tensor.Tensor, reduced []bool, f func([]float64) float64) (keep, squeezed []int, vals []float64) {
	shape := a.Shape()
	keep = make([]int, len(shape))
	squeezed = []int{}
	for ax, d := range shape {
		if reduced[ax] {
			keep[ax] = 1
		} else {
			keep[ax] = d
			squeezed = append(squeezed, d)
		}
	}
	groups := make([][]float64, numel(keep))
	for i := 0; i < a.Len(); i++ {
		idx := unravel(i, shape)
		for ax := range idx {
			if reduced[ax] {
				idx[ax] = 0
			}
		}
		o := ravel(idx, keep)
		groups[o] = append(groups[o], a.Flat(i))
	}
	vals = make([]float64, len(groups))
	for i, g := range groups {
		vals[i] = f(g)
	}
	return keep, squeezed, vals
}

// axisSubsets returns every subset of the axes of an n-d shape as axis
// lists, each in a positive and a negative spelling (and reversed order).
func axisSubsets(n int) (lists [][]int, sets [][]bool) {
	for mask := 0; mask < 1<<n; mask++ {
		var pos, neg []int
		set := make([]bool, n)
		for ax := 0; ax < n; ax++ {
			if mask&(1<<ax) != 0 {
				pos = append(pos, ax)
				neg = append([]int{ax - n}, neg...)
				set[ax] = true
			}
		}
		if mask == 0 {
			continue // no axes means all; covered below
		}
		lists = append(lists, pos, neg)
		sets = append(sets, set, set)
	}
	all := make([]bool, n)
	for i := range all {
		all[i] = true
	}
	lists = append(lists, nil)
	sets = append(sets, all)
	return lists, sets
}

func TestReductions(t *testing.T) {
	seed := uint64(1000)
	for _, tc := range reduceCases() {
		for _, dt := range dtypes {
			for _, shape := range [][]int{nil, {1}, {5}, {2, 3}, {2, 3, 4}, {3, 1, 2, 2}} {
				seed++
				a := randT(newRNG(seed), dt, -5, 5, shape...)
				orig := a.Clone()
				lists, sets := axisSubsets(len(shape))
				for k, axes := range lists {
					keep, squeezed, want := naiveReduce(a, sets[k], tc.ref)
					for i := range want {
						want[i] = round(dt, want[i])
					}
					name := fmt.Sprintf("%s %v %v axes %v", tc.name, dt, shape, axes)
					tol := 8 * eps(dt)

					got := tc.fn(a, true, axes...)
					if got.DType() != dt {
						t.Errorf("%s: dtype %v", name, got.DType())
					}
					checkVals(t, name+" keepdims", got, keep, want, tol)
					checkVals(t, name, tc.fn(a, false, axes...), squeezed, want, tol)
					if !tensor.SameShape(tensor.ReducedShape(shape, true, axes...), keep) ||
						!tensor.SameShape(tensor.ReducedShape(shape, false, axes...), squeezed) {
						t.Errorf("%s: ReducedShape %v %v, want %v %v", name,
							tensor.ReducedShape(shape, true, axes...), tensor.ReducedShape(shape, false, axes...), keep, squeezed)
					}

					// The To forms take either shape and overwrite dst.
					for _, ds := range [][]int{keep, squeezed} {
						dst := tensor.Full(dt, 1e6, ds...)
						if tc.to(dst, a, axes...) != dst {
							t.Errorf("%s: To does not return dst", name)
						}
						checkVals(t, name+" To", dst, ds, want, tol)
					}
					if !tensor.Equal(a, orig) {
						t.Fatalf("%s: operand modified", name)
					}
				}
			}
		}
	}
}

func TestReductionExamples(t *testing.T) {
	a := tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	for _, tc := range []struct {
		got        *tensor.Tensor
		shape      []int
		wantValues []float64
	}{
		{tensor.Sum(a, false), []int{}, []float64{21}},
		{tensor.Sum(a, true), []int{1, 1}, []float64{21}},
		{tensor.Sum(a, false, 0), []int{3}, []float64{5, 7, 9}},
		{tensor.Sum(a, true, -1), []int{2, 1}, []float64{6, 15}},
		{tensor.Sum(a, false, 0, 1), []int{}, []float64{21}},
		{tensor.Sum(a, false, 1, 0), []int{}, []float64{21}},
		{tensor.Mean(a, false, 1), []int{2}, []float64{2, 5}},
		{tensor.Mean(a, false), []int{}, []float64{3.5}},
		{tensor.Max(a, false, 0), []int{3}, []float64{4, 5, 6}},
		{tensor.Min(a, true, 1), []int{2, 1}, []float64{1, 4}},
		{tensor.Sum(tensor.Scalar(tensor.Float64, 2.5), false), []int{}, []float64{2.5}},
	} {
		if !slices.Equal(tc.got.Shape(), tc.shape) || !slices.Equal(tc.got.Values(), tc.wantValues) {
			t.Errorf("got %v shape %v, want %v shape %v", tc.got.Values(), tc.got.Shape(), tc.wantValues, tc.shape)
		}
	}
}

func TestReductionEmpty(t *testing.T) {
	for _, dt := range dtypes {
		e := tensor.Zeros(dt, 3, 0)
		if s := tensor.Sum(e, false, 1); !slices.Equal(s.Shape(), []int{3}) || !slices.Equal(s.Values(), []float64{0, 0, 0}) {
			t.Errorf("%v: Sum over an empty axis = %v %v", dt, s.Shape(), s.Values())
		}
		if s := tensor.Sum(e, false, 0); !slices.Equal(s.Shape(), []int{0}) {
			t.Errorf("%v: Sum(3×0, axis 0) shape %v", dt, s.Shape())
		}
		if s := tensor.Sum(e, false); s.Item() != 0 {
			t.Errorf("%v: Sum of empty = %v", dt, s.Item())
		}
		if m := tensor.Mean(e, false); !math.IsNaN(m.Item()) {
			t.Errorf("%v: Mean of empty = %v, want NaN", dt, m.Item())
		}
		mustPanic(t, func() { tensor.Max(e, false, 1) }, "Max", "empty axis 1", "[3 0]")
		mustPanic(t, func() { tensor.Min(e, false) }, "Min", "empty axis")
		// Reducing only the non-empty axis is fine and gives an empty result.
		if m := tensor.Max(e, false, 0); m.Len() != 0 {
			t.Errorf("%v: Max(3×0, axis 0) has %d elements", dt, m.Len())
		}
	}
}

func TestReductionNaN(t *testing.T) {
	nan := math.NaN()
	for _, dt := range dtypes {
		a := tensor.FromSlice([]float64{1, nan, 3, 4, 5, 6}, 2, 3).As(dt)
		for _, r := range []*tensor.Tensor{tensor.Max(a, false), tensor.Min(a, false), tensor.Sum(a, false)} {
			if !math.IsNaN(r.Item()) {
				t.Errorf("%v: reduction with NaN = %v", dt, r.Item())
			}
		}
		mx := tensor.Max(a, false, 1).Values()
		if !math.IsNaN(mx[0]) || mx[1] != 6 {
			t.Errorf("%v: Max rows with NaN = %v", dt, mx)
		}
		// NaN first in a row, then larger values.
		b := tensor.FromSlice([]float64{nan, 7, -7}).As(dt)
		if !math.IsNaN(tensor.Max(b, false).Item()) || !math.IsNaN(tensor.Min(b, false).Item()) {
			t.Errorf("%v: Max/Min with leading NaN", dt)
		}
		inf := tensor.FromSlice([]float64{math.Inf(-1), math.Inf(-1)}).As(dt)
		if v := tensor.Max(inf, false).Item(); !math.IsInf(v, -1) {
			t.Errorf("%v: Max of −∞s = %v", dt, v)
		}
	}
}

func TestReductionPanics(t *testing.T) {
	for _, tc := range reduceCases() {
		a := tensor.Zeros(tensor.Float32, 2, 3, 4)
		mustPanic(t, func() { tc.fn(a, false, 1, 1) }, tc.name, "axis 1 repeated")
		mustPanic(t, func() { tc.fn(a, false, 0, -3) }, tc.name, "repeated")
		mustPanic(t, func() { tc.fn(a, false, 3) }, tc.name, "axis 3 out of range for 3 dimensions")
		mustPanic(t, func() { tc.fn(a, true, -4) }, tc.name, "axis -4 out of range")
		mustPanic(t, func() { tc.fn(tensor.Scalar(tensor.Float32, 1), false, 0) }, tc.name, "out of range for 0 dimensions")
		mustPanic(t, func() { tc.to(tensor.Zeros(tensor.Float32, 2, 4), a, 1, 1) }, tc.name, "repeated")
		mustPanic(t, func() { tc.to(tensor.Zeros(tensor.Float32, 3), a, 1) }, tc.name, "destination shape [3]", "[2 1 4]", "[2 4]")
		mustPanic(t, func() { tc.to(tensor.Zeros(tensor.Float32, 4, 2), a, 1) }, tc.name, "destination shape")
		mustPanic(t, func() { tc.to(tensor.Zeros(tensor.Float32, 1), a) }, tc.name, "destination shape [1]")
		mustPanic(t, func() { tc.to(tensor.Zeros(tensor.Float64, 2, 4), a, 1) }, tc.name, "destination is float64")
	}
	mustPanic(t, func() { tensor.ReducedShape([]int{2, 3}, false, 0, 0) }, "ReducedShape", "repeated")
	mustPanic(t, func() { tensor.ReducedShape([]int{2, 3}, false, 2) }, "ReducedShape", "out of range")
}

// naiveArg returns, for each position with axis removed in row-major
// order, the first index along axis of the best element under better.
func naiveArg(a *tensor.Tensor, axis int, better func(x, best float64) bool) []int {
	shape := a.Shape()
	outShape := slices.Delete(slices.Clone(shape), axis, axis+1)
	out := make([]int, numel(outShape))
	for o := range out {
		oidx := unravel(o, outShape)
		idx := slices.Insert(slices.Clone(oidx), axis, 0)
		best, bi := a.At(idx...), 0
		for j := 1; j < shape[axis]; j++ {
			idx[axis] = j
			if x := a.At(idx...); better(x, best) {
				best, bi = x, j
			}
		}
		out[o] = bi
	}
	return out
}

func TestArgMaxArgMin(t *testing.T) {
	greater := func(x, best float64) bool { return x > best }
	less := func(x, best float64) bool { return x < best }
	for _, dt := range dtypes {
		for i, shape := range [][]int{{6}, {3, 4}, {2, 3, 4}, {2, 1, 3, 2}} {
			// Small integers: plenty of ties.
			a := randInts(newRNG(uint64(1100+i)), dt, -2, 2, shape...)
			for axis := -len(shape); axis < len(shape); axis++ {
				ax := axis
				if ax < 0 {
					ax += len(shape)
				}
				if got, want := tensor.ArgMax(a, axis), naiveArg(a, ax, greater); !slices.Equal(got, want) {
					t.Errorf("%v: ArgMax(%v, %d) = %v, want %v (a = %v)", dt, shape, axis, got, want, a)
				}
				if got, want := tensor.ArgMin(a, axis), naiveArg(a, ax, less); !slices.Equal(got, want) {
					t.Errorf("%v: ArgMin(%v, %d) = %v, want %v (a = %v)", dt, shape, axis, got, want, a)
				}
			}
		}
		// Ties: the first index.
		a := tensor.FromSlice([]float64{1, 3, 3, 2, 0, 0, 5, 0}, 2, 4).As(dt)
		if got := tensor.ArgMax(a, 1); !slices.Equal(got, []int{1, 2}) {
			t.Errorf("%v: ArgMax ties = %v", dt, got)
		}
		if got := tensor.ArgMin(a, 1); !slices.Equal(got, []int{0, 0}) {
			t.Errorf("%v: ArgMin ties = %v", dt, got)
		}
		if got := tensor.ArgMax(a, 0); !slices.Equal(got, []int{0, 0, 1, 0}) {
			t.Errorf("%v: ArgMax axis 0 = %v", dt, got)
		}
		if got := tensor.ArgMin(tensor.FromSlice([]float64{math.Inf(1), math.Inf(-1), math.Inf(-1)}).As(dt), 0); !slices.Equal(got, []int{1}) {
			t.Errorf("%v: ArgMin with infinities = %v", dt, got)
		}
		// NaN wins, the first one, as in NumPy.
		nan := tensor.FromSlice([]float64{1, math.NaN(), 3, math.NaN()}).As(dt)
		if mx, mn := tensor.ArgMax(nan, 0), tensor.ArgMin(nan, 0); mx[0] != 1 || mn[0] != 1 {
			t.Errorf("%v: ArgMax, ArgMin with NaN = %v, %v", dt, mx, mn)
		}
		if got := tensor.ArgMax(tensor.Zeros(dt, 3, 1), 1); !slices.Equal(got, []int{0, 0, 0}) {
			t.Errorf("%v: ArgMax over a size-1 axis = %v", dt, got)
		}
	}
	mustPanic(t, func() { tensor.ArgMax(tensor.Zeros(tensor.Float32, 2, 3), 2) }, "ArgMax", "axis 2 out of range")
	mustPanic(t, func() { tensor.ArgMin(tensor.Zeros(tensor.Float32, 2, 3), -3) }, "ArgMin", "axis -3")
	mustPanic(t, func() { tensor.ArgMax(tensor.Zeros(tensor.Float32, 2, 0), 1) }, "ArgMax", "empty axis 1", "[2 0]")
	mustPanic(t, func() { tensor.ArgMin(tensor.Scalar(tensor.Float32, 1), 0) }, "ArgMin", "out of range")
}

// naiveSoftmax is exp(x)/Σexp(x) along axis, written directly (inputs must
// be small enough not to overflow).
func naiveSoftmax(a *tensor.Tensor, axis int) []float64 {
	shape := a.Shape()
	out := make([]float64, a.Len())
	for i := range out {
		idx := unravel(i, shape)
		s := 0.0
		for j := 0; j < shape[axis]; j++ {
			jdx := slices.Clone(idx)
			jdx[axis] = j
			s += math.Exp(a.At(jdx...))
		}
		out[i] = math.Exp(a.Flat(i)) / s
	}
	return out
}

func TestSoftmax(t *testing.T) {
	for _, dt := range dtypes {
		for i, shape := range [][]int{{1}, {5}, {3, 4}, {2, 3, 4}, {2, 1, 3}} {
			a := randT(newRNG(uint64(1200+i)), dt, -4, 4, shape...)
			for axis := -len(shape); axis < len(shape); axis++ {
				ax := axis
				if ax < 0 {
					ax += len(shape)
				}
				name := fmt.Sprintf("%v %v axis %d", dt, shape, axis)
				tol := 4 * eps(dt)
				want := naiveSoftmax(a, ax)
				for j := range want {
					want[j] = round(dt, want[j])
				}
				s := tensor.Softmax(a, axis)
				checkVals(t, "Softmax "+name, s, shape, want, tol)

				// Sums to 1 along the axis.
				sums := tensor.Sum(s, false, axis)
				for j, v := range sums.Values() {
					if !near(v, 1, tol*float64(shape[ax])) {
						t.Errorf("Softmax %s: sum %d = %v", name, j, v)
					}
				}

				// LogSoftmax = log(Softmax) and matches the naive log.
				ls := tensor.LogSoftmax(a, axis)
				wantLog := make([]float64, len(want))
				for j := range want {
					wantLog[j] = round(dt, math.Log(naiveSoftmax(a, ax)[j]))
				}
				checkVals(t, "LogSoftmax "+name, ls, shape, wantLog, 8*eps(dt))
				checkVals(t, "LogSoftmax vs Log(Softmax) "+name, ls, shape, tensor.Log(s).Values(), 8*eps(dt))

				// Shift invariance with huge inputs: no overflow.
				big := tensor.AddScalar(a, 1000)
				sb := tensor.Softmax(big, axis)
				lb := tensor.LogSoftmax(big, axis)
				for j := 0; j < sb.Len(); j++ {
					if v := sb.Flat(j); math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("Softmax %s of x+1000: element %d = %v", name, j, v)
					}
					if v := lb.Flat(j); math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("LogSoftmax %s of x+1000: element %d = %v", name, j, v)
					}
				}
				// x+1000 rounds differently in float32, so compare loosely there.
				shiftTol := tol
				if dt == tensor.Float32 {
					shiftTol = 1e-3
				}
				checkVals(t, "Softmax shifted "+name, sb, shape, want, shiftTol)

				// In place and into a destination.
				dst := tensor.Full(dt, 3, shape...)
				if tensor.SoftmaxTo(dst, a, axis) != dst {
					t.Error("SoftmaxTo does not return dst")
				}
				checkVals(t, "SoftmaxTo "+name, dst, shape, want, tol)
				c := a.Clone()
				tensor.SoftmaxTo(c, c, axis)
				checkVals(t, "SoftmaxTo in place "+name, c, shape, want, tol)
				c = a.Clone()
				tensor.LogSoftmaxTo(c, c, axis)
				checkVals(t, "LogSoftmaxTo in place "+name, c, shape, wantLog, 8*eps(dt))
			}
		}
		// All inputs 1000 (and −1000): uniform, finite.
		for _, v := range []float64{1000, -1000, 1e30} {
			x := tensor.Full(dt, v, 2, 4)
			s := tensor.Softmax(x, 1)
			ls := tensor.LogSoftmax(x, -1)
			for j := 0; j < s.Len(); j++ {
				if s.Flat(j) != 0.25 || !near(ls.Flat(j), math.Log(0.25), eps(dt)) {
					t.Errorf("%v: Softmax of constant %v = %v, LogSoftmax %v", dt, v, s.Flat(j), ls.Flat(j))
				}
			}
		}
		// −∞ entries (masking) get probability 0 and leave the other rows
		// alone, even next to a row that is all −∞ (whose value is not
		// defined).
		ninf := math.Inf(-1)
		m := tensor.FromSlice([]float64{0, ninf, 0, ninf, ninf, ninf, 1, 2, 3}, 3, 3).As(dt)
		sm, lsm := tensor.Softmax(m, 1), tensor.LogSoftmax(m, 1)
		if v := sm.Values(); v[0] != 0.5 || v[1] != 0 || v[2] != 0.5 {
			t.Errorf("%v: Softmax with −∞ = %v", dt, v[:3])
		}
		if v := lsm.Values(); !near(v[0], math.Log(0.5), eps(dt)) || !math.IsInf(v[1], -1) {
			t.Errorf("%v: LogSoftmax with −∞ = %v", dt, v[:3])
		}
		want := naiveSoftmax(tensor.FromSlice([]float64{1, 2, 3}), 0)
		for j := range 3 {
			if !near(sm.At(2, j), want[j], 4*eps(dt)) {
				t.Errorf("%v: Softmax row next to an all −∞ row = %v", dt, sm.Values()[6:])
			}
		}
		// One dominant input: exactly one-hot, log finite for the winner.
		x := tensor.FromSlice([]float64{1000, 0, -1000}).As(dt)
		if s := tensor.Softmax(x, 0).Values(); s[0] != 1 || s[1] != 0 || s[2] != 0 {
			t.Errorf("%v: Softmax(1000, 0, −1000) = %v", dt, s)
		}
		if ls := tensor.LogSoftmax(x, 0).Values(); ls[0] != 0 || ls[1] != -1000 || ls[2] != -2000 {
			t.Errorf("%v: LogSoftmax(1000, 0, −1000) = %v", dt, ls)
		}
	}
	z := func(s ...int) *tensor.Tensor { return tensor.Zeros(tensor.Float32, s...) }
	mustPanic(t, func() { tensor.Softmax(z(2, 3), 2) }, "Softmax", "axis 2 out of range")
	mustPanic(t, func() { tensor.LogSoftmax(z(2, 3), -3) }, "LogSoftmax", "axis -3")
	mustPanic(t, func() { tensor.SoftmaxTo(z(3, 2), z(2, 3), 0) }, "Softmax", "destination shape [3 2]")
	mustPanic(t, func() { tensor.LogSoftmaxTo(tensor.Zeros(tensor.Float64, 2, 3), z(2, 3), 0) }, "LogSoftmax", "destination is float64")
	mustPanic(t, func() { tensor.Softmax(tensor.Scalar(tensor.Float32, 1), 0) }, "Softmax", "0 dimensions")
}
