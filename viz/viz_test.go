package viz

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/expr"
	"backprop/tensor"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// circuit evaluates src at the named values, runs Backward keeping the
// graph, and builds its picture.
func circuit(t *testing.T, src string, values ...any) *Graph {
	t.Helper()
	node, err := expr.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]*ag.Var{}
	names := map[*ag.Var]string{}
	for i := 0; i < len(values); i += 2 {
		name := values[i].(string)
		v := ag.Param(tensor.Scalar(tensor.Float64, values[i+1].(float64)))
		env[name] = v
		names[v] = name
	}
	y, err := expr.Eval(node, env, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	ag.Backward(y, ag.KeepGraph())
	g, err := Build(y, &Options{Names: names})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var lecture = []struct {
	file, src string
	values    []any
}{
	{"addmul.dot", "(x+y)*z", []any{"x", -2.0, "y", 5.0, "z", -4.0}},
	{"neuron.dot", "sigmoid(w0*x0 + w1*x1 + w2)", []any{"w0", 2.0, "x0", -1.0, "w1", -3.0, "x1", -2.0, "w2", -3.0}},
	{"neuron-gates.dot", "1/(1+exp(-(w0*x0+w1*x1+w2)))", []any{"w0", 2.0, "x0", -1.0, "w1", -3.0, "x1", -2.0, "w2", -3.0}},
}

func TestGoldenDOT(t *testing.T) {
	for _, c := range lecture {
		t.Run(c.file, func(t *testing.T) {
			got := circuit(t, c.src, c.values...).DOT()
			again := circuit(t, c.src, c.values...).DOT()
			if !bytes.Equal(got, again) {
				t.Fatalf("DOT differs between two builds of the same circuit")
			}
			path := filepath.Join("testdata", c.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./viz -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("DOT of %s differs from %s:\n%s", c.src, path, got)
			}
		})
	}
}

// TestLabels checks the lecture's numbers appear on the wires: values in
// the value colour, gradients in the gradient colour.
func TestLabels(t *testing.T) {
	dot := string(circuit(t, "(x+y)*z", "x", -2.0, "y", 5.0, "z", -4.0).DOT())
	for _, want := range []string{
		`<font color="` + ValueColor + `">-2</font>`, `<font color="` + GradColor + `">-4</font>`,
		`<font color="` + ValueColor + `">3</font>`, `<font color="` + GradColor + `">3</font>`,
		`<font color="` + ValueColor + `">-12</font>`, `<font color="` + GradColor + `">1</font>`,
		`label=<+>`, `label=<*>`, `<b>x</b>`, `<b>y</b>`, `<b>z</b>`,
		`tooltip="add distributes`, `tooltip="mul swaps`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %s", want)
		}
	}
	neuron := string(circuit(t, "sigmoid(w0*x0 + w1*x1 + w2)", "w0", 2.0, "x0", -1.0, "w1", -3.0, "x1", -2.0, "w2", -3.0).DOT())
	for _, want := range []string{"label=<σ>", ">0.7311<", ">-0.1966<", ">0.3932<", ">-0.5898<", ">0.1966<"} {
		if !strings.Contains(neuron, want) {
			t.Errorf("neuron DOT lacks %s", want)
		}
	}
}

func TestSymbols(t *testing.T) {
	x := ag.Param(tensor.FromSlice([]float64{1, -2, 3, 4}, 2, 2))
	s := ag.Param(tensor.Scalar(tensor.Float64, 2))
	cases := []struct {
		v    *ag.Var
		want string
	}{
		{ag.Add(x, x), "+"}, {ag.Sub(x, x), "−"}, {ag.Mul(x, x), "*"}, {ag.Div(x, x), "/"},
		{ag.Maximum(x, x), "max"}, {ag.Minimum(x, x), "min"}, {ag.Max(x, false), "max"}, {ag.Min(x, false), "min"},
		{ag.Sigmoid(x), "σ"}, {ag.Exp(x), "exp"}, {ag.MatMul(x, x), "@"}, {ag.Pow(x, s), "^"},
		{ag.Sum(x, false), "Σ"}, {ag.Neg(x), "−x"}, {ag.Tanh(x), "tanh"},
	}
	for _, c := range cases {
		if got := Symbol(c.v.Gate()); got != c.want {
			t.Errorf("Symbol(%s) = %q, want %q", ag.GateName(c.v.Gate()), got, c.want)
		}
	}
	if p := Pattern(ag.Maximum(x, x).Gate()); !strings.HasPrefix(p, "max routes") {
		t.Errorf("Pattern(maximum) = %q", p)
	}
}

func TestFormat(t *testing.T) {
	cases := []struct {
		t    *tensor.Tensor
		want string
	}{
		{tensor.Scalar(tensor.Float64, -12), "-12"},
		{tensor.Scalar(tensor.Float64, 0.7310585786300049), "0.7311"},
		{tensor.Scalar(tensor.Float32, 1e-7), "1e-07"},
		{tensor.FromSlice([]float64{1, -2, 3, 4, 0, 0}, 2, 3), "[[1, -2, 3], [4, 0, 0]]"},
		{tensor.FromSlice([]float64{0.5, -1.25}, 2), "[0.5, -1.25]"},
		{tensor.FromSlice(make([]float64, 10), 5, 2), "5×2 μ=0 [0, 0]"},
		{tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2), "2×2×2 μ=4.5 [1, 8]"},
		{nil, ""},
	}
	for _, c := range cases {
		if got := Format(c.t); got != c.want {
			t.Errorf("Format = %q, want %q", got, c.want)
		}
	}
}

func TestTensorGraph(t *testing.T) {
	W := ag.Param(tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3))
	x := ag.Const(tensor.FromSlice([]float64{1, 0, -1}, 3, 1))
	y := ag.Sum(ag.MatMul(W, x), false)
	ag.Backward(y, ag.KeepGraph())
	g, err := Build(y, &Options{Names: map[*ag.Var]string{W: "W", y: "L"}})
	if err != nil {
		t.Fatal(err)
	}
	dot := string(g.DOT())
	for _, want := range []string{"<b>W</b>", "[[1, 2, 3], [4, 5, 6]]", "label=<@>", "label=<Σ>", "<b>L</b>", "[[1], [0], [-1]]"} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %q:\n%s", want, dot)
		}
	}
}

func TestLimit(t *testing.T) {
	x := ag.Param(tensor.Scalar(tensor.Float64, 1))
	y := x
	for range 20 {
		y = ag.Add(y, x)
	}
	if _, err := Build(y, &Options{MaxGates: 20}); err != nil {
		t.Errorf("20 gates with MaxGates 20: %v", err)
	}
	_, err := Build(y, &Options{MaxGates: 19})
	if err == nil || err.Error() != "viz: graph has more than 19 gates; draw a smaller one or raise Options.MaxGates" {
		t.Errorf("err = %v", err)
	}
	big := x
	for range DefaultMaxGates + 1 {
		big = ag.Exp(big)
	}
	if _, err := Build(big, nil); err == nil || !strings.Contains(err.Error(), "more than 500 gates") {
		t.Errorf("501 gates: err = %v", err)
	}
}

func TestFreed(t *testing.T) {
	x := ag.Param(tensor.Scalar(tensor.Float64, 1))
	y := ag.Exp(x)
	ag.Backward(y)
	_, err := Build(y, nil)
	if err == nil || !strings.Contains(err.Error(), "pass ag.KeepGraph()") {
		t.Errorf("err = %v", err)
	}
}

func TestSVGAndPNG(t *testing.T) {
	dot := circuit(t, lecture[1].src, lecture[1].values...).DOT()
	ctx := context.Background()
	svg, err := SVG(ctx, dot)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	for _, want := range []string{"<svg", `id="v0"`, `id="w9"`, "σ", "0.7311", ValueColor, GradColor, "add distributes"} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	b, err := PNG(ctx, dot, 2)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r := img.Bounds(); r.Dx() < 400 || r.Dy() < 150 {
		t.Errorf("PNG is only %v", r)
	}
	if os.Getenv("VIZ_PNG_OUT") != "" {
		os.WriteFile(os.Getenv("VIZ_PNG_OUT"), b, 0o644)
	}
	if _, err := SVG(ctx, []byte("digraph {")); err == nil {
		t.Error("SVG of broken DOT: no error")
	}
}
