package tensor_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"backprop/tensor"
)

type unaryCase struct {
	name   string
	fn     func(a *tensor.Tensor) *tensor.Tensor
	to     func(dst, a *tensor.Tensor) *tensor.Tensor
	ref    func(x float64) float64
	lo, hi float64 // domain of the random inputs
}

func unaryCases() []unaryCase {
	return []unaryCase{
		{"Neg", tensor.Neg, tensor.NegTo, func(x float64) float64 { return -x }, -5, 5},
		{"Exp", tensor.Exp, tensor.ExpTo, math.Exp, -10, 10},
		{"Log", tensor.Log, tensor.LogTo, math.Log, 1e-3, 100},
		{"Sqrt", tensor.Sqrt, tensor.SqrtTo, math.Sqrt, 0, 100},
		{"Abs", tensor.Abs, tensor.AbsTo, math.Abs, -5, 5},
		{"Sin", tensor.Sin, tensor.SinTo, math.Sin, -10, 10},
		{"Cos", tensor.Cos, tensor.CosTo, math.Cos, -10, 10},
		{"Tanh", tensor.Tanh, tensor.TanhTo, math.Tanh, -5, 5},
		{"Sigmoid", tensor.Sigmoid, tensor.SigmoidTo, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -20, 20},
		{"ReLU", tensor.ReLU, tensor.ReLUTo, func(x float64) float64 { return math.Max(x, 0) }, -5, 5},
		{"LeakyReLU",
			func(a *tensor.Tensor) *tensor.Tensor { return tensor.LeakyReLU(a, 0.1) },
			func(d, a *tensor.Tensor) *tensor.Tensor { return tensor.LeakyReLUTo(d, a, 0.1) },
			func(x float64) float64 {
				if x < 0 {
					return 0.1 * x
				}
				return x
			}, -5, 5},
		{"Sign", tensor.Sign, tensor.SignTo, func(x float64) float64 {
			if x == 0 {
				return 0
			}
			return math.Copysign(1, x)
		}, -5, 5},
		{"Scale",
			func(a *tensor.Tensor) *tensor.Tensor { return tensor.Scale(a, -2.5) },
			func(d, a *tensor.Tensor) *tensor.Tensor { return tensor.ScaleTo(d, a, -2.5) },
			func(x float64) float64 { return -2.5 * x }, -5, 5},
		{"AddScalar",
			func(a *tensor.Tensor) *tensor.Tensor { return tensor.AddScalar(a, 0.75) },
			func(d, a *tensor.Tensor) *tensor.Tensor { return tensor.AddScalarTo(d, a, 0.75) },
			func(x float64) float64 { return x + 0.75 }, -5, 5},
		{"PowScalar",
			func(a *tensor.Tensor) *tensor.Tensor { return tensor.PowScalar(a, 1.5) },
			func(d, a *tensor.Tensor) *tensor.Tensor { return tensor.PowScalarTo(d, a, 1.5) },
			func(x float64) float64 { return math.Pow(x, 1.5) }, 0, 10},
		{"PowScalar2",
			func(a *tensor.Tensor) *tensor.Tensor { return tensor.PowScalar(a, 2) },
			func(d, a *tensor.Tensor) *tensor.Tensor { return tensor.PowScalarTo(d, a, 2) },
			func(x float64) float64 { return x * x }, -5, 5},
	}
}

func TestUnary(t *testing.T) {
	rng := newRNG(10)
	for _, tc := range unaryCases() {
		for _, dt := range dtypes {
			for _, shape := range [][]int{nil, {0}, {1}, {7}, {3, 5}, {2, 3, 4}, {2, 1, 3, 1, 2}} {
				a := randT(rng, dt, tc.lo, tc.hi, shape...)
				// Points where branches meet, when in the domain.
				for i, x := range []float64{0, 1, -1, tc.lo} {
					if i < a.Len() && x >= tc.lo && x <= tc.hi {
						a.SetFlat(i, x)
					}
				}
				orig := a.Clone()
				want := make([]float64, a.Len())
				for i := range want {
					want[i] = round(dt, tc.ref(a.Flat(i)))
				}
				name := fmt.Sprintf("%s %v %v", tc.name, dt, shape)
				got := tc.fn(a)
				if got.DType() != dt {
					t.Errorf("%s: dtype %v", name, got.DType())
				}
				checkVals(t, name, got, shape, want, 4*eps(dt))
				if !tensor.Equal(a, orig) {
					t.Errorf("%s: operand modified", name)
				}
				dst := tensor.Full(dt, 123, shape...)
				if r := tc.to(dst, a); r != dst {
					t.Errorf("%sTo does not return dst", name)
				}
				checkVals(t, name+" To", dst, shape, want, 4*eps(dt))
				// In place.
				tc.to(a, a)
				checkVals(t, name+" in place", a, shape, want, 4*eps(dt))
			}
			mustPanic(t, func() { tc.to(tensor.Zeros(dt, 3), tensor.Zeros(dt, 4)) },
				"destination shape [3]", "[4]")
			mustPanic(t, func() { tc.to(tensor.Zeros(dt, 2, 2), tensor.Zeros(dt, 4)) }, "destination shape")
			other := tensor.Float64
			if dt == tensor.Float64 {
				other = tensor.Float32
			}
			mustPanic(t, func() { tc.to(tensor.Zeros(other, 3), tensor.Zeros(dt, 3)) }, "destination is "+other.String())
		}
	}
}

func TestUnaryErrorNamesOp(t *testing.T) {
	for _, tc := range unaryCases() {
		op := tc.name
		if op == "PowScalar2" {
			op = "PowScalar"
		}
		mustPanic(t, func() { tc.to(tensor.Zeros(tensor.Float32, 2), tensor.Zeros(tensor.Float32, 3)) }, "tensor: "+op+":")
	}
}

func TestUnarySpecialValues(t *testing.T) {
	inf := math.Inf(1)
	for _, dt := range dtypes {
		x := tensor.FromSlice([]float64{-1000, -745, -100, 0, 100, 745, 1000, -1e308, 1e308, -inf, inf}).As(dt)
		s := tensor.Sigmoid(x)
		for i, v := range s.Values() {
			xi := x.Flat(i)
			if math.IsNaN(v) || v < 0 || v > 1 {
				t.Errorf("%v: Sigmoid(%v) = %v", dt, xi, v)
			}
			if xi >= 100 && v != 1 || xi <= -1000 && v != 0 || xi == 0 && v != 0.5 {
				t.Errorf("%v: Sigmoid(%v) = %v", dt, xi, v)
			}
		}
		// Symmetry σ(−x) = 1 − σ(x).
		y := tensor.FromSlice([]float64{-3, -0.5, 0.25, 2, 8}).As(dt)
		s1, s2 := tensor.Sigmoid(y), tensor.Sigmoid(tensor.Neg(y))
		for i := range y.Len() {
			if !near(s1.Flat(i)+s2.Flat(i), 1, 2*eps(dt)) {
				t.Errorf("%v: σ(%v)+σ(−%v) = %v", dt, y.Flat(i), y.Flat(i), s1.Flat(i)+s2.Flat(i))
			}
		}
		if v := tensor.Tanh(tensor.FromSlice([]float64{-1000, 1000}).As(dt)).Values(); v[0] != -1 || v[1] != 1 {
			t.Errorf("%v: Tanh(±1000) = %v", dt, v)
		}
		sg := tensor.Sign(tensor.FromSlice([]float64{math.NaN(), 0, -0.0, -inf, 3}).As(dt)).Values()
		if !math.IsNaN(sg[0]) || sg[1] != 0 || sg[2] != 0 || sg[3] != -1 || sg[4] != 1 {
			t.Errorf("%v: Sign = %v", dt, sg)
		}
		l := tensor.Log(tensor.FromSlice([]float64{0, -1}).As(dt)).Values()
		if !math.IsInf(l[0], -1) || !math.IsNaN(l[1]) {
			t.Errorf("%v: Log(0), Log(-1) = %v", dt, l)
		}
		if v := tensor.ReLU(tensor.FromSlice([]float64{math.NaN()}).As(dt)).Item(); v != 0 && !math.IsNaN(v) {
			t.Errorf("%v: ReLU(NaN) = %v", dt, v)
		}
		// float32 overflow of exp gives +Inf, not garbage.
		if v := tensor.Exp(tensor.FromSlice([]float64{100}).As(dt)).Item(); dt == tensor.Float32 && !math.IsInf(v, 1) {
			t.Errorf("float32 Exp(100) = %v", v)
		}
	}
}

type binaryCase struct {
	name   string // op name in error messages
	fn     func(a, b *tensor.Tensor) *tensor.Tensor
	to     func(dst, a, b *tensor.Tensor) *tensor.Tensor
	ref    func(x, y float64) float64
	ints   bool // inputs are small integers, so that ties occur
	posA   bool // a > 0 (Pow)
	awayB0 bool // |b| ≥ 0.5 (Div)
}

func b2f(c bool) float64 {
	if c {
		return 1
	}
	return 0
}

func binaryCases() []binaryCase {
	return []binaryCase{
		{name: "Add", fn: tensor.Add, to: tensor.AddTo, ref: func(x, y float64) float64 { return x + y }},
		{name: "Sub", fn: tensor.Sub, to: tensor.SubTo, ref: func(x, y float64) float64 { return x - y }},
		{name: "Mul", fn: tensor.Mul, to: tensor.MulTo, ref: func(x, y float64) float64 { return x * y }},
		{name: "Div", fn: tensor.Div, to: tensor.DivTo, ref: func(x, y float64) float64 { return x / y }, awayB0: true},
		{name: "Pow", fn: tensor.Pow, to: tensor.PowTo, ref: math.Pow, posA: true},
		{name: "Maximum", fn: tensor.Maximum, to: tensor.MaximumTo, ref: math.Max, ints: true},
		{name: "Minimum", fn: tensor.Minimum, to: tensor.MinimumTo, ref: math.Min, ints: true},
		{name: "Greater", fn: tensor.Greater, to: tensor.GreaterTo, ref: func(x, y float64) float64 { return b2f(x > y) }, ints: true},
		{name: "GreaterEqual", fn: tensor.GreaterEqual, to: tensor.GreaterEqualTo, ref: func(x, y float64) float64 { return b2f(x >= y) }, ints: true},
		{name: "Less", fn: tensor.Less, to: tensor.LessTo, ref: func(x, y float64) float64 { return b2f(x < y) }, ints: true},
		{name: "LessEqual", fn: tensor.LessEqual, to: tensor.LessEqualTo, ref: func(x, y float64) float64 { return b2f(x <= y) }, ints: true},
		{name: "Equal", fn: tensor.Eq, to: tensor.EqualTo, ref: func(x, y float64) float64 { return b2f(x == y) }, ints: true},
		{name: "NotEqual", fn: tensor.NotEqual, to: tensor.NotEqualTo, ref: func(x, y float64) float64 { return b2f(x != y) }, ints: true},
	}
}

// broadcastPairs are shape pairs that broadcast.
var broadcastPairs = [][2][]int{
	{{}, {}},
	{{5}, {5}},
	{{2, 3}, {2, 3}},
	{{2, 3, 4}, {2, 3, 4}},
	{{}, {3}},
	{{2, 3}, {}},
	{{1}, {4}},
	{{3, 1}, {1, 4}},
	{{1, 4}, {3, 1}},
	{{2, 3, 4}, {4}},
	{{4}, {2, 3, 4}},
	{{2, 3, 4}, {3, 1}},
	{{2, 1, 4}, {3, 1}},
	{{3, 1}, {2, 1, 4}},
	{{2, 3, 4}, {1, 3, 1}},
	{{1, 1}, {5, 1, 1}},
	{{2, 1, 3, 1}, {4, 1, 5}},
	{{2, 1, 1, 3, 1}, {1, 4, 2, 1, 5}},
	{{0}, {1}},
	{{0}, {}},
	{{2, 0}, {2, 1}},
	{{3, 0, 2}, {2}},
	{{1, 0}, {4, 1}},
	{{7, 9}, {7, 1}},
}

// badPairs are shape pairs that do not broadcast.
var badPairs = [][2][]int{
	{{3}, {4}},
	{{2, 3}, {4}},
	{{2, 3}, {3, 2}},
	{{2, 1, 4}, {3, 3}},
	{{0}, {2}},
	{{2, 3, 4}, {5, 2, 1, 3}},
	{{2, 3, 4}, {3, 3, 4}},
}

func binaryInputs(tc binaryCase, dt tensor.DType, sa, sb []int, seed uint64) (a, b *tensor.Tensor) {
	r := newRNG(seed)
	switch {
	case tc.ints:
		a, b = randInts(r, dt, -2, 2, sa...), randInts(r, dt, -2, 2, sb...)
	case tc.posA:
		a, b = randT(r, dt, 0.5, 3, sa...), randT(r, dt, -2, 2, sb...)
	case tc.awayB0:
		a = randT(r, dt, -3, 3, sa...)
		b = randT(r, dt, 0.5, 2, sb...)
		for i := 0; i < b.Len(); i += 2 {
			b.SetFlat(i, -b.Flat(i))
		}
	default:
		a, b = randT(r, dt, -3, 3, sa...), randT(r, dt, -3, 3, sb...)
	}
	return a, b
}

func TestBinaryBroadcasting(t *testing.T) {
	seed := uint64(100)
	for _, tc := range binaryCases() {
		for _, dt := range dtypes {
			for _, p := range broadcastPairs {
				seed++
				a, b := binaryInputs(tc, dt, p[0], p[1], seed)
				ac, bc := a.Clone(), b.Clone()
				shape, want := naiveBroadcast(func(xs []float64) float64 { return round(dt, tc.ref(xs[0], xs[1])) }, a, b)
				name := fmt.Sprintf("%s %v %v %v", tc.name, dt, p[0], p[1])
				got := tc.fn(a, b)
				if got.DType() != dt {
					t.Errorf("%s: dtype %v", name, got.DType())
				}
				checkVals(t, name, got, shape, want, 2*eps(dt))
				if !tensor.Equal(a, ac) || !tensor.Equal(b, bc) {
					t.Errorf("%s: operands modified", name)
				}
				dst := tensor.Full(dt, 77, shape...)
				if r := tc.to(dst, a, b); r != dst {
					t.Errorf("%s: To does not return dst", name)
				}
				checkVals(t, name+" To", dst, shape, want, 2*eps(dt))

				// In place, into whichever operand has the output shape.
				if tensor.SameShape(a.Shape(), shape) {
					tc.to(a, a, b)
					checkVals(t, name+" in place (a)", a, shape, want, 2*eps(dt))
					tensor.CopyTo(a, ac)
				}
				if tensor.SameShape(b.Shape(), shape) {
					tc.to(b, a, b)
					checkVals(t, name+" in place (b)", b, shape, want, 2*eps(dt))
					tensor.CopyTo(b, bc)
				}
			}
		}
	}
}

func TestBinarySelf(t *testing.T) {
	// a op a, including in place: the fan-out case.
	for _, dt := range dtypes {
		a := tensor.FromSlice([]float64{-2, -0.5, 0, 1.5, 3}).As(dt)
		if v := tensor.Mul(a, a).Values(); !slices.Equal(v, []float64{4, 0.25, 0, 2.25, 9}) {
			t.Errorf("%v: Mul(a, a) = %v", dt, v)
		}
		if v := tensor.Sub(a, a).Values(); !slices.Equal(v, []float64{0, 0, 0, 0, 0}) {
			t.Errorf("%v: Sub(a, a) = %v", dt, v)
		}
		tensor.AddTo(a, a, a)
		if v := a.Values(); !slices.Equal(v, []float64{-4, -1, 0, 3, 6}) {
			t.Errorf("%v: AddTo(a, a, a) = %v", dt, v)
		}
	}
}

func TestBinaryNaN(t *testing.T) {
	nan := math.NaN()
	for _, dt := range dtypes {
		a := tensor.FromSlice([]float64{nan, 1, nan}).As(dt)
		b := tensor.FromSlice([]float64{1, nan, nan}).As(dt)
		for name, r := range map[string]*tensor.Tensor{"Maximum": tensor.Maximum(a, b), "Minimum": tensor.Minimum(a, b)} {
			for i, v := range r.Values() {
				if !math.IsNaN(v) {
					t.Errorf("%v: %s element %d = %v, want NaN", dt, name, i, v)
				}
			}
		}
		if v := tensor.NotEqual(a, a).Values(); !slices.Equal(v, []float64{1, 0, 1}) {
			t.Errorf("%v: NotEqual(a, a) with NaN = %v", dt, v)
		}
		if v := tensor.Eq(a, a).Values(); !slices.Equal(v, []float64{0, 1, 0}) {
			t.Errorf("%v: Eq(a, a) with NaN = %v", dt, v)
		}
	}
}

func TestBinaryPanics(t *testing.T) {
	for _, tc := range binaryCases() {
		for _, p := range badPairs {
			a, b := tensor.Zeros(tensor.Float32, p[0]...), tensor.Zeros(tensor.Float32, p[1]...)
			want := fmt.Sprintf("tensor: %s: shapes %v and %v do not broadcast", tc.name, p[0], p[1])
			e := mustPanic(t, func() { tc.fn(a, b) }, want)
			if e != nil && e.Op != tc.name {
				t.Errorf("Op = %q, want %q", e.Op, tc.name)
			}
			mustPanic(t, func() { tc.to(tensor.Zeros(tensor.Float32, 9), a, b) }, want)
		}
		mustPanic(t, func() { tc.fn(tensor.Zeros(tensor.Float32, 2), tensor.Zeros(tensor.Float64, 2)) },
			tc.name, "mixed dtypes float32 and float64")
		// Wrong destination: shape, dtype, and a destination that the
		// output would only broadcast into.
		a, b := tensor.Zeros(tensor.Float64, 2, 3), tensor.Zeros(tensor.Float64, 3)
		mustPanic(t, func() { tc.to(tensor.Zeros(tensor.Float64, 3, 2), a, b) }, tc.name, "destination shape [3 2]", "[2 3]")
		mustPanic(t, func() { tc.to(tensor.Zeros(tensor.Float64, 2, 2, 3), a, b) }, tc.name, "destination shape")
		mustPanic(t, func() { tc.to(b, a, b) }, tc.name, "destination shape [3]")
		mustPanic(t, func() { tc.to(tensor.Zeros(tensor.Float32, 2, 3), a, b) }, tc.name, "destination is float32")
		mustPanic(t, func() { tc.to(tensor.Zeros(tensor.Float32, 2, 3), a, a) }, tc.name, "destination is float32")
		mustPanic(t, func() { tc.to(tensor.Zeros(tensor.Float64, 6), a, a) }, tc.name, "destination shape [6]")
	}
}

func TestBroadcastShapes(t *testing.T) {
	for _, tc := range []struct {
		in   [][]int
		want []int // nil: do not broadcast
	}{
		{nil, []int{}},
		{[][]int{{}}, []int{}},
		{[][]int{{}, {}}, []int{}},
		{[][]int{{3}}, []int{3}},
		{[][]int{{3}, {}}, []int{3}},
		{[][]int{{2, 3}, {3}}, []int{2, 3}},
		{[][]int{{3, 1}, {1, 4}}, []int{3, 4}},
		{[][]int{{2, 1, 4}, {3, 1}}, []int{2, 3, 4}},
		{[][]int{{8, 1, 6, 1}, {7, 1, 5}}, []int{8, 7, 6, 5}},
		{[][]int{{5, 1, 1}, {1, 4, 1}, {1, 1, 3}}, []int{5, 4, 3}},
		{[][]int{{1}, {1, 1}, {1, 1, 1}}, []int{1, 1, 1}},
		{[][]int{{0}, {1}}, []int{0}},
		{[][]int{{1}, {0}}, []int{0}},
		{[][]int{{2, 0}, {1}}, []int{2, 0}},
		{[][]int{{0, 1}, {1, 5}}, []int{0, 5}},
		{[][]int{{0}, {3}}, nil},
		{[][]int{{3}, {4}}, nil},
		{[][]int{{2, 3}, {4}}, nil},
		{[][]int{{2, 1}, {8, 4, 3}}, nil},
		{[][]int{{2}, {2}, {3}}, nil},
		{[][]int{{1, 2}, {2, 1}, {3, 1}}, nil},
	} {
		got, ok := tensor.BroadcastShapes(tc.in...)
		if tc.want == nil {
			if ok {
				t.Errorf("BroadcastShapes(%v) = %v, true; want false", tc.in, got)
			}
			continue
		}
		if !ok || !slices.Equal(got, tc.want) || len(got) != len(tc.want) {
			t.Errorf("BroadcastShapes(%v) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
		// The reference agrees.
		if ref, rok := refBroadcastShape(tc.in...); !rok || !slices.Equal(ref, tc.want) {
			t.Errorf("reference broadcast of %v = %v, %v", tc.in, ref, rok)
		}
	}
	// Inputs are not modified and the result is not aliased to them.
	a, b := []int{3, 1}, []int{1, 4}
	out, _ := tensor.BroadcastShapes(a, b)
	out[0] = 100
	if !slices.Equal(a, []int{3, 1}) || !slices.Equal(b, []int{1, 4}) {
		t.Errorf("BroadcastShapes modified or aliased its inputs: %v %v", a, b)
	}
	// Agreement with the reference over every pair used elsewhere.
	for _, p := range append(slices.Clone(broadcastPairs), badPairs...) {
		got, ok := tensor.BroadcastShapes(p[0], p[1])
		ref, rok := refBroadcastShape(p[0], p[1])
		if ok != rok || !slices.Equal(got, ref) {
			t.Errorf("BroadcastShapes(%v, %v) = %v, %v; reference %v, %v", p[0], p[1], got, ok, ref, rok)
		}
	}
}

func TestWhere(t *testing.T) {
	triples := [][3][]int{
		{{4}, {4}, {4}},
		{{}, {2, 3}, {2, 3}},
		{{2, 3}, {}, {3}},
		{{3, 1}, {1, 4}, {}},
		{{2, 1, 4}, {3, 1}, {4}},
		{{1, 3, 1}, {2, 1, 1}, {1, 1, 5}},
		{{0, 1}, {1, 3}, {}},
	}
	seed := uint64(500)
	for _, dt := range dtypes {
		for _, cdt := range dtypes {
			for _, tr := range triples {
				seed++
				r := newRNG(seed)
				cond := randInts(r, cdt, 0, 1, tr[0]...)
				if cond.Len() > 0 {
					cond.SetFlat(0, -0.5) // any non-zero value selects a
				}
				a, b := randT(r, dt, -3, 3, tr[1]...), randT(r, dt, -3, 3, tr[2]...)
				shape, want := naiveBroadcast(func(xs []float64) float64 {
					if xs[0] != 0 {
						return xs[1]
					}
					return xs[2]
				}, cond, a, b)
				name := fmt.Sprintf("Where %v %v %v", dt, cdt, tr)
				got := tensor.Where(cond, a, b)
				if got.DType() != dt {
					t.Errorf("%s: dtype %v", name, got.DType())
				}
				checkVals(t, name, got, shape, want, 0)
				dst := tensor.Full(dt, 9, shape...)
				if tensor.WhereTo(dst, cond, a, b) != dst {
					t.Errorf("%s: WhereTo does not return dst", name)
				}
				checkVals(t, name+" To", dst, shape, want, 0)
			}
		}
	}
	z := func(s ...int) *tensor.Tensor { return tensor.Zeros(tensor.Float32, s...) }
	mustPanic(t, func() { tensor.Where(z(2), z(3), z(3)) }, "Where", "[2]", "[3]", "do not broadcast")
	mustPanic(t, func() { tensor.Where(z(3), z(2, 3), z(2, 1, 4)) }, "Where", "[3], [2 3] and [2 1 4]")
	mustPanic(t, func() { tensor.Where(z(3), z(3), tensor.Zeros(tensor.Float64, 3)) }, "Where", "mixed dtypes")
	mustPanic(t, func() { tensor.WhereTo(z(2), z(3), z(3), z(3)) }, "Where", "destination shape [2]")
	mustPanic(t, func() { tensor.WhereTo(z(2), z(2), z(3), z(2)) }, "Where", "[2], [3] and [2] do not broadcast")
	mustPanic(t, func() { tensor.WhereTo(tensor.Zeros(tensor.Float64, 3), z(3), z(3), z(3)) }, "Where", "destination is float64")
}

// broadcastToPairs are (source, destination) shapes for BroadcastTo and
// ReduceTo.
var broadcastToPairs = [][2][]int{
	{{}, {}},
	{{3}, {3}},
	{{}, {2, 3}},
	{{1}, {5}},
	{{3}, {2, 3}},
	{{3, 1}, {3, 4}},
	{{1, 4}, {3, 4}},
	{{1, 1}, {3, 4}},
	{{4}, {2, 3, 4}},
	{{3, 1}, {2, 3, 4}},
	{{2, 1, 4}, {2, 3, 4}},
	{{1, 3, 1}, {2, 3, 4}},
	{{2, 1, 1, 5}, {2, 3, 4, 5}},
	{{1}, {0}},
	{{2, 1}, {2, 0}},
	{{1, 1, 1}, {1, 1, 1}},
}

func TestBroadcastTo(t *testing.T) {
	for _, dt := range dtypes {
		for i, p := range broadcastToPairs {
			a := randT(newRNG(uint64(600+i)), dt, -1, 1, p[0]...)
			shape, want := naiveBroadcast(func(xs []float64) float64 { return xs[0] }, a, tensor.Zeros(dt, p[1]...))
			dst := tensor.Full(dt, 5, p[1]...)
			if tensor.BroadcastTo(dst, a) != dst {
				t.Error("BroadcastTo does not return dst")
			}
			checkVals(t, fmt.Sprintf("BroadcastTo %v %v→%v", dt, p[0], p[1]), dst, shape, want, 0)
		}
	}
	z := func(s ...int) *tensor.Tensor { return tensor.Zeros(tensor.Float32, s...) }
	mustPanic(t, func() { tensor.BroadcastTo(z(3), z(2, 3)) }, "BroadcastTo", "shape [2 3] does not broadcast to [3]")
	mustPanic(t, func() { tensor.BroadcastTo(z(3, 4), z(3)) }, "BroadcastTo", "[3]", "[3 4]")
	mustPanic(t, func() { tensor.BroadcastTo(z(3), z(1, 3)) }, "BroadcastTo", "[1 3]", "[3]")
	mustPanic(t, func() { tensor.BroadcastTo(z(3), tensor.Zeros(tensor.Float64, 3)) }, "BroadcastTo", "float64")
}

func TestReduceTo(t *testing.T) {
	for _, dt := range dtypes {
		for i, p := range broadcastToPairs {
			r := newRNG(uint64(700 + i))
			src := randT(r, dt, -1, 1, p[1]...)
			// Reference: every source element adds into the destination
			// element it was broadcast from.
			want := make([]float64, numel(p[0]))
			for j := 0; j < src.Len(); j++ {
				want[srcIndex(unravel(j, p[1]), p[0])] += src.Flat(j)
			}
			dst := tensor.Full(dt, 5, p[0]...) // old contents must not leak in
			if tensor.ReduceTo(dst, src) != dst {
				t.Error("ReduceTo does not return dst")
			}
			name := fmt.Sprintf("ReduceTo %v %v←%v", dt, p[0], p[1])
			checkVals(t, name, dst, p[0], want, 4*eps(dt))

			// Adjointness: ⟨BroadcastTo(x), y⟩ = ⟨x, ReduceTo(y)⟩.
			x := randT(r, dt, -1, 1, p[0]...)
			y := randT(r, dt, -1, 1, p[1]...)
			bx := tensor.BroadcastTo(tensor.Zeros(dt, p[1]...), x)
			ry := tensor.ReduceTo(tensor.Zeros(dt, p[0]...), y)
			lhs, rhs := dot(bx, y), dot(x, ry)
			if !near(lhs, rhs, 8*eps(dt)) {
				t.Errorf("%s: ⟨Bx, y⟩ = %v, ⟨x, Ry⟩ = %v", name, lhs, rhs)
			}
		}
	}
	z := func(s ...int) *tensor.Tensor { return tensor.Zeros(tensor.Float32, s...) }
	mustPanic(t, func() { tensor.ReduceTo(z(2, 3), z(3)) }, "ReduceTo", "shape [2 3] does not broadcast to [3]")
	mustPanic(t, func() { tensor.ReduceTo(z(4), z(2, 3)) }, "ReduceTo", "[4]", "[2 3]")
	mustPanic(t, func() { tensor.ReduceTo(z(3), tensor.Zeros(tensor.Float64, 2, 3)) }, "ReduceTo", "float64")
	mustPanic(t, func() { tensor.ReduceTo(z(3), tensor.Zeros(tensor.Float64, 3)) }, "ReduceTo", "float64")
}

// TestBinaryLarge checks the float32 element-wise kernels on tensors long
// enough to be split over the workers: same shapes, a scalar and a row
// broadcast, against the correctly rounded float32 results.
func TestBinaryLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const rows, cols = 1100, 131 // 144,100 elements, odd rows
	a := tensor.Randn(rng, tensor.Float32, rows, cols)
	b := tensor.Randn(rng, tensor.Float32, rows, cols)
	row := tensor.Randn(rng, tensor.Float32, cols)
	s := tensor.Scalar(tensor.Float32, 0.375)
	for _, c := range []struct {
		name string
		got  *tensor.Tensor
		want func(i int) float64
	}{
		{"a+b", tensor.Add(a, b), func(i int) float64 { return float64(float32(a.Flat(i) + b.Flat(i))) }},
		{"a·b", tensor.Mul(a, b), func(i int) float64 { return float64(float32(a.Flat(i) * b.Flat(i))) }},
		{"a−s", tensor.Sub(a, s), func(i int) float64 { return float64(float32(a.Flat(i) - 0.375)) }},
		{"s/a", tensor.Div(s, a), func(i int) float64 { return float64(float32(0.375 / a.Flat(i))) }},
		{"a+row", tensor.Add(a, row), func(i int) float64 { return float64(float32(a.Flat(i) + row.Flat(i%cols))) }},
		{"row−a", tensor.Sub(row, a), func(i int) float64 { return float64(float32(row.Flat(i%cols) - a.Flat(i))) }},
	} {
		for i := range rows * cols {
			if g, w := c.got.Flat(i), c.want(i); g != w {
				t.Fatalf("%s: element %d = %v, want %v", c.name, i, g, w)
			}
		}
	}
}
