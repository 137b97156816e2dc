package ag_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/gradcheck"
	"backprop/tensor"
)

// gateCase is one row of the gradient-check table: a function of the
// inputs built from one gate (named by the exported function), the input
// shapes, and how to draw inputs.
type gateCase struct {
	gate   string
	shapes [][]int
	f      func(in []*ag.Var) *ag.Var
	// gen draws input i; nil means standard normal samples.
	gen func(rng *rand.Rand, i int, shape []int) *tensor.Tensor
	tol float64 // largest relative error accepted; 0 means 1e-6
}

func positive(rng *rand.Rand, _ int, shape []int) *tensor.Tensor {
	return tensor.Uniform(rng, tensor.Float64, 0.5, 2, shape...)
}

// awayFromZero draws values with |x| ≥ 0.1, so that no finite difference
// straddles the kink of abs, relu or sign.
func awayFromZero(rng *rand.Rand, _ int, shape []int) *tensor.Tensor {
	t := tensor.Uniform(rng, tensor.Float64, 0.1, 2, shape...)
	for j := 0; j < t.Len(); j++ {
		if rng.IntN(2) == 0 {
			t.SetFlat(j, -t.Flat(j))
		}
	}
	return t
}

func s(dims ...int) []int { return dims }

func unaryCases(name string, f func(*ag.Var) *ag.Var, gen func(*rand.Rand, int, []int) *tensor.Tensor) []gateCase {
	var cs []gateCase
	for _, sh := range [][]int{s(), s(1), s(7), s(3, 5), s(2, 1, 3)} {
		cs = append(cs, gateCase{gate: name, shapes: [][]int{sh}, gen: gen,
			f: func(in []*ag.Var) *ag.Var { return f(in[0]) }})
	}
	return cs
}

// broadcastPairs are the operand shapes every binary gate is checked on.
var broadcastPairs = [][2][]int{
	{s(), s()}, {s(4), s(4)}, {s(3, 5), s(3, 5)},
	{s(), s(2, 3)}, {s(2, 3), s()}, {s(2, 3), s(3)}, {s(3, 1), s(1, 4)},
	{s(1), s(5)}, {s(2, 1, 3), s(4, 1)}, {s(1, 1), s(3, 7)},
}

func binaryCases(name string, f func(a, b *ag.Var) *ag.Var, gen func(*rand.Rand, int, []int) *tensor.Tensor) []gateCase {
	var cs []gateCase
	for _, p := range broadcastPairs {
		cs = append(cs, gateCase{gate: name, shapes: [][]int{p[0], p[1]}, gen: gen,
			f: func(in []*ag.Var) *ag.Var { return f(in[0], in[1]) }})
	}
	// Fan-out: the same Var as both operands, as in Mul(x, x).
	cs = append(cs, gateCase{gate: name, shapes: [][]int{s(2, 3)}, gen: gen,
		f: func(in []*ag.Var) *ag.Var { return f(in[0], in[0]) }})
	return cs
}

func reductionCases(name string, f func(*ag.Var, bool, ...int) *ag.Var) []gateCase {
	var cs []gateCase
	for _, c := range []struct {
		shape []int
		axes  []int
	}{
		{s(), nil}, {s(5), nil}, {s(5), s(0)}, {s(3, 4), nil}, {s(3, 4), s(0)}, {s(3, 4), s(1)},
		{s(3, 4), s(-1)}, {s(2, 3, 4), s(0, 2)}, {s(2, 1, 3), s(1)}, {s(1, 1), s(0, 1)},
	} {
		for _, keep := range []bool{false, true} {
			cs = append(cs, gateCase{gate: name, shapes: [][]int{c.shape},
				f: func(in []*ag.Var) *ag.Var { return f(in[0], keep, c.axes...) }})
		}
	}
	return cs
}

func gateCases() []gateCase {
	var cs []gateCase
	add := func(c ...gateCase) { cs = append(cs, c...) }

	add(unaryCases("Neg", ag.Neg, nil)...)
	add(unaryCases("Exp", ag.Exp, nil)...)
	add(unaryCases("Log", ag.Log, positive)...)
	add(unaryCases("Sqrt", ag.Sqrt, positive)...)
	add(unaryCases("Abs", ag.Abs, awayFromZero)...)
	add(unaryCases("Sin", ag.Sin, nil)...)
	add(unaryCases("Cos", ag.Cos, nil)...)
	add(unaryCases("Tanh", ag.Tanh, nil)...)
	add(unaryCases("Sigmoid", ag.Sigmoid, nil)...)
	add(unaryCases("ReLU", ag.ReLU, awayFromZero)...)
	add(unaryCases("LeakyReLU", func(x *ag.Var) *ag.Var { return ag.LeakyReLU(x, 0.01) }, awayFromZero)...)
	add(unaryCases("Transpose", ag.Transpose, nil)...)

	add(binaryCases("Add", ag.Add, nil)...)
	add(binaryCases("Sub", ag.Sub, nil)...)
	add(binaryCases("Mul", ag.Mul, nil)...)
	add(binaryCases("Div", ag.Div, positive)...)
	add(binaryCases("Pow", ag.Pow, positive)...)
	add(binaryCases("Maximum", ag.Maximum, nil)...)
	add(binaryCases("Minimum", ag.Minimum, nil)...)
	for name, f := range map[string]func(a, b *ag.Var) *ag.Var{
		"Greater": ag.Greater, "GreaterEqual": ag.GreaterEqual, "Less": ag.Less,
		"LessEqual": ag.LessEqual, "Equal": ag.Equal, "NotEqual": ag.NotEqual,
	} {
		add(binaryCases(name, f, nil)...)
	}
	// A negative base with a constant integer exponent: only ∂/∂a exists.
	add(gateCase{gate: "Pow", shapes: [][]int{s(3, 2)}, f: func(in []*ag.Var) *ag.Var {
		return ag.Pow(in[0], ag.Scalar(in[0].DType(), 3))
	}})

	add(reductionCases("Sum", ag.Sum)...)
	add(reductionCases("Mean", ag.Mean)...)
	add(reductionCases("Max", ag.Max)...)
	add(reductionCases("Min", ag.Min)...)

	for _, c := range []struct {
		shape []int
		axis  int
	}{{s(5), 0}, {s(3, 4), 1}, {s(3, 4), 0}, {s(2, 3, 4), -1}, {s(2, 3, 4), 1}, {s(4, 1), 1}} {
		add(gateCase{gate: "Softmax", shapes: [][]int{c.shape},
			f: func(in []*ag.Var) *ag.Var { return ag.Softmax(in[0], c.axis) }})
		add(gateCase{gate: "LogSoftmax", shapes: [][]int{c.shape},
			f: func(in []*ag.Var) *ag.Var { return ag.LogSoftmax(in[0], c.axis) }})
	}

	for _, c := range []struct{ a, b []int }{
		{s(2, 3), s(3, 4)}, {s(1, 1), s(1, 1)}, {s(1, 5), s(5, 1)}, {s(5, 1), s(1, 3)},
		{s(7, 3), s(3, 5)}, {s(2, 3, 4), s(2, 4, 5)}, {s(3, 4), s(2, 4, 5)}, {s(2, 1, 2, 3), s(3, 3, 2)},
	} {
		add(gateCase{gate: "MatMul", shapes: [][]int{c.a, c.b},
			f: func(in []*ag.Var) *ag.Var { return ag.MatMul(in[0], in[1]) }})
	}
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			a, b := s(3, 4), s(4, 5)
			if ta {
				a = s(4, 3)
			}
			if tb {
				b = s(5, 4)
			}
			add(gateCase{gate: "MatMulT", shapes: [][]int{a, b},
				f: func(in []*ag.Var) *ag.Var { return ag.MatMulT(in[0], in[1], ta, tb) }})
			add(gateCase{gate: "MatMulT", shapes: [][]int{append(s(2), a...), b},
				f: func(in []*ag.Var) *ag.Var { return ag.MatMulT(in[0], in[1], ta, tb) }})
		}
	}
	add(gateCase{gate: "MatMul", shapes: [][]int{s(3, 3)}, // fan-out: x·x
		f: func(in []*ag.Var) *ag.Var { return ag.MatMul(in[0], in[0]) }})

	add(gateCase{gate: "Reshape", shapes: [][]int{s(2, 3)},
		f: func(in []*ag.Var) *ag.Var { return ag.Reshape(in[0], 3, -1) }})
	add(gateCase{gate: "Reshape", shapes: [][]int{s(1)},
		f: func(in []*ag.Var) *ag.Var { return ag.Reshape(in[0]) }})
	add(gateCase{gate: "Permute", shapes: [][]int{s(2, 3, 4)},
		f: func(in []*ag.Var) *ag.Var { return ag.Permute(in[0], 2, 0, 1) }})
	add(gateCase{gate: "Permute", shapes: [][]int{s(3, 1)},
		f: func(in []*ag.Var) *ag.Var { return ag.Permute(in[0], 1, 0) }})
	add(gateCase{gate: "Slice", shapes: [][]int{s(5, 3)},
		f: func(in []*ag.Var) *ag.Var { return ag.Slice(in[0], 0, 1, 4) }})
	add(gateCase{gate: "Slice", shapes: [][]int{s(2, 5, 3)},
		f: func(in []*ag.Var) *ag.Var { return ag.Slice(in[0], -2, 2, 3) }})
	add(gateCase{gate: "IndexSelect", shapes: [][]int{s(4, 3)},
		f: func(in []*ag.Var) *ag.Var { return ag.IndexSelect(in[0], 0, []int{3, 0, 3, 1}) }})
	add(gateCase{gate: "IndexSelect", shapes: [][]int{s(2, 4)},
		f: func(in []*ag.Var) *ag.Var { return ag.IndexSelect(in[0], 1, []int{2, 2}) }})
	add(gateCase{gate: "Pick", shapes: [][]int{s(3, 4)},
		f: func(in []*ag.Var) *ag.Var { return ag.Pick(in[0], []int{0, 3, 3}) }})
	add(gateCase{gate: "Concat", shapes: [][]int{s(2, 3), s(1, 3), s(4, 3)},
		f: func(in []*ag.Var) *ag.Var { return ag.Concat(0, in...) }})
	add(gateCase{gate: "Concat", shapes: [][]int{s(2, 1), s(2, 5)},
		f: func(in []*ag.Var) *ag.Var { return ag.Concat(-1, in...) }})
	add(gateCase{gate: "Concat", shapes: [][]int{s(2, 3)}, // fan-out
		f: func(in []*ag.Var) *ag.Var { return ag.Concat(1, in[0], in[0]) }})
	add(gateCase{gate: "Stack", shapes: [][]int{s(2, 3), s(2, 3), s(2, 3)},
		f: func(in []*ag.Var) *ag.Var { return ag.Stack(1, in...) }})
	add(gateCase{gate: "Stack", shapes: [][]int{s(), s()},
		f: func(in []*ag.Var) *ag.Var { return ag.Stack(0, in...) }})
	cond := tensor.FromSlice([]float64{1, 0, 0, 1, 1, 0}, 2, 3)
	add(gateCase{gate: "Where", shapes: [][]int{s(2, 3), s(2, 3)},
		f: func(in []*ag.Var) *ag.Var { return ag.Where(ag.Const(cond), in[0], in[1]) }})
	add(gateCase{gate: "Where", shapes: [][]int{s(3), s()},
		f: func(in []*ag.Var) *ag.Var { return ag.Where(ag.Const(cond), in[0], in[1]) }})
	add(gateCase{gate: "Where", shapes: [][]int{s(2, 3)}, // relu as where(x > 0, x, 0)
		gen: awayFromZero,
		f: func(in []*ag.Var) *ag.Var {
			zero := ag.Scalar(in[0].DType(), 0)
			return ag.Where(ag.Greater(in[0], zero), in[0], zero)
		}})
	add(gateCase{gate: "Linear", shapes: [][]int{s(4, 3), s(5, 3), s(5)},
		f: func(in []*ag.Var) *ag.Var { return ag.Linear(in[0], in[1], in[2]) }})
	add(gateCase{gate: "Linear", shapes: [][]int{s(1, 1), s(1, 1), s(1)},
		f: func(in []*ag.Var) *ag.Var { return ag.Linear(in[0], in[1], in[2]) }})
	add(gateCase{gate: "Linear", shapes: [][]int{s(3, 3), s(3, 3)}, // fan-out: x·xᵀ + x[0]
		f: func(in []*ag.Var) *ag.Var { return ag.Linear(in[0], in[0], ag.Reshape(ag.Slice(in[0], 0, 0, 1), 3)) }})
	// |x| ≥ 0.5 and |b| ≤ 0.2: no finite difference straddles the kink.
	biasGen := func(rng *rand.Rand, i int, shape []int) *tensor.Tensor {
		if i == 1 {
			return tensor.Uniform(rng, tensor.Float64, -0.2, 0.2, shape...)
		}
		t := tensor.Uniform(rng, tensor.Float64, 0.5, 2, shape...)
		for j := 0; j < t.Len(); j++ {
			if rng.IntN(2) == 0 {
				t.SetFlat(j, -t.Flat(j))
			}
		}
		return t
	}
	for _, sh := range [][2][]int{{s(4, 3), s(3)}, {s(2, 3, 5), s(5)}, {s(1, 1), s(1)}, {s(3, 4), s(1, 4)}} {
		add(gateCase{gate: "BiasReLU", shapes: [][]int{sh[0], sh[1]}, gen: biasGen,
			f: func(in []*ag.Var) *ag.Var { return ag.BiasReLU(in[0], in[1]) }})
	}
	add(gateCase{gate: "SoftmaxCrossEntropy", shapes: [][]int{s(4, 3)},
		f: func(in []*ag.Var) *ag.Var { return ag.SoftmaxCrossEntropy(in[0], []int{0, 2, 1, 2}) }})
	add(gateCase{gate: "SoftmaxCrossEntropy", shapes: [][]int{s(1, 1)},
		f: func(in []*ag.Var) *ag.Var { return ag.SoftmaxCrossEntropy(in[0], []int{0}) }})
	return cs
}

// TestGates checks every gate against numerical gradients: with a random
// upstream gradient, in the fan-out cases, with a zero upstream gradient
// (which must give exactly zero), and in float32 against float64.
func TestGates(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	worst := map[string]float64{}
	for i, c := range gateCases() {
		t.Run(fmt.Sprintf("%s/%d%v", c.gate, i, c.shapes), func(t *testing.T) {
			inputs := make([]*tensor.Tensor, len(c.shapes))
			for j, sh := range c.shapes {
				if c.gen != nil {
					inputs[j] = c.gen(rng, j, sh)
				} else {
					inputs[j] = tensor.Randn(rng, tensor.Float64, sh...)
				}
			}
			before := make([]*tensor.Tensor, len(inputs))
			for j, in := range inputs {
				before[j] = in.Clone()
			}
			tol := c.tol
			if tol == 0 {
				tol = 1e-6
			}
			r, err := gradcheck.Check(c.f, inputs, &gradcheck.Options{Rand: rng})
			if err != nil {
				t.Fatal(err)
			}
			for j, in := range r.Inputs {
				if in.MaxRelErr > tol {
					t.Errorf("input %d: relative error %.3g > %g\nanalytic %v\nnumeric  %v", j, in.MaxRelErr, tol, in.Analytic, in.Numeric)
				}
			}
			worst[c.gate] = max(worst[c.gate], r.MaxRelErr)
			for j := range inputs {
				if !tensor.Equal(inputs[j], before[j]) {
					t.Errorf("input %d was modified", j)
				}
			}

			// Zero upstream gradient: every gradient must be exactly 0.
			y := c.f(constants(inputs))
			r0, err := gradcheck.Check(c.f, inputs, &gradcheck.Options{Upstream: tensor.ZerosLike(y.Value)})
			if err != nil {
				t.Fatal(err)
			}
			for j, in := range r0.Inputs {
				for k, v := range in.Analytic.Values() {
					if v != 0 {
						t.Fatalf("zero upstream: input %d element %d has gradient %v", j, k, v)
					}
				}
			}

			checkFloat32(t, c, inputs)
		})
	}
	if testing.Verbose() {
		names := make([]string, 0, len(worst))
		for k := range worst {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			t.Logf("worst relative error %-20s %.2e", k, worst[k])
		}
	}
}

func constants(ts []*tensor.Tensor) []*ag.Var {
	vs := make([]*ag.Var, len(ts))
	for i, t := range ts {
		vs[i] = ag.Const(t)
	}
	return vs
}

// checkFloat32 runs the case in float32 and compares value and gradients
// with float64.
func checkFloat32(t *testing.T, c gateCase, inputs []*tensor.Tensor) {
	t.Helper()
	p64 := make([]*ag.Var, len(inputs))
	p32 := make([]*ag.Var, len(inputs))
	for j, in := range inputs {
		p64[j] = ag.Param(in.Clone())
		p32[j] = ag.Param(in.As(tensor.Float32))
	}
	y64, y32 := c.f(p64), c.f(p32)
	if y32.DType() != tensor.Float32 {
		t.Fatalf("float32 inputs gave a %v output", y32.DType())
	}
	if !tensor.AllClose(y32.Value.As(tensor.Float64), y64.Value, 1e-4, 1e-5) {
		t.Fatalf("float32 value %v, float64 %v", y32.Value, y64.Value)
	}
	ag.Backward(y64)
	ag.Backward(y32)
	for j := range inputs {
		g64, g32 := p64[j].Grad, p32[j].Grad
		if (g64 == nil) != (g32 == nil) {
			t.Fatalf("input %d: float32 gradient %v, float64 %v", j, g32, g64)
		}
		if g32 != nil && (g32.DType() != tensor.Float32 || !tensor.AllClose(g32.As(tensor.Float64), g64, 1e-3, 1e-4)) {
			t.Fatalf("input %d: float32 gradient %v, float64 %v", j, g32, g64)
		}
	}
}

// TestEveryGateHasARow fails when an exported function of package ag that
// builds a gate has no row in the gradient-check table.
func TestEveryGateHasARow(t *testing.T) {
	notGates := map[string]bool{"Param": true, "Const": true, "Scalar": true, "Detach": true, "Apply": true}
	rows := map[string]bool{}
	for _, c := range gateCases() {
		rows[c.gate] = true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !fn.Name.IsExported() || notGates[fn.Name.Name] {
				continue
			}
			res := fn.Type.Results
			if res == nil || len(res.List) != 1 {
				continue
			}
			if star, ok := res.List[0].Type.(*ast.StarExpr); !ok || fmt.Sprint(star.X) != "Var" {
				continue
			}
			found++
			if !rows[fn.Name.Name] {
				t.Errorf("%s: gate %s has no row in gateCases", fset.Position(fn.Pos()), fn.Name.Name)
			}
		}
	}
	if found < 30 {
		t.Fatalf("found only %d gate functions; the scan is broken", found)
	}
}

// wrongMulGate forgets to multiply by the upstream gradient: the classic
// backprop bug. The checker must reject it.
type wrongMulGate struct{ a, b *tensor.Tensor }

func (g *wrongMulGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.a, g.b = in[0], in[1]
	return tensor.Mul(in[0], in[1])
}

func (g *wrongMulGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return []*tensor.Tensor{g.b.Clone(), g.a.Clone()}
}

// swappedSubGate gives b the gradient of a.
type swappedSubGate struct{}

func (swappedSubGate) Forward(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Sub(in[0], in[1]) }
func (swappedSubGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return []*tensor.Tensor{dout, dout}
}

func TestCheckerRejectsWrongGates(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	in := []*tensor.Tensor{tensor.Randn(rng, tensor.Float64, 3, 2), tensor.Randn(rng, tensor.Float64, 3, 2)}
	for name, g := range map[string]func() ag.Gate{
		"ignores upstream": func() ag.Gate { return &wrongMulGate{} },
		"wrong sign":       func() ag.Gate { return swappedSubGate{} },
	} {
		for _, dirs := range []int{0, 3} {
			r, err := gradcheck.Check(func(v []*ag.Var) *ag.Var { return ag.Apply(g(), v[0], v[1]) },
				in, &gradcheck.Options{Directions: dirs})
			if err != nil {
				t.Fatal(err)
			}
			if r.MaxRelErr <= gradcheck.Wrong || r.Verdict() != "wrong" {
				t.Errorf("%s (directions %d): relative error %.3g, verdict %q; want > %g, \"wrong\"",
					name, dirs, r.MaxRelErr, r.Verdict(), gradcheck.Wrong)
			}
		}
	}
}
