package tensor_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"backprop/tensor"
)

func TestDType(t *testing.T) {
	if tensor.DType(0) != tensor.Float32 {
		t.Errorf("zero DType is %v, want float32", tensor.DType(0))
	}
	for _, tc := range []struct {
		dt   tensor.DType
		name string
		size int
	}{{tensor.Float32, "float32", 4}, {tensor.Float64, "float64", 8}} {
		if got := tc.dt.String(); got != tc.name {
			t.Errorf("String() = %q, want %q", got, tc.name)
		}
		if got := tc.dt.Size(); got != tc.size {
			t.Errorf("%v.Size() = %d, want %d", tc.dt, got, tc.size)
		}
		got, err := tensor.ParseDType(tc.name)
		if err != nil || got != tc.dt {
			t.Errorf("ParseDType(%q) = %v, %v", tc.name, got, err)
		}
	}
	if got := tensor.DType(7).String(); got != "DType(7)" {
		t.Errorf("DType(7).String() = %q", got)
	}
	if _, err := tensor.ParseDType("float16"); err == nil {
		t.Error("ParseDType(float16) succeeded")
	}
}

var ctorShapes = [][]int{nil, {0}, {1}, {3}, {2, 3}, {2, 0, 3}, {2, 3, 4, 5}, {2, 1, 3, 1, 2}}

func checkFilled(t *testing.T, name string, x *tensor.Tensor, dt tensor.DType, shape []int, v float64) {
	t.Helper()
	if x.DType() != dt {
		t.Errorf("%s: dtype %v, want %v", name, x.DType(), dt)
	}
	if !tensor.SameShape(x.Shape(), shape) || x.Dims() != len(shape) {
		t.Errorf("%s: shape %v (dims %d), want %v", name, x.Shape(), x.Dims(), shape)
	}
	if x.Len() != numel(shape) {
		t.Errorf("%s: len %d, want %d", name, x.Len(), numel(shape))
	}
	for i := 0; i < x.Len(); i++ {
		if x.Flat(i) != v {
			t.Fatalf("%s: element %d = %v, want %v", name, i, x.Flat(i), v)
		}
	}
}

func TestConstructors(t *testing.T) {
	for _, dt := range dtypes {
		for _, shape := range ctorShapes {
			checkFilled(t, "Zeros", tensor.Zeros(dt, shape...), dt, shape, 0)
			checkFilled(t, "New", tensor.New(dt, shape...), dt, shape, 0)
			checkFilled(t, "Ones", tensor.Ones(dt, shape...), dt, shape, 1)
			checkFilled(t, "Full", tensor.Full(dt, -2.5, shape...), dt, shape, -2.5)
			checkFilled(t, "ZerosLike", tensor.ZerosLike(tensor.Full(dt, 3, shape...)), dt, shape, 0)
		}
		s := tensor.Scalar(dt, 4.25)
		checkFilled(t, "Scalar", s, dt, nil, 4.25)
		if s.Item() != 4.25 || s.At() != 4.25 {
			t.Errorf("Scalar: Item %v At %v", s.Item(), s.At())
		}
		mustPanic(t, func() { tensor.Zeros(dt, 2, -1) }, "Zeros", "negative dimension", "[2 -1]")
		mustPanic(t, func() { tensor.Full(dt, 1, -3) }, "Full", "negative")
	}
	// Full rounds to the dtype.
	if got := tensor.Full(tensor.Float32, 0.1, 1).Flat(0); got != float64(float32(0.1)) {
		t.Errorf("Full float32 0.1 = %v", got)
	}
	mustPanic(t, func() { tensor.Zeros(tensor.DType(9), 2) }, "Zeros", "invalid dtype")
}

type (
	myF32 float32
	myF64 float64
)

func TestFromSlice(t *testing.T) {
	d32 := []float32{1, 2, 3, 4, 5, 6}
	a := tensor.FromSlice(d32, 2, 3)
	if a.DType() != tensor.Float32 || !slices.Equal(a.Shape(), []int{2, 3}) {
		t.Fatalf("FromSlice float32: %v %v", a.DType(), a.Shape())
	}
	if a.At(1, 2) != 6 || a.At(0, 1) != 2 {
		t.Errorf("FromSlice float32 values: %v", a)
	}
	d32[0] = 100
	if a.At(0, 0) != 1 {
		t.Error("FromSlice float32 does not copy its data")
	}

	d64 := []float64{1.5, -2, 3}
	b := tensor.FromSlice(d64)
	if b.DType() != tensor.Float64 || !slices.Equal(b.Shape(), []int{3}) {
		t.Fatalf("FromSlice float64: %v %v", b.DType(), b.Shape())
	}
	if !slices.Equal(b.Float64s(), []float64{1.5, -2, 3}) {
		t.Errorf("FromSlice float64 values %v", b.Float64s())
	}
	d64[1] = 7
	if b.At(1) != -2 {
		t.Error("FromSlice float64 does not copy its data")
	}

	// A 0-d tensor from an explicit empty shape.
	s := tensor.FromSlice([]float64{9}, []int{}...)
	if s.Dims() != 0 || s.Item() != 9 {
		t.Errorf("FromSlice with empty shape: dims %d item %v", s.Dims(), s.Item())
	}
	// Empty data.
	e := tensor.FromSlice([]float32{})
	if e.Len() != 0 || !slices.Equal(e.Shape(), []int{0}) {
		t.Errorf("FromSlice(empty): shape %v", e.Shape())
	}
	e2 := tensor.FromSlice([]float64(nil), 3, 0)
	if e2.Len() != 0 || !slices.Equal(e2.Shape(), []int{3, 0}) {
		t.Errorf("FromSlice(nil, 3, 0): shape %v", e2.Shape())
	}

	// Named float types follow their underlying type.
	n32 := tensor.FromSlice([]myF32{1, 0.1})
	if n32.DType() != tensor.Float32 || n32.Flat(1) != float64(float32(0.1)) {
		t.Errorf("FromSlice([]myF32): %v %v", n32.DType(), n32.Values())
	}
	n64 := tensor.FromSlice([]myF64{1, 0.1})
	if n64.DType() != tensor.Float64 || n64.Flat(1) != 0.1 {
		t.Errorf("FromSlice([]myF64): %v %v", n64.DType(), n64.Values())
	}

	mustPanic(t, func() { tensor.FromSlice([]float32{1, 2, 3}, 2, 2) }, "FromSlice", "3 values", "[2 2]", "4 elements")
	mustPanic(t, func() { tensor.FromSlice([]float64{1, 2, 3}, 2) }, "FromSlice", "[2]")
	mustPanic(t, func() { tensor.FromSlice([]float64{1, 2}, []int{}...) }, "FromSlice", "[]")
	mustPanic(t, func() { tensor.FromSlice([]float64{1, 2}, -2) }, "FromSlice", "negative")
}

func TestArange(t *testing.T) {
	for _, dt := range dtypes {
		for _, tc := range []struct {
			start, stop, step float64
			want              []float64
		}{
			{0, 5, 1, []float64{0, 1, 2, 3, 4}},
			{1, 2, 0.25, []float64{1, 1.25, 1.5, 1.75}},
			{5, 0, -2, []float64{5, 3, 1}},
			{0, 1, 0.3, []float64{0, 0.3, 0.6, 0.9}},
			{3, 1, 1, nil},
			{2, 2, 1, nil},
			{-1, 1.5, 1, []float64{-1, 0, 1}},
		} {
			got := tensor.Arange(dt, tc.start, tc.stop, tc.step)
			if got.DType() != dt || got.Dims() != 1 || got.Len() != len(tc.want) {
				t.Errorf("Arange(%v, %v, %v, %v): dtype %v shape %v", dt, tc.start, tc.stop, tc.step, got.DType(), got.Shape())
				continue
			}
			for i, w := range tc.want {
				if g := got.At(i); !near(g, round(dt, w), eps(dt)) {
					t.Errorf("Arange(%v, %v, %v)[%d] = %v, want %v", tc.start, tc.stop, tc.step, i, g, w)
				}
			}
		}
	}
	for _, bad := range [][3]float64{
		{0, 1, 0}, {0, 1, math.NaN()}, {math.NaN(), 1, 1}, {0, math.NaN(), 1},
		{math.Inf(-1), 1, 1}, {0, math.Inf(1), 1},
	} {
		mustPanic(t, func() { tensor.Arange(tensor.Float64, bad[0], bad[1], bad[2]) }, "Arange", "bad range")
	}
}

func TestReshape(t *testing.T) {
	for _, dt := range dtypes {
		a := tensor.Arange(dt, 0, 24, 1)
		v := a.Reshape(2, 3, 4)
		if !slices.Equal(v.Shape(), []int{2, 3, 4}) || v.DType() != dt {
			t.Fatalf("Reshape: shape %v dtype %v", v.Shape(), v.DType())
		}
		if v.At(1, 2, 3) != 23 || v.At(1, 0, 1) != 13 {
			t.Errorf("Reshape values: %v", v)
		}
		// The view shares storage in both directions.
		v.Set(-1, 0, 1, 2)
		if a.At(6) != -1 {
			t.Error("write through Reshape view not seen in the source")
		}
		a.SetFlat(23, 99)
		if v.At(1, 2, 3) != 99 {
			t.Error("write to the source not seen through the view")
		}
		// The source keeps its shape.
		if !slices.Equal(a.Shape(), []int{24}) {
			t.Errorf("source shape changed to %v", a.Shape())
		}

		for _, tc := range []struct {
			in, want []int
		}{
			{[]int{-1}, []int{24}},
			{[]int{4, -1}, []int{4, 6}},
			{[]int{-1, 2, 3}, []int{4, 2, 3}},
			{[]int{2, -1, 3}, []int{2, 4, 3}},
			{[]int{1, 2, 1, 3, 1, 4}, []int{1, 2, 1, 3, 1, 4}},
			{[]int{1, 2, 1, 3, -1, 4}, []int{1, 2, 1, 3, 1, 4}},
		} {
			got := a.Reshape(tc.in...)
			if !slices.Equal(got.Shape(), tc.want) || got.Len() != 24 {
				t.Errorf("Reshape(%v) = %v, want %v", tc.in, got.Shape(), tc.want)
			}
			if got.Flat(23) != 99 {
				t.Errorf("Reshape(%v) does not share storage", tc.in)
			}
		}
		// Shapes passed in are not retained.
		in := []int{6, 4}
		got := a.Reshape(in...)
		in[0] = 1
		if !slices.Equal(got.Shape(), []int{6, 4}) {
			t.Errorf("Reshape kept the caller's slice: %v", got.Shape())
		}

		// Scalars and one-element tensors.
		s := tensor.Scalar(dt, 5)
		r := s.Reshape(1, 1)
		r.Set(6, 0, 0)
		if s.Item() != 6 || !slices.Equal(r.Shape(), []int{1, 1}) {
			t.Errorf("Reshape of a scalar: %v %v", s.Item(), r.Shape())
		}
		if back := r.Reshape(); back.Dims() != 0 || back.Item() != 6 {
			t.Errorf("Reshape() to 0-d: dims %d", back.Dims())
		}
		// Empty tensors.
		z := tensor.Zeros(dt, 0, 3)
		if got := z.Reshape(3, 0, 5); !slices.Equal(got.Shape(), []int{3, 0, 5}) {
			t.Errorf("Reshape of empty: %v", got.Shape())
		}

		for _, bad := range [][]int{{5, 5}, {25}, {-1, -1}, {-2, 12}, {5, -1}, {0, -1}, {}} {
			mustPanic(t, func() { a.Reshape(bad...) }, "Reshape", shapeStr(bad))
		}
	}
}

func TestAtSetItemFlat(t *testing.T) {
	for _, dt := range dtypes {
		a := tensor.Zeros(dt, 2, 3, 4)
		for i := 0; i < 24; i++ {
			idx := unravel(i, []int{2, 3, 4})
			a.Set(float64(i), idx...)
		}
		for i := 0; i < 24; i++ {
			if a.Flat(i) != float64(i) || a.At(unravel(i, []int{2, 3, 4})...) != float64(i) {
				t.Fatalf("At/Set/Flat are not row-major at %d", i)
			}
		}
		a.SetFlat(5, -7)
		if a.At(0, 1, 1) != -7 {
			t.Error("SetFlat")
		}
		if a.Dim(0) != 2 || a.Dim(-1) != 4 || a.Dim(-3) != 2 || a.Dim(1) != 3 {
			t.Errorf("Dim: %d %d %d", a.Dim(0), a.Dim(-1), a.Dim(-3))
		}
		mustPanic(t, func() { a.Dim(3) }, "Dim", "axis 3")
		mustPanic(t, func() { a.Dim(-4) }, "Dim", "axis -4")
		mustPanic(t, func() { a.At(0, 0) }, "At", "2 indices", "[2 3 4]")
		mustPanic(t, func() { a.At(0, 3, 0) }, "At", "out of range", "[0 3 0]")
		mustPanic(t, func() { a.At(-1, 0, 0) }, "At", "out of range")
		mustPanic(t, func() { a.Set(1, 2, 0, 0) }, "Set", "out of range")
		mustPanic(t, func() { a.Set(1, 0, 0, 0, 0) }, "Set", "4 indices")
		mustPanic(t, func() { a.Item() }, "Item", "24 elements")
		mustPanic(t, func() { tensor.Zeros(dt, 0).Item() }, "Item", "0 elements")
		if got := tensor.Full(dt, 3, 1, 1, 1).Item(); got != 3 {
			t.Errorf("Item of [1 1 1] = %v", got)
		}
		if dt == tensor.Float32 {
			mustPanic(t, func() { a.Float64s() }, "Float64s", "float32")
			if len(a.Float32s()) != 24 {
				t.Error("Float32s length")
			}
		} else {
			mustPanic(t, func() { a.Float32s() }, "Float32s", "float64")
			if len(a.Float64s()) != 24 {
				t.Error("Float64s length")
			}
		}
	}
	// Set rounds to float32.
	f := tensor.Zeros(tensor.Float32, 1)
	f.Set(0.1, 0)
	if f.At(0) != float64(float32(0.1)) {
		t.Errorf("float32 Set(0.1) reads back %v", f.At(0))
	}
}

func TestStrides(t *testing.T) {
	for _, tc := range []struct{ shape, want []int }{
		{nil, []int{}},
		{[]int{5}, []int{1}},
		{[]int{2, 3, 4}, []int{12, 4, 1}},
		{[]int{2, 0, 3}, []int{0, 3, 1}},
	} {
		if got := tensor.Zeros(tensor.Float32, tc.shape...).Strides(); !slices.Equal(got, tc.want) {
			t.Errorf("Strides of %v = %v, want %v", tc.shape, got, tc.want)
		}
	}
}

func TestFillZeroValues(t *testing.T) {
	for _, dt := range dtypes {
		a := tensor.Zeros(dt, 2, 2)
		if got := a.Fill(2.5); got != a {
			t.Error("Fill does not return its receiver")
		}
		if !slices.Equal(a.Values(), []float64{2.5, 2.5, 2.5, 2.5}) {
			t.Errorf("Fill: %v", a.Values())
		}
		vals := a.Values()
		vals[0] = 1
		if a.Flat(0) != 2.5 {
			t.Error("Values does not copy")
		}
		if got := a.Zero(); got != a || !slices.Equal(a.Values(), []float64{0, 0, 0, 0}) {
			t.Errorf("Zero: %v", a.Values())
		}
	}
}

func TestCloneIndependent(t *testing.T) {
	for _, dt := range dtypes {
		for _, shape := range [][]int{nil, {1}, {3}, {2, 3}, {1, 2, 1, 2, 1}} {
			a := tensor.Arange(dt, 1, float64(numel(shape))+1, 1).Reshape(shape...)
			c := a.Clone()
			if !tensor.Equal(a, c) {
				t.Fatalf("Clone of %v differs", shape)
			}
			c.SetFlat(0, -100)
			if a.Flat(0) != 1 {
				t.Errorf("Clone of %v shares storage", shape)
			}
			// The clone's shape is its own too.
			if len(shape) > 0 {
				a.Shape()[0] = 99 // modify the original's shape slice on purpose
				if c.Shape()[0] == 99 {
					t.Errorf("Clone of %v shares its shape", shape)
				}
			}
		}
	}
}

func TestAsAndCopyTo(t *testing.T) {
	a := tensor.FromSlice([]float64{0.1, -2, 1e40})
	b := a.As(tensor.Float32)
	if b.DType() != tensor.Float32 || b.Flat(0) != float64(float32(0.1)) || b.Flat(1) != -2 || !math.IsInf(b.Flat(2), 1) {
		t.Errorf("As(Float32) = %v", b.Values())
	}
	if a.As(tensor.Float64) != a {
		t.Error("As to the same dtype does not return the receiver")
	}
	c := b.As(tensor.Float64)
	if c.DType() != tensor.Float64 || c.Flat(0) != float64(float32(0.1)) {
		t.Errorf("As(Float64) = %v", c.Values())
	}
	m := tensor.Zeros(tensor.Float32, 2, 2).As(tensor.Float64)
	if !slices.Equal(m.Shape(), []int{2, 2}) {
		t.Errorf("As keeps shape: %v", m.Shape())
	}

	for _, sdt := range dtypes {
		for _, ddt := range dtypes {
			src := tensor.FromSlice([]float64{1, 2.5, -3, 4}, 2, 2).As(sdt)
			dst := tensor.Zeros(ddt, 2, 2)
			if got := tensor.CopyTo(dst, src); got != dst {
				t.Error("CopyTo does not return dst")
			}
			if !slices.Equal(dst.Values(), []float64{1, 2.5, -3, 4}) {
				t.Errorf("CopyTo %v→%v: %v", sdt, ddt, dst.Values())
			}
		}
	}
	mustPanic(t, func() { tensor.CopyTo(tensor.Zeros(tensor.Float32, 4), tensor.Zeros(tensor.Float32, 2, 2)) },
		"CopyTo", "[4]", "[2 2]")
}

func TestString(t *testing.T) {
	for _, tc := range []struct {
		t    *tensor.Tensor
		want string
	}{
		{tensor.Scalar(tensor.Float64, 3), "3"},
		{tensor.Scalar(tensor.Float32, -0.5), "-0.5"},
		{tensor.FromSlice([]float64{1, 2, 3}), "[1 2 3]"},
		{tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2), "[[1 2] [3 4]]"},
		{tensor.Arange(tensor.Float64, 0, 8, 1).Reshape(2, 2, 2), "[[[0 1] [2 3]] [[4 5] [6 7]]]"},
		{tensor.FromSlice([]float32{0.1, 1.5, 1e-7}), "[0.1 1.5 1e-07]"},
		{tensor.FromSlice([]float64{0.1, 1e21, math.Inf(-1), math.NaN()}), "[0.1 1e+21 -Inf NaN]"},
		{tensor.Zeros(tensor.Float32, 0), "[]"},
		{tensor.Zeros(tensor.Float32, 2, 0), "[[] []]"},
		{tensor.Ones(tensor.Float64, 1, 1), "[[1]]"},
	} {
		if got := tc.t.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestEqualAllCloseSameShape(t *testing.T) {
	a := tensor.FromSlice([]float64{1, 2, 3})
	if !tensor.Equal(a, a.Clone()) {
		t.Error("Equal(a, clone)")
	}
	if tensor.Equal(a, a.As(tensor.Float32)) {
		t.Error("Equal across dtypes")
	}
	if tensor.Equal(a, a.Reshape(3, 1)) {
		t.Error("Equal across shapes")
	}
	if tensor.Equal(a, tensor.FromSlice([]float64{1, 2, 4})) {
		t.Error("Equal with different values")
	}
	nan := tensor.FromSlice([]float64{math.NaN()})
	if tensor.Equal(nan, nan) || tensor.AllClose(nan, nan, 1, 1) {
		t.Error("NaN compares equal")
	}

	b := tensor.FromSlice([]float64{1 + 1e-9, 2, 3.001})
	if tensor.AllClose(a, b, 1e-6, 0) {
		t.Error("AllClose with rtol 1e-6 accepts 3 vs 3.001")
	}
	if !tensor.AllClose(a, b, 1e-3, 0) || !tensor.AllClose(a, b, 0, 1e-2) {
		t.Error("AllClose rejects close values")
	}
	if tensor.AllClose(a, a.Reshape(1, 3), 1, 1) {
		t.Error("AllClose across shapes")
	}
	if !tensor.AllClose(a, a.As(tensor.Float32), 0, 0) {
		t.Error("AllClose compares values, not dtypes")
	}
	inf, ninf := math.Inf(1), math.Inf(-1)
	for _, tc := range []struct {
		x, y float64
		want bool
	}{
		{inf, inf, true}, {ninf, ninf, true},
		{inf, ninf, false}, {ninf, inf, false},
		{5, inf, false}, {inf, 5, false}, {1e300, inf, false},
	} {
		x, y := tensor.FromSlice([]float64{tc.x}), tensor.FromSlice([]float64{tc.y})
		if got := tensor.AllClose(x, y, 1e-5, 1e-8); got != tc.want {
			t.Errorf("AllClose(%v, %v) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}

	if !tensor.SameShape(nil, []int{}) || tensor.SameShape([]int{1}, nil) || tensor.SameShape([]int{2, 3}, []int{3, 2}) {
		t.Error("SameShape")
	}
}

func TestErrorType(t *testing.T) {
	defer func() {
		r := recover()
		err, ok := r.(error)
		var te *tensor.Error
		if !ok || !errors.As(err, &te) {
			t.Fatalf("recovered %T", r)
		}
		if te.Op != "Add" || te.Error() != "tensor: Add: shapes [2 3] and [4] do not broadcast" {
			t.Errorf("error %+v: %q", te, te.Error())
		}
	}()
	tensor.Add(tensor.Zeros(tensor.Float32, 2, 3), tensor.Zeros(tensor.Float32, 4))
}

// maxSource always returns the largest uint64, so Float64 returns 1−2⁻⁵³,
// the value most prone to round up to the top of a range.
type maxSource struct{}

func (maxSource) Uint64() uint64 { return math.MaxUint64 }

func TestRandom(t *testing.T) {
	for _, dt := range dtypes {
		// Reproducible from a seed, different across seeds.
		if !tensor.Equal(tensor.Rand(newRNG(1), dt, 3, 4), tensor.Rand(newRNG(1), dt, 3, 4)) ||
			!tensor.Equal(tensor.Randn(newRNG(1), dt, 5), tensor.Randn(newRNG(1), dt, 5)) ||
			!tensor.Equal(tensor.Uniform(newRNG(1), dt, -3, 2, 7), tensor.Uniform(newRNG(1), dt, -3, 2, 7)) {
			t.Errorf("%v: same seed, different tensors", dt)
		}
		if tensor.Equal(tensor.Rand(newRNG(1), dt, 16), tensor.Rand(newRNG(2), dt, 16)) {
			t.Errorf("%v: different seeds, same tensor", dt)
		}
		// Consecutive draws from one generator differ.
		rng := newRNG(3)
		if tensor.Equal(tensor.Randn(rng, dt, 8), tensor.Randn(rng, dt, 8)) {
			t.Errorf("%v: consecutive draws are equal", dt)
		}

		const n = 20000
		r := tensor.Rand(newRNG(4), dt, 100, n/100)
		if r.DType() != dt || !slices.Equal(r.Shape(), []int{100, n / 100}) {
			t.Fatalf("Rand: %v %v", r.DType(), r.Shape())
		}
		checkRange(t, "Rand", r, 0, 1)
		if m := mean(r); math.Abs(m-0.5) > 0.02 {
			t.Errorf("%v: Rand mean %v", dt, m)
		}
		u := tensor.Uniform(newRNG(5), dt, -3, 5, n)
		checkRange(t, "Uniform", u, -3, 5)
		if m := mean(u); math.Abs(m-1) > 0.1 {
			t.Errorf("%v: Uniform(-3, 5) mean %v", dt, m)
		}
		g := tensor.Randn(newRNG(6), dt, n)
		m := mean(g)
		v := 0.0
		for _, x := range g.Values() {
			v += (x - m) * (x - m)
		}
		v /= n
		if math.Abs(m) > 0.03 || math.Abs(v-1) > 0.05 {
			t.Errorf("%v: Randn mean %v variance %v", dt, m, v)
		}

		// The top of the range is excluded even when the draw rounds up.
		top := rand.New(maxSource{})
		for _, tc := range [][2]float64{{0, 1}, {1, 2}, {-1, 0.1}, {-5, -1}, {0, 1e-30}} {
			x := tensor.Uniform(top, dt, tc[0], tc[1], 3)
			checkRange(t, "Uniform(max draw)", x, tc[0], tc[1])
		}
		checkRange(t, "Rand(max draw)", tensor.Rand(top, dt, 2), 0, 1)
		// lo == hi gives lo.
		if x := tensor.Uniform(newRNG(7), dt, 2, 2, 3); !slices.Equal(x.Values(), []float64{2, 2, 2}) {
			t.Errorf("Uniform(2, 2) = %v", x.Values())
		}
		// Empty and scalar shapes.
		if tensor.Rand(newRNG(8), dt, 0).Len() != 0 || tensor.Randn(newRNG(8), dt).Dims() != 0 {
			t.Error("Rand/Randn of empty or scalar shape")
		}
	}
}

func checkRange(t *testing.T, name string, x *tensor.Tensor, lo, hi float64) {
	t.Helper()
	for i, v := range x.Values() {
		if !(v >= lo && v < hi) {
			t.Errorf("%s %v: element %d = %v outside [%v, %v)", name, x.DType(), i, v, lo, hi)
			return
		}
	}
}

func mean(x *tensor.Tensor) float64 {
	s := 0.0
	for _, v := range x.Values() {
		s += v
	}
	return s / float64(x.Len())
}
