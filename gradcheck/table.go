package gradcheck

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
	"backprop/tensor"
)

// A Case is one row of a gate table: a function of the inputs built from
// one gate (named by the exported function that applies it), the input
// shapes, and how to draw the inputs. Packages that define gates — ag, nn,
// a user's — list their cases and give them to RunCases.
type Case struct {
	// Gate is the name of the exported function the case checks, such as
	// "Mul"; CheckCoverage matches it against the package's functions.
	Gate   string
	Shapes [][]int
	F      Func
	// Gen draws input i; nil means standard normal samples.
	Gen func(rng *rand.Rand, i int, shape []int) *tensor.Tensor
	// Tol is the largest relative error accepted; 0 means 1e-6.
	Tol float64
}

// Positive draws inputs in [0.5, 2): for log, sqrt, division.
func Positive(rng *rand.Rand, _ int, shape []int) *tensor.Tensor {
	return tensor.Uniform(rng, tensor.Float64, 0.5, 2, shape...)
}

// AwayFromZero draws inputs with 0.1 ≤ |x| < 2, so that no finite
// difference straddles the kink of abs, relu or sign.
func AwayFromZero(rng *rand.Rand, _ int, shape []int) *tensor.Tensor {
	t := tensor.Uniform(rng, tensor.Float64, 0.1, 2, shape...)
	for j := 0; j < t.Len(); j++ {
		if rng.IntN(2) == 0 {
			t.SetFlat(j, -t.Flat(j))
		}
	}
	return t
}

// UnaryShapes are the shapes Unary checks a gate on: a scalar, vectors
// of one and several elements, a matrix and a 3-d tensor with a size-1
// axis.
var UnaryShapes = [][]int{{}, {1}, {7}, {3, 5}, {2, 1, 3}}

// Unary returns the cases of an element-wise gate of one input.
func Unary(name string, f func(*ag.Var) *ag.Var, gen func(*rand.Rand, int, []int) *tensor.Tensor) []Case {
	var cs []Case
	for _, sh := range UnaryShapes {
		cs = append(cs, Case{Gate: name, Shapes: [][]int{sh}, Gen: gen,
			F: func(in []*ag.Var) *ag.Var { return f(in[0]) }})
	}
	return cs
}

// BroadcastPairs are the operand shapes Binary checks a gate on: equal
// shapes, scalars against tensors, rows, columns against rows, size-1
// axes and different ranks.
var BroadcastPairs = [][2][]int{
	{{}, {}}, {{4}, {4}}, {{3, 5}, {3, 5}},
	{{}, {2, 3}}, {{2, 3}, {}}, {{2, 3}, {3}}, {{3, 1}, {1, 4}},
	{{1}, {5}}, {{2, 1, 3}, {4, 1}}, {{1, 1}, {3, 7}},
}

// Binary returns the cases of an element-wise gate of two inputs: every
// pair of BroadcastPairs, and the fan-out f(x, x), where one Var feeds
// both inputs and must receive the sum of both gradients.
func Binary(name string, f func(a, b *ag.Var) *ag.Var, gen func(*rand.Rand, int, []int) *tensor.Tensor) []Case {
	var cs []Case
	for _, p := range BroadcastPairs {
		cs = append(cs, Case{Gate: name, Shapes: [][]int{p[0], p[1]}, Gen: gen,
			F: func(in []*ag.Var) *ag.Var { return f(in[0], in[1]) }})
	}
	cs = append(cs, Case{Gate: name, Shapes: [][]int{{2, 3}}, Gen: gen,
		F: func(in []*ag.Var) *ag.Var { return f(in[0], in[0]) }})
	return cs
}

// RunCases checks every case as a subtest of t and returns the worst
// relative error found per gate. For each case it checks, on random
// inputs, that:
//   - the gradient of every input agrees with centered differences (Check)
//     for a random upstream gradient, within the case's tolerance;
//   - the inputs are unchanged afterwards;
//   - the same check in an ag.Graph that recycles its memory, poisoned
//     with NaN at every Reset, gives bit for bit the same gradients;
//   - a zero upstream gradient gives exactly zero gradients;
//   - float32 inputs give float32 results that agree with float64.
func RunCases(t *testing.T, cases []Case) map[string]float64 {
	rng := rand.New(rand.NewPCG(7, 7))
	worst := map[string]float64{}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%s/%d%v", c.Gate, i, c.Shapes), func(t *testing.T) {
			inputs := make([]*tensor.Tensor, len(c.Shapes))
			for j, sh := range c.Shapes {
				if c.Gen != nil {
					inputs[j] = c.Gen(rng, j, sh)
				} else {
					inputs[j] = tensor.Randn(rng, tensor.Float64, sh...)
				}
			}
			before := make([]*tensor.Tensor, len(inputs))
			for j, in := range inputs {
				before[j] = in.Clone()
			}
			tol := c.Tol
			if tol == 0 {
				tol = 1e-6
			}
			y := c.F(constants(inputs))
			u := tensor.Randn(rng, tensor.Float64, y.Shape()...)
			r, err := Check(c.F, inputs, &Options{Rand: rng, Upstream: u})
			if err != nil {
				t.Fatal(err)
			}
			for j, in := range r.Inputs {
				if in.MaxRelErr > tol {
					t.Errorf("input %d: relative error %.3g > %g\nanalytic %v\nnumeric  %v", j, in.MaxRelErr, tol, in.Analytic, in.Numeric)
				}
			}
			worst[c.Gate] = max(worst[c.Gate], r.MaxRelErr)
			for j := range inputs {
				if !tensor.Equal(inputs[j], before[j]) {
					t.Errorf("input %d was modified", j)
				}
			}

			// The same in a graph that recycles, and poisons, its memory.
			rg, err := Check(c.F, inputs, &Options{Rand: rng, Upstream: u, Graph: ag.NewGraph(ag.PoisonRecycled)})
			if err != nil {
				t.Fatal(err)
			}
			for j := range r.Inputs {
				if a, b := r.Inputs[j].Analytic, rg.Inputs[j].Analytic; !tensor.Equal(a, b) {
					t.Errorf("input %d: gradient in a recycling graph %v, without %v", j, b, a)
				}
				if a, b := r.Inputs[j].Numeric, rg.Inputs[j].Numeric; !tensor.Equal(a, b) {
					t.Errorf("input %d: numeric gradient in a recycling graph %v, without %v", j, b, a)
				}
			}

			// Zero upstream gradient: every gradient must be exactly 0.
			for _, g := range []*ag.Graph{nil, ag.NewGraph(ag.PoisonRecycled)} {
				r0, err := Check(c.F, inputs, &Options{Upstream: tensor.ZerosLike(u), Graph: g})
				if err != nil {
					t.Fatal(err)
				}
				for j, in := range r0.Inputs {
					for k, v := range in.Analytic.Values() {
						if v != 0 {
							t.Fatalf("zero upstream (graph %v): input %d element %d has gradient %v", g != nil, j, k, v)
						}
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
	return worst
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
func checkFloat32(t *testing.T, c Case, inputs []*tensor.Tensor) {
	t.Helper()
	p64 := make([]*ag.Var, len(inputs))
	p32 := make([]*ag.Var, len(inputs))
	for j, in := range inputs {
		p64[j] = ag.Param(in.Clone())
		p32[j] = ag.Param(in.As(tensor.Float32))
	}
	y64, y32 := c.F(p64), c.F(p32)
	if y32.DType() != tensor.Float32 {
		t.Fatalf("float32 inputs gave a %v output", y32.DType())
	}
	if !tensor.AllClose(y32.Value.As(tensor.Float64), y64.Value, 1e-4, 1e-5) {
		t.Fatalf("float32 value %v, float64 %v", y32.Value, y64.Value)
	}
	if !y64.RequiresGrad() {
		return
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

// CheckCoverage fails t for every exported function of the Go package in
// dir that returns a *Var of package ag (a gate's function) and has no
// case among cases, except the names in notGates. It fails as well if it
// finds fewer than min such functions, so that a broken scan cannot pass.
func CheckCoverage(t *testing.T, dir string, cases []Case, min int, notGates ...string) {
	t.Helper()
	rows := map[string]bool{}
	for _, c := range cases {
		rows[c.Gate] = true
	}
	skip := map[string]bool{}
	for _, n := range notGates {
		skip[n] = true
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
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
		inAG := f.Name.Name == "ag"
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !fn.Name.IsExported() || skip[fn.Name.Name] {
				continue
			}
			res := fn.Type.Results
			if res == nil || len(res.List) != 1 || !isVar(res.List[0].Type, inAG) {
				continue
			}
			found++
			if !rows[fn.Name.Name] {
				t.Errorf("%s: gate %s has no row in the gate table", fset.Position(fn.Pos()), fn.Name.Name)
			}
		}
	}
	if found < min {
		t.Fatalf("found only %d gate functions in %s, want at least %d; the scan is broken", found, dir, min)
	}
}

// isVar reports whether e is *Var (inside package ag) or *ag.Var.
func isVar(e ast.Expr, inAG bool) bool {
	star, ok := e.(*ast.StarExpr)
	if !ok {
		return false
	}
	switch x := star.X.(type) {
	case *ast.Ident:
		return inAG && x.Name == "Var"
	case *ast.SelectorExpr:
		pkg, ok := x.X.(*ast.Ident)
		return ok && pkg.Name == "ag" && x.Sel.Name == "Var"
	}
	return false
}
