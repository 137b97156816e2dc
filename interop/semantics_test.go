//go:build torch

package interop

import (
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"testing"

	"backprop/ag"
	"backprop/optim"
	"backprop/tensor"
)

// torchPython returns Debian's python3 with torch and numpy, failing the
// test (never skipping it) where there is none.
func torchPython(t *testing.T) string {
	t.Helper()
	for _, c := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(c); err == nil && exec.Command(p, "-c", "import torch, numpy").Run() == nil {
			return p
		}
	}
	t.Fatal("no python3 with torch and numpy: apt-get install -y python3-torch python3-numpy (test.sh does this)")
	return ""
}

// num decodes the script's numbers: JSON numbers and "nan", "inf", "-inf".
type num float64

func (n *num) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		switch s {
		case "nan":
			*n = num(math.NaN())
		case "inf":
			*n = num(math.Inf(1))
		case "-inf":
			*n = num(math.Inf(-1))
		default:
			return fmt.Errorf("bad number %q", s)
		}
		return nil
	}
	var f float64
	err := json.Unmarshal(b, &f)
	*n = num(f)
	return err
}

type torchCase struct {
	Value []num
	Grads [][]num
}

// same reports whether a and b are the same number: equal, both NaN, or
// within rel of each other.
func same(a, b float64, rel float64) bool {
	switch {
	case math.IsNaN(a) || math.IsNaN(b):
		return math.IsNaN(a) && math.IsNaN(b)
	case math.IsInf(a, 0) || math.IsInf(b, 0):
		return a == b
	}
	return a == b || math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}

func flat(t *tensor.Tensor) []float64 {
	if t == nil {
		return nil
	}
	return t.Values()
}

// TestPyTorchSemantics runs the edge cases of interop/semantics.py in Go —
// NaN through relu, abs, maximum, minimum and the reductions, ties, pow at
// 0⁰, float64 exp and log at the ends of their range, matmul with vectors,
// Adam and AdamW in float32 — and compares values and gradients with
// PyTorch 1.13's.
func TestPyTorchSemantics(t *testing.T) {
	out, err := exec.Command(torchPython(t), "semantics.py").Output()
	if err != nil {
		t.Fatalf("semantics.py: %v", err)
	}
	var want map[string]json.RawMessage
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("semantics.py output: %v\n%s", err, out)
	}
	nan := math.NaN()
	v := func(xs ...float64) *tensor.Tensor { return tensor.FromSlice(xs) }
	m := func(rows, cols int, xs ...float64) *tensor.Tensor { return tensor.FromSlice(xs, rows, cols) }
	v4 := v(nan, -1, 0, 2)
	m32 := m(3, 2, 1, 2, -0.5, 0.25, 3, -1)
	b232 := tensor.FromSlice([]float64{1, 0, 0.5, -2, 1.5, 1, -1, 2, 0, 0.75, 2, -0.5}, 2, 3, 2)
	cases := map[string]struct {
		f      func(in []*ag.Var) *ag.Var
		inputs []*tensor.Tensor
	}{
		"relu":     {func(in []*ag.Var) *ag.Var { return ag.ReLU(in[0]) }, []*tensor.Tensor{v4}},
		"abs":      {func(in []*ag.Var) *ag.Var { return ag.Abs(in[0]) }, []*tensor.Tensor{v4}},
		"maximum":  {func(in []*ag.Var) *ag.Var { return ag.Maximum(in[0], in[1]) }, []*tensor.Tensor{v(nan, 1, 2, 3, 1), v(1, nan, 2, 1, 3)}},
		"minimum":  {func(in []*ag.Var) *ag.Var { return ag.Minimum(in[0], in[1]) }, []*tensor.Tensor{v(nan, 1, 2, 3, 1), v(1, nan, 2, 1, 3)}},
		"max_nan":  {func(in []*ag.Var) *ag.Var { return ag.Max(in[0], false) }, []*tensor.Tensor{v(1, nan, 3)}},
		"max_ties": {func(in []*ag.Var) *ag.Var { return ag.Max(in[0], false) }, []*tensor.Tensor{v(3, 1, 3)}},
		"min_ties": {func(in []*ag.Var) *ag.Var { return ag.Min(in[0], false) }, []*tensor.Tensor{v(1, 4, 1, 1)}},
		"pow":      {func(in []*ag.Var) *ag.Var { return ag.Pow(in[0], in[1]) }, []*tensor.Tensor{v(0, 0, 2, -1, 0, 1.5, 0), v(0, 2, 0, 0, -1, 2, 0.5)}},
		"exp":      {func(in []*ag.Var) *ag.Var { return ag.Exp(in[0]) }, []*tensor.Tensor{v(709, 709.5, 709.78, -700, -740, -745, 0.5)}},
		"log":      {func(in []*ag.Var) *ag.Var { return ag.Log(in[0]) }, []*tensor.Tensor{v(5e-324, 1e-310, 2.2250738585072014e-308, 1e-300, 3)}},
		"vecmat":   {func(in []*ag.Var) *ag.Var { return ag.MatMul(in[0], in[1]) }, []*tensor.Tensor{v(0.5, -1, 2), m32}},
		"matvec":   {func(in []*ag.Var) *ag.Var { return ag.MatMul(in[0], in[1]) }, []*tensor.Tensor{m32, v(1.5, -0.5)}},
		"vecvec":   {func(in []*ag.Var) *ag.Var { return ag.MatMul(in[0], in[1]) }, []*tensor.Tensor{v(0.5, -1, 2), v(2, 1, -3)}},
		"batchvec": {func(in []*ag.Var) *ag.Var { return ag.MatMul(in[0], in[1]) }, []*tensor.Tensor{b232, v(1.5, -0.5)}},
		"vecbatch": {func(in []*ag.Var) *ag.Var { return ag.MatMul(in[0], in[1]) }, []*tensor.Tensor{v(0.5, -1, 2), b232}},
	}
	for name, c := range cases {
		raw, ok := want[name]
		if !ok {
			t.Errorf("%s: not in the script's output", name)
			continue
		}
		var w torchCase
		if err := json.Unmarshal(raw, &w); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ps := make([]*ag.Var, len(c.inputs))
		for i, x := range c.inputs {
			ps[i] = ag.Param(x.Clone())
		}
		y := c.f(ps)
		ag.Backward(y)
		got := flat(y.Value)
		if len(got) != len(w.Value) {
			t.Errorf("%s: %d values, PyTorch %d", name, len(got), len(w.Value))
			continue
		}
		for i := range got {
			if !same(got[i], float64(w.Value[i]), 1e-15) {
				t.Errorf("%s: value %d is %v, PyTorch's %v", name, i, got[i], float64(w.Value[i]))
			}
		}
		for j, p := range ps {
			g := flat(p.Grad)
			for i := range w.Grads[j] {
				gi := 0.0
				if g != nil {
					gi = g[i]
				}
				if !same(gi, float64(w.Grads[j][i]), 1e-15) {
					t.Errorf("%s: gradient of input %d, element %d is %v, PyTorch's %v", name, j, i, gi, float64(w.Grads[j][i]))
				}
			}
		}
	}

	// Adam and AdamW in float32 on the same gradients as the script.
	for name, mk := range map[string]func([]*ag.Var) optim.Optimizer{
		"adam": func(ps []*ag.Var) optim.Optimizer { return optim.NewAdam(ps, 0.01) },
		"adam_l2": func(ps []*ag.Var) optim.Optimizer {
			o := optim.NewAdam(ps, 0.01)
			o.Beta1, o.Beta2, o.WeightDecay = 0.8, 0.99, 0.1
			return o
		},
		"adamw": func(ps []*ag.Var) optim.Optimizer { return optim.NewAdamW(ps, 0.01, 0.01) },
	} {
		var w []float64
		if err := json.Unmarshal(want[name], &w); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p := ag.Param(tensor.FromSlice([]float32{0.5, -1.25, 2, 0, 3.5}))
		opt := mk([]*ag.Var{p})
		for step := range 200 {
			g := tensor.New(tensor.Float32, 5)
			for i := range 5 {
				g.SetFlat(i, float64((step*7+i*3)%11-5)/4)
			}
			p.Grad = g
			opt.Step()
		}
		worst := 0.0
		for i, x := range p.Value.Values() {
			worst = math.Max(worst, math.Abs(x-w[i])/math.Max(math.Abs(w[i]), 1e-3))
		}
		t.Logf("%s: after 200 float32 steps, worst relative difference from PyTorch %.2g", name, worst)
		if worst > 1e-6 {
			t.Errorf("%s: after 200 float32 steps the parameters are %v, PyTorch's %v", name, p.Value.Values(), w)
		}
	}
}
