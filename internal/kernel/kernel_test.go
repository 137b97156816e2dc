package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// A kernelCase describes how to call one kernel and how to compare a
// variant's result with the Go reference.
type kernelCase struct {
	name string
	nin  int                        // inputs besides dst
	dst  bool                       // writes a destination
	init bool                       // dst is also read (axpy)
	gen  func(r *rand.Rand) float32 // input values
	run  func(v *Variant, dst []float32, in [][]float32) float32
	cmp  cmpMode
	ulps int64 // for cmpULP
}

type cmpMode int

const (
	cmpExact cmpMode = iota // same bits, or both NaN
	cmpValue                // equal as numbers (±0 alike), or both NaN
	cmpULP                  // within ulps, or both NaN
	cmpSum                  // within the reassociation bound of a sum
)

// special values mixed into inputs of the exact kernels.
var specials = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.NaN()), math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
	math.MaxFloat32, -math.MaxFloat32, 1e-40, -3e-39,
}

func genMixed(r *rand.Rand) float32 {
	if r.IntN(8) == 0 {
		return specials[r.IntN(len(specials))]
	}
	return float32(r.NormFloat64() * 10)
}

func genUnit(r *rand.Rand) float32 { return float32(2*r.Float64() - 1) }

// genExp covers the whole useful domain of exp, its saturated ends and
// the special values.
func genExp(r *rand.Rand) float32 {
	switch r.IntN(10) {
	case 0:
		return specials[r.IntN(len(specials))]
	case 1:
		return float32(r.Float64()*20 - 10)
	}
	return float32(r.Float64()*220 - 115)
}

// genGELU covers GELU's curved part, its tails and the special values.
func genGELU(r *rand.Rand) float32 {
	switch r.IntN(10) {
	case 0:
		return specials[r.IntN(len(specials))]
	case 1:
		return float32(r.Float64()*40 - 20)
	}
	return float32(r.NormFloat64() * 2)
}

func kernelCases() []kernelCase {
	bin := func(name string, f func(v *Variant) func(dst, x, y []float32)) kernelCase {
		return kernelCase{name: name, nin: 2, dst: true, gen: genMixed, cmp: cmpExact,
			run: func(v *Variant, dst []float32, in [][]float32) float32 { f(v)(dst, in[0], in[1]); return 0 }}
	}
	sc := func(name string, s float32, f func(v *Variant) func(dst, x []float32, s float32)) kernelCase {
		return kernelCase{name: name, nin: 1, dst: true, gen: genMixed, cmp: cmpExact,
			run: func(v *Variant, dst []float32, in [][]float32) float32 { f(v)(dst, in[0], s); return 0 }}
	}
	un := func(name string, gen func(*rand.Rand) float32, cmp cmpMode, ulps int64, f func(v *Variant) func(dst, x []float32)) kernelCase {
		return kernelCase{name: name, nin: 1, dst: true, gen: gen, cmp: cmp, ulps: ulps,
			run: func(v *Variant, dst []float32, in [][]float32) float32 { f(v)(dst, in[0]); return 0 }}
	}
	return []kernelCase{
		bin("Add", func(v *Variant) func(dst, x, y []float32) { return v.Add }),
		bin("Sub", func(v *Variant) func(dst, x, y []float32) { return v.Sub }),
		bin("Mul", func(v *Variant) func(dst, x, y []float32) { return v.Mul }),
		bin("Div", func(v *Variant) func(dst, x, y []float32) { return v.Div }),
		bin("ReLUBackward", func(v *Variant) func(dst, x, y []float32) { return v.ReLUBackward }),
		sc("AddScalar", 1.5, func(v *Variant) func(dst, x []float32, s float32) { return v.AddScalar }),
		sc("SubFromScalar", -0.75, func(v *Variant) func(dst, x []float32, s float32) { return v.SubFromScalar }),
		sc("Scale", 3.25, func(v *Variant) func(dst, x []float32, s float32) { return v.Scale }),
		sc("DivScalar", 7, func(v *Variant) func(dst, x []float32, s float32) { return v.DivScalar }),
		sc("DivFromScalar", -2.5, func(v *Variant) func(dst, x []float32, s float32) { return v.DivFromScalar }),
		{name: "Axpy", nin: 1, dst: true, init: true, gen: genMixed, cmp: cmpExact,
			run: func(v *Variant, dst []float32, in [][]float32) float32 { v.Axpy(dst, 0.375, in[0]); return 0 }},
		un("ReLU", genMixed, cmpExact, 0, func(v *Variant) func(dst, x []float32) { return v.ReLU }),
		un("Exp", genExp, cmpULP, 1, func(v *Variant) func(dst, x []float32) { return v.Exp }),
		un("Sigmoid", genExp, cmpULP, 1, func(v *Variant) func(dst, x []float32) { return v.Sigmoid }),
		un("Tanh", genExp, cmpULP, 1, func(v *Variant) func(dst, x []float32) { return v.Tanh }),
		un("GELU", genGELU, cmpULP, 2, func(v *Variant) func(dst, x []float32) { return v.GELU }),
		{name: "GELUBackward", nin: 2, dst: true, gen: genGELU, cmp: cmpULP, ulps: 2,
			run: func(v *Variant, dst []float32, in [][]float32) float32 { v.GELUBackward(dst, in[0], in[1]); return 0 }},
		{name: "Sum", nin: 1, gen: genUnit, cmp: cmpSum,
			run: func(v *Variant, _ []float32, in [][]float32) float32 { return v.Sum(in[0]) }},
		{name: "Dot", nin: 2, gen: genUnit, cmp: cmpSum,
			run: func(v *Variant, _ []float32, in [][]float32) float32 { return v.Dot(in[0], in[1]) }},
		{name: "Max", nin: 1, gen: genMixed, cmp: cmpValue,
			run: func(v *Variant, _ []float32, in [][]float32) float32 { return v.Max(in[0]) }},
		{name: "Max (no NaN)", nin: 1, gen: genUnit, cmp: cmpValue,
			run: func(v *Variant, _ []float32, in [][]float32) float32 { return v.Max(in[0]) }},
		{name: "ExpSubSum", nin: 1, dst: true, gen: genUnit, cmp: cmpULP, ulps: 1,
			run: func(v *Variant, dst []float32, in [][]float32) float32 { return v.ExpSubSum(dst, in[0], 0.5) }},
		{name: "SumExpSub", nin: 1, gen: genUnit, cmp: cmpSum,
			run: func(v *Variant, _ []float32, in [][]float32) float32 { return v.SumExpSub(in[0], 0.5) }},
	}
}

// guardBits fills the guard regions: a NaN with a payload no kernel makes.
const guardBits = 0x7fa5a5a5

const guard = 32 // elements before and after every slice

// place returns a slice of n elements at element offset off inside a
// buffer with guard regions, and the buffer.
func place(n, off int) (s, buf []float32) {
	buf = make([]float32, guard+off+n+guard)
	for i := range buf {
		buf[i] = math.Float32frombits(guardBits)
	}
	return buf[guard+off : guard+off+n : guard+off+n], buf
}

func checkGuards(t *testing.T, what string, buf []float32, lo, hi int) {
	t.Helper()
	for i, v := range buf {
		if (i < lo || i >= hi) && math.Float32bits(v) != guardBits {
			t.Fatalf("%s: wrote outside its slice at buffer index %d (slice is [%d, %d))", what, i, lo, hi)
		}
	}
}

// ulpDiff returns the distance between a and b in units in the last place
// (0 for two NaNs, a large number for one NaN).
func ulpDiff(a, b float32) int64 {
	if a != a || b != b {
		if a != a && b != b {
			return 0
		}
		return math.MaxInt64
	}
	ord := func(f float32) int64 {
		u := math.Float32bits(f)
		if u&(1<<31) != 0 {
			return -int64(u &^ (1 << 31))
		}
		return int64(u)
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return d
}

func same(mode cmpMode, ulps int64, got, want float32) bool {
	switch mode {
	case cmpExact:
		return math.Float32bits(got) == math.Float32bits(want) || (got != got && want != want)
	case cmpValue:
		return got == want || (got != got && want != want)
	case cmpULP:
		return ulpDiff(got, want) <= ulps
	}
	panic("same: mode")
}

// sumBound is the largest difference between two summation orders of
// terms whose absolute values sum to abs: each is within (n−1)·u·abs of
// the exact sum, u = 2⁻²⁴.
func sumBound(n int, abs float64) float64 {
	return 2 * float64(max(n-1, 1)) * 0x1p-24 * abs
}

// TestVariants runs every kernel of every variant against the Go
// reference for lengths 0…300 at every element alignment 0…15, with NaN
// guard regions around every slice.
func TestVariants(t *testing.T) {
	vs := Variants()
	t.Logf("variants: %v (active %s)", names(vs), Active().Name)
	for _, kc := range kernelCases() {
		for _, v := range vs {
			if v == Go {
				continue
			}
			t.Run(kc.name+"/"+v.Name, func(t *testing.T) {
				r := rand.New(rand.NewPCG(1, uint64(len(kc.name))))
				for n := 0; n <= 300; n++ {
					for off := 0; off < 16; off++ {
						testOne(t, kc, v, r, n, off)
					}
				}
			})
		}
	}
}

func names(vs []*Variant) []string {
	var s []string
	for _, v := range vs {
		s = append(s, v.Name)
	}
	return s
}

func testOne(t *testing.T, kc kernelCase, v *Variant, r *rand.Rand, n, off int) {
	in := make([][]float32, kc.nin)
	bufs := make([][]float32, kc.nin)
	for j := range in {
		in[j], bufs[j] = place(n, (off+5*j)%16)
		for i := range in[j] {
			in[j][i] = kc.gen(r)
		}
	}
	var want, got, wbuf, gbuf []float32
	if kc.dst {
		want, wbuf = place(n, off)
		got, gbuf = place(n, off)
		if kc.init {
			for i := range want {
				want[i] = kc.gen(r)
				got[i] = want[i]
			}
		}
	}
	wr := kc.run(Go, want, in)
	gr := kc.run(v, got, in)
	what := fmt.Sprintf("%s n=%d off=%d", v.Name, n, off)
	if kc.dst {
		checkGuards(t, what+" dst", gbuf, guard+off, guard+off+n)
		for i := range want {
			if !same(kc.cmp, kc.ulps, got[i], want[i]) {
				t.Fatalf("%s: element %d of %v: got %v (%#x), want %v (%#x)", what, i, in[0][i],
					got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
		_ = wbuf
	}
	for j := range in {
		checkGuards(t, what+" input", bufs[j], guard+(off+5*j)%16, guard+(off+5*j)%16+n)
	}
	switch kc.cmp {
	case cmpSum:
		abs := 0.0
		for i := range n {
			a := float64(in[0][i])
			if kc.nin == 2 {
				a *= float64(in[1][i])
			}
			if kc.name == "SumExpSub" {
				a = math.Exp(a - 0.5)
			}
			abs += math.Abs(a)
		}
		if d := math.Abs(float64(gr) - float64(wr)); !(d <= sumBound(n, abs)+1e-30) { // NaN fails
			t.Fatalf("%s: got %v, want %v (difference %g > bound %g)", what, gr, wr, d, sumBound(n, abs))
		}
	case cmpValue:
		if !same(cmpValue, 0, gr, wr) {
			t.Fatalf("%s: got %v, want %v", what, gr, wr)
		}
	default:
		if !kc.dst || kc.name == "ExpSubSum" {
			// ExpSubSum's sum: the terms are within 1 ulp each, then
			// reassociated.
			abs := 0.0
			for _, x := range want {
				abs += float64(x)
			}
			if d := math.Abs(float64(gr) - float64(wr)); !(d <= sumBound(n, abs)+abs*0x1p-23) {
				t.Fatalf("%s: sum %v, want %v", what, gr, wr)
			}
		}
	}
}

// TestAliasing runs kernels in place (dst is an input).
func TestAliasing(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, v := range Variants() {
		for _, n := range []int{1, 17, 100, 257} {
			x := make([]float32, n)
			y := make([]float32, n)
			for i := range x {
				x[i], y[i] = genUnit(r), genUnit(r)
			}
			want := make([]float32, n)
			refAdd(want, x, y)
			got := append([]float32(nil), x...)
			v.Add(got, got, y)
			wantE := make([]float32, n)
			refExp(wantE, want)
			v.Exp(got, got)
			for i := range got {
				if ulpDiff(got[i], wantE[i]) > 1 {
					t.Fatalf("%s n=%d: in-place Add then Exp: element %d = %v, want %v", v.Name, n, i, got[i], wantE[i])
				}
			}
		}
	}
}

func TestSoftmaxRows(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, v := range Variants() {
		for _, n := range []int{1, 2, 10, 33, 128, 300} {
			rows := 3
			x := make([]float32, rows*n)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 20)
			}
			sm := make([]float32, len(x))
			ls := make([]float32, len(x))
			v.Softmax(sm, x, n)
			v.LogSoftmax(ls, x, n)
			for row := 0; row < rows; row++ {
				xr := x[row*n : (row+1)*n]
				m := math.Inf(-1)
				for _, e := range xr {
					m = max(m, float64(e))
				}
				s := 0.0
				for _, e := range xr {
					s += math.Exp(float64(e) - m)
				}
				for j, e := range xr {
					want := math.Exp(float64(e)-m) / s
					got := float64(sm[row*n+j])
					// x − m is rounded to float32 before exp: a relative
					// error of up to |x − m|·2⁻²⁴ on top of the kernels'.
					tol := want * (4e-7 + math.Abs(float64(e)-m)*0x1p-24)
					if !(math.Abs(got-want) <= tol+3e-45) {
						t.Fatalf("%s n=%d: softmax[%d,%d] = %v, want %v", v.Name, n, row, j, got, want)
					}
					wl := float64(e) - m - math.Log(s)
					gl := float64(ls[row*n+j])
					if !(math.Abs(gl-wl) <= 4e-7*math.Max(1, math.Abs(wl))) {
						t.Fatalf("%s n=%d: logsoftmax[%d,%d] = %v, want %v", v.Name, n, row, j, gl, wl)
					}
				}
			}
			// In place.
			v.Softmax(x, x, n)
			for i := range x {
				if x[i] != sm[i] {
					t.Fatalf("%s n=%d: in-place softmax differs at %d", v.Name, n, i)
				}
			}
		}
		// A row of −∞ is NaN; a row with +∞ is NaN.
		x := []float32{float32(math.Inf(-1)), float32(math.Inf(-1)), 1, float32(math.Inf(1))}
		d := make([]float32, 4)
		v.Softmax(d, x, 2)
		for _, e := range d {
			if e == e {
				t.Errorf("%s: softmax of −∞ and +∞ rows = %v, want NaN", v.Name, d)
			}
		}
	}
}

func TestRows(t *testing.T) {
	for _, v := range Variants() {
		x := []float32{1, 2, 3, 4, 5, 6}
		row := []float32{10, 20, 30}
		d := make([]float32, 6)
		Rows(v.Add, d, x, row, false)
		if fmt.Sprint(d) != "[11 22 33 14 25 36]" {
			t.Errorf("%s: Rows(Add) = %v", v.Name, d)
		}
		Rows(v.Sub, d, x, row, true)
		if fmt.Sprint(d) != "[9 18 27 6 15 24]" {
			t.Errorf("%s: Rows(Sub, row first) = %v", v.Name, d)
		}
	}
}

// TestAllocs checks that no kernel of any variant allocates.
func TestAllocs(t *testing.T) {
	x := make([]float32, 1000)
	y := make([]float32, 1000)
	d := make([]float32, 1000)
	for _, v := range Variants() {
		for _, kc := range kernelCases() {
			in := [][]float32{x, y}
			if n := testing.AllocsPerRun(10, func() { kc.run(v, d, in) }); n != 0 {
				t.Errorf("%s %s: %v allocations per call", v.Name, kc.name, n)
			}
		}
		if n := testing.AllocsPerRun(10, func() { v.Softmax(d, x, 100); v.LogSoftmax(d, x, 100) }); n != 0 {
			t.Errorf("%s Softmax: %v allocations per call", v.Name, n)
		}
		if n := testing.AllocsPerRun(10, func() { Rows(v.Add, d, x, y[:10], false) }); n != 0 {
			t.Errorf("%s Rows: %v allocations per call", v.Name, n)
		}
	}
}

func TestShortInputPanics(t *testing.T) {
	for _, v := range Variants() {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Add with a short input did not panic", v.Name)
				}
			}()
			v.Add(make([]float32, 10), make([]float32, 9), make([]float32, 10))
		}()
	}
}

// streamMin is the length from which the assembly stores around the
// caches (ntMin in _asm/main.go); TestStreaming covers that path.
const streamMin = 4 << 20

// TestStreaming runs the kernels that write a destination on slices long
// enough for the non-temporal stores, with a misaligned head.
func TestStreaming(t *testing.T) {
	if testing.Short() {
		t.Skip("large slices")
	}
	for _, kc := range kernelCases() {
		if !kc.dst {
			continue
		}
		for _, v := range Variants() {
			if v == Go {
				continue
			}
			r := rand.New(rand.NewPCG(4, 4))
			for _, off := range []int{0, 7} {
				testOne(t, kc, v, r, streamMin+37, off)
			}
		}
	}
}
