package nn

import (
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/gradcheck"
	"backprop/tensor"
)

// gateCase is one row of the gradient-check table of the gates this
// package defines.
type gateCase struct {
	gate   string // the type name of the gate, e.g. eluGate
	name   string
	inputs []*tensor.Tensor
	f      gradcheck.Func
}

func awayFromZero(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.Uniform(rng, tensor.Float64, 0.1, 2, shape...)
	for j := 0; j < t.Len(); j++ {
		if rng.IntN(2) == 0 {
			t.SetFlat(j, -t.Flat(j))
		}
	}
	return t
}

func gateCases() []gateCase {
	rng := rand.New(rand.NewPCG(7, 8))
	labels := []int{0, 2, 1, 2}
	// Scores whose margins stay away from the hinge's kink at 0.
	scores := tensor.FromSlice([]float64{
		3.2, 5.1, -1.7,
		1.3, 4.9, 2.0,
		2.2, 2.5, -3.1,
		0.1, 0.4, 2.9}, 4, 3)
	targets := tensor.Rand(rng, tensor.Float64, 3, 4)
	return []gateCase{
		{"eluGate", "ELU", []*tensor.Tensor{awayFromZero(rng, 3, 5)},
			func(in []*ag.Var) *ag.Var { return ELU(in[0], 1) }},
		{"eluGate", "ELU α=0.5 fan-out", []*tensor.Tensor{awayFromZero(rng, 2, 3)},
			func(in []*ag.Var) *ag.Var { return ag.Mul(ELU(in[0], 0.5), in[0]) }},
		{"maxoutGate", "Maxout k=2", []*tensor.Tensor{tensor.Randn(rng, tensor.Float64, 3, 8)},
			func(in []*ag.Var) *ag.Var { return Maxout(in[0], 2) }},
		{"maxoutGate", "Maxout k=3 fan-out", []*tensor.Tensor{tensor.Randn(rng, tensor.Float64, 2, 6)},
			func(in []*ag.Var) *ag.Var { return ag.Add(Maxout(in[0], 3), Maxout(in[0], 3)) }},
		{"hingeGate", "Hinge", []*tensor.Tensor{scores},
			func(in []*ag.Var) *ag.Var { return Hinge(in[0], labels) }},
		{"hingeGate", "Hinge scaled", []*tensor.Tensor{scores},
			func(in []*ag.Var) *ag.Var { return ag.Mul(Hinge(in[0], labels), ag.Scalar(tensor.Float64, -3)) }},
		{"bceGate", "BCEWithLogits", []*tensor.Tensor{tensor.Randn(rng, tensor.Float64, 3, 4)},
			func(in []*ag.Var) *ag.Var { return BCEWithLogits(in[0], targets) }},
		{"bceGate", "BCEWithLogits large logits", []*tensor.Tensor{tensor.FromSlice([]float64{-30, -3, 0.5, 4, 25, 1, -1, 2, 0.2, -0.7, 8, -8}, 3, 4)},
			func(in []*ag.Var) *ag.Var { return ag.Mul(BCEWithLogits(in[0], targets), in[0]) }},
	}
}

// composedCases are the layers and losses built from ag's own gates; they
// are checked too, as functions of all their inputs.
func composedCases() []gateCase {
	rng := rand.New(rand.NewPCG(9, 10))
	return []gateCase{
		{"", "Linear", []*tensor.Tensor{tensor.Randn(rng, tensor.Float64, 4, 3), tensor.Randn(rng, tensor.Float64, 2, 3), tensor.Randn(rng, tensor.Float64, 2)},
			func(in []*ag.Var) *ag.Var { return (&Linear{In: 3, Out: 2, Weight: in[1], Bias: in[2]}).Forward(in[0]) }},
		{"", "MSE", []*tensor.Tensor{tensor.Randn(rng, tensor.Float64, 3, 2), tensor.Randn(rng, tensor.Float64, 3, 2)},
			func(in []*ag.Var) *ag.Var { return MSE(in[0], in[1]) }},
		{"", "L2", []*tensor.Tensor{tensor.Randn(rng, tensor.Float64, 3, 2), tensor.Randn(rng, tensor.Float64, 4)},
			func(in []*ag.Var) *ag.Var { return L2(0.3, in[0], in[1]) }},
		{"", "HalfL2", []*tensor.Tensor{tensor.Randn(rng, tensor.Float64, 3, 2)},
			func(in []*ag.Var) *ag.Var { return HalfL2(0.3, in[0]) }},
		{"", "SoftmaxCrossEntropy", []*tensor.Tensor{tensor.Randn(rng, tensor.Float64, 3, 4)},
			func(in []*ag.Var) *ag.Var { return SoftmaxCrossEntropy(in[0], []int{3, 0, 1}) }},
	}
}

func TestGradcheck(t *testing.T) {
	for _, c := range append(gateCases(), composedCases()...) {
		before := make([]*tensor.Tensor, len(c.inputs))
		for i, x := range c.inputs {
			before[i] = x.Clone()
		}
		r, err := gradcheck.Check(c.f, c.inputs, nil)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if r.MaxRelErr > 1e-6 {
			t.Errorf("%s: max relative error %.3g (%s)", c.name, r.MaxRelErr, r.Verdict())
		}
		for i := range before {
			if !tensor.Equal(before[i], c.inputs[i]) {
				t.Errorf("%s: input %d changed", c.name, i)
			}
		}
		// A zero upstream gradient gives zero gradients.
		ps := make([]*ag.Var, len(c.inputs))
		for i, x := range c.inputs {
			ps[i] = ag.Param(x.Clone())
		}
		y := c.f(ps)
		ag.Backward(y, ag.Seed(tensor.ZerosLike(y.Value)))
		for i, p := range ps {
			if p.Grad != nil && tensor.Sum(tensor.Abs(p.Grad), false).Item() != 0 {
				t.Errorf("%s: zero upstream gave input %d gradient %v", c.name, i, p.Grad)
			}
		}
	}
}

// Every gate type this package defines has a row in gateCases.
func TestEveryGateHasAGradcheckRow(t *testing.T) {
	rows := map[string]bool{}
	for _, c := range gateCases() {
		rows[c.gate] = true
	}
	files, _ := filepath.Glob("*.go")
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			for _, d := range file.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Recv == nil || fd.Name.Name != "Backward" {
					continue
				}
				recv := fd.Recv.List[0].Type
				if st, ok := recv.(*ast.StarExpr); ok {
					recv = st.X
				}
				if id, ok := recv.(*ast.Ident); ok && id.Name == ts.Name.Name {
					found++
					if !rows[ts.Name.Name] {
						t.Errorf("%s: gate %s has no gradcheck row", f, ts.Name.Name)
					}
				}
			}
			return true
		})
	}
	if found < 4 {
		t.Errorf("found only %d gates", found)
	}
}

// A gate with a deliberately wrong backward is rejected by the same check.
type wrongELU struct{ eluGate }

func (g *wrongELU) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return []*tensor.Tensor{dout.Clone()} // forgets the local gradient
}

func TestWrongGateIsCaught(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := tensor.FromSlice([]float64{-1, -0.5, 0.3, -2}, 4)
	r, err := gradcheck.Check(func(in []*ag.Var) *ag.Var {
		return ag.Apply(&wrongELU{eluGate{alpha: 1}}, in[0])
	}, []*tensor.Tensor{x}, &gradcheck.Options{Rand: rng})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict() != "wrong" {
		t.Errorf("a wrong ELU backward got %q (%g)", r.Verdict(), r.MaxRelErr)
	}
}
