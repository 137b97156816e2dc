package main

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// gradOK runs "backprop grad args..." and returns its output lines,
// failing the test unless it succeeded with nothing on stderr.
func gradOK(t *testing.T, args ...string) []string {
	t.Helper()
	code, stdout, stderr := runArgs(append([]string{"grad"}, args...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("grad %q: exit %d, stderr %q", args, code, stderr)
	}
	if !strings.HasSuffix(stdout, "\n") {
		t.Fatalf("grad %q: output %q does not end in a newline", args, stdout)
	}
	return strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
}

// parseLines reads "key = number" lines into a map, checking the keys
// come in the given order.
func parseLines(t *testing.T, lines []string, keys ...string) map[string]float64 {
	t.Helper()
	if len(lines) != len(keys) {
		t.Fatalf("got %d lines %q, want %d: %q", len(lines), lines, len(keys), keys)
	}
	m := map[string]float64{}
	for i, line := range lines {
		k, v, ok := strings.Cut(line, " = ")
		if !ok || k != keys[i] {
			t.Fatalf("line %d is %q, want %q = number", i+1, line, keys[i])
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		m[k] = f
	}
	return m
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if !(math.Abs(got-want) <= tol) {
		t.Errorf("%s = %v, want %v (±%g)", what, got, want, tol)
	}
}

func TestGradGoldenAddMul(t *testing.T) {
	lines := gradOK(t, "(x+y)*z", "x=-2", "y=5", "z=-4")
	want := []string{"value = -12", "d/dx = -4", "d/dy = -4", "d/dz = 3"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("output\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	m := parseLines(t, lines, "value", "d/dx", "d/dy", "d/dz")
	for k, w := range map[string]float64{"value": -12, "d/dx": -4, "d/dy": -4, "d/dz": 3} {
		within(t, k, m[k], w, 1e-12)
	}
}

var neuronArgs = []string{"w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"}

var neuronWant = map[string]float64{
	"value": 0.7310585786300049,
	"d/dw0": -0.19661193324148185,
	"d/dx0": 0.3932238664829637,
	"d/dw1": -0.3932238664829637,
	"d/dx1": -0.5898357997244456,
	"d/dw2": 0.19661193324148185,
}

func TestGradGoldenNeuron(t *testing.T) {
	for _, src := range []string{"sigmoid(w0*x0 + w1*x1 + w2)", "1/(1+exp(-(w0*x0+w1*x1+w2)))"} {
		lines := gradOK(t, append([]string{src}, neuronArgs...)...)
		m := parseLines(t, lines, "value", "d/dw0", "d/dx0", "d/dw1", "d/dx1", "d/dw2")
		for k, w := range neuronWant {
			within(t, src+": "+k, m[k], w, 1e-12)
		}
	}
	// The sigmoid gate prints the lecture's numbers exactly.
	lines := gradOK(t, append([]string{"sigmoid(w0*x0 + w1*x1 + w2)"}, neuronArgs...)...)
	want := "value = 0.7310585786300049\nd/dw0 = -0.19661193324148185\nd/dx0 = 0.3932238664829637\n" +
		"d/dw1 = -0.3932238664829637\nd/dx1 = -0.5898357997244456\nd/dw2 = 0.19661193324148185"
	if got := strings.Join(lines, "\n"); got != want {
		t.Errorf("output\n%s\nwant\n%s", got, want)
	}
}

// gradJSON is the --json output.
type gradJSON struct {
	Value    any            `json:"value"`
	Grad     map[string]any `json:"grad"`
	Numeric  map[string]any `json:"numeric"`
	RelError map[string]any `json:"rel_error"`
	Verdict  map[string]any `json:"verdict"`
}

func decodeJSON(t *testing.T, stdout string) gradJSON {
	t.Helper()
	if strings.Count(stdout, "\n") != 1 || !strings.HasSuffix(stdout, "}\n") {
		t.Fatalf("JSON output %q is not one line", stdout)
	}
	var g gradJSON
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		t.Fatalf("output %q: %v", stdout, err)
	}
	return g
}

func TestGradJSON(t *testing.T) {
	code, stdout, stderr := runArgs(append([]string{"grad", "--json", "sigmoid(w0*x0 + w1*x1 + w2)"}, neuronArgs...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	want := `{"value": 0.7310585786300049, "grad": {"w0": -0.19661193324148185, "x0": 0.3932238664829637, ` +
		`"w1": -0.3932238664829637, "x1": -0.5898357997244456, "w2": 0.19661193324148185}}` + "\n"
	if stdout != want {
		t.Errorf("output\n%s\nwant\n%s", stdout, want)
	}
	g := decodeJSON(t, stdout)
	within(t, "value", g.Value.(float64), neuronWant["value"], 1e-12)
	for _, name := range []string{"w0", "x0", "w1", "x1", "w2"} {
		within(t, "d/d"+name, g.Grad[name].(float64), neuronWant["d/d"+name], 1e-12)
	}
	if g.Numeric != nil || g.RelError != nil || g.Verdict != nil {
		t.Errorf("numeric or rel_error present without --check: %s", stdout)
	}
}

// The tensor case: L = Σ (W·x + b)², W 2×3, x 3×1, b 2×1. With r = W·x + b,
// ∂L/∂r = 2r, ∂L/∂W = 2r·xᵀ, ∂L/∂x = Wᵀ·2r, ∂L/∂b = 2r.
var (
	tensorArgs = []string{"sum((W@x + b)^2)", "W=[[1, 2, 3], [4, 5, 6]]", "x=[[1], [0], [-1]]", "b=[[0.5], [-0.5]]"}
	// r = [[1 - 3 + 0.5], [4 - 6 - 0.5]] = [[-1.5], [-2.5]], L = 2.25 + 6.25.
	tensorWant = []string{
		"value = 8.5",
		"d/dW = [[-3, 0, 3], [-5, 0, 5]]",
		"d/dx = [[-23], [-31], [-39]]",
		"d/db = [[-3], [-5]]",
	}
)

func TestGradTensor(t *testing.T) {
	lines := gradOK(t, tensorArgs...)
	if got := strings.Join(lines, "\n"); got != strings.Join(tensorWant, "\n") {
		t.Errorf("output\n%s\nwant\n%s", got, strings.Join(tensorWant, "\n"))
	}
}

func TestGradCheck(t *testing.T) {
	lines := gradOK(t, append([]string{"--check"}, tensorArgs...)...)
	if len(lines) != 10 {
		t.Fatalf("got %d lines, want 10:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if got := strings.Join(lines[:4], "\n"); got != strings.Join(tensorWant, "\n") {
		t.Errorf("output\n%s\nwant\n%s", got, strings.Join(tensorWant, "\n"))
	}
	for i, name := range []string{"W", "x", "b"} {
		numeric, rel := lines[4+2*i], lines[5+2*i]
		if !strings.HasPrefix(numeric, "numeric d/d"+name+" = [[") {
			t.Errorf("line %q, want numeric d/d%s = [[...", numeric, name)
		}
		verdict, ok := strings.CutSuffix(rel, " (good)")
		if !ok {
			t.Errorf("line %q has no verdict (good)", rel)
		}
		m := parseLines(t, []string{verdict}, "rel error "+name)
		if e := m["rel error "+name]; !(e < 1e-7) {
			t.Errorf("rel error %s = %g, want < 1e-7", name, e)
		}
	}

	// float32 gradients are checked against float64 differences.
	lines = gradOK(t, "--dtype", "float32", "--check", "sigmoid(w0*x0 + w1*x1 + w2)", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3")
	if lines[0] != "value = 0.7310586" || lines[1] != "d/dw0 = -0.19661193" {
		t.Errorf("float32 output starts %q, %q", lines[0], lines[1])
	}
	if !strings.HasSuffix(lines[7], " (good)") {
		t.Errorf("line %q has no verdict", lines[7])
	}
	m := parseLines(t, []string{lines[6], strings.TrimSuffix(lines[7], " (good)")}, "numeric d/dw0", "rel error w0")
	within(t, "numeric d/dw0", m["numeric d/dw0"], neuronWant["d/dw0"], 1e-8)
	if !(m["rel error w0"] < 1e-7) {
		t.Errorf("rel error w0 = %g", m["rel error w0"])
	}
}

func TestGradCheckJSON(t *testing.T) {
	code, stdout, stderr := runArgs(append([]string{"grad", "--json", "--check"}, tensorArgs...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	want := `{"value": 8.5, "grad": {"W": [[-3, 0, 3], [-5, 0, 5]], "x": [[-23], [-31], [-39]], "b": [[-3], [-5]]}, "numeric": {"W": [[`
	if !strings.HasPrefix(stdout, want) {
		t.Errorf("output %s\ndoes not start with %s", stdout, want)
	}
	g := decodeJSON(t, stdout)
	if g.Value.(float64) != 8.5 {
		t.Errorf("value %v, want 8.5", g.Value)
	}
	// Shapes survive: b's gradient is [2 1].
	b := g.Grad["b"].([]any)
	if len(b) != 2 || len(b[0].([]any)) != 1 || b[1].([]any)[0].(float64) != -5 {
		t.Errorf("grad b = %v, want [[-3] [-5]]", g.Grad["b"])
	}
	nb := g.Numeric["b"].([]any)
	within(t, "numeric b[1][0]", nb[1].([]any)[0].(float64), -5, 1e-6)
	for _, name := range []string{"W", "x", "b"} {
		if e := g.RelError[name].(float64); !(e < 1e-7) || g.Verdict[name] != "good" {
			t.Errorf("rel_error %s = %g, verdict %v, want < 1e-7 and good", name, e, g.Verdict[name])
		}
	}
}

func TestGradJSONNonFinite(t *testing.T) {
	code, stdout, stderr := runArgs("grad", "--json", "log(x) + y", "x=-1", "y=[-Inf]")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if want := `{"value": ["NaN"], "grad": {"x": -1, "y": [1]}}` + "\n"; stdout != want {
		t.Errorf("output %q, want %q", stdout, want)
	}
	decodeJSON(t, stdout)
	_, stdout, _ = runArgs("grad", "--json", "1/x", "x=0")
	if want := `{"value": "+Inf", "grad": {"x": "-Inf"}}` + "\n"; stdout != want {
		t.Errorf("output %q, want %q", stdout, want)
	}
}

func TestGradOutputs(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		// Flags anywhere; an expression starting with "-" is not a flag.
		{[]string{"-x^2", "x=3", "--json"}, `{"value": -9, "grad": {"x": -6}}`},
		{[]string{"x*y", "--json", "y=2", "x=3"}, `{"value": 6, "grad": {"y": 3, "x": 2}}`},
		{[]string{"-json", "-dtype=float32", "x/3", "x=1"}, `{"value": 0.33333334, "grad": {"x": 0.33333334}}`},
		{[]string{"--", "-x", "x=1"}, "value = -1\nd/dx = -1"},
		// No variables: just the value.
		{[]string{"2^-1 + 1e-3"}, "value = 0.501"},
		{[]string{"--check", "2*3"}, "value = 6"},
		// One-element outputs of any shape keep their shape.
		{[]string{"x @ y", "x=[[2, 3]]", "y=[[4], [5]]"}, "value = [[23]]\nd/dx = [[4, 5]]\nd/dy = [[2], [3]]"},
		// Broadcasting a scalar and reducing over an axis.
		{[]string{"sum(mean(x * s, 0))", "x=[[1, 2], [3, 4]]", "s=2"}, "value = 10\nd/dx = [[1, 1], [1, 1]]\nd/ds = 5"},
	}
	for _, tt := range tests {
		lines := gradOK(t, tt.args...)
		if got := strings.Join(lines, "\n"); got != tt.want {
			t.Errorf("grad %q:\n%s\nwant\n%s", tt.args, got, tt.want)
		}
	}
}

func TestGradErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "backprop grad: missing EXPR; usage: backprop grad [--json] [--check] [--dtype float64|float32] [--svg FILE] [--png FILE] [--dot FILE] [--max-memory SIZE] EXPR NAME=VALUE ...\n"},
		{[]string{"--json"}, "backprop grad: missing EXPR; usage: backprop grad [--json] [--check] [--dtype float64|float32] [--svg FILE] [--png FILE] [--dot FILE] [--max-memory SIZE] EXPR NAME=VALUE ...\n"},
		{[]string{"(x+y", "x=1", "y=2"}, "backprop grad: col 5: expected \")\", found end of input\n  (x+y\n      ^\n"},
		{[]string{"x + foo(x)", "x=1"}, "backprop grad: col 5: unknown function \"foo\"\n  x + foo(x)\n      ^\n"},
		{[]string{"exp(x, y)", "x=1", "y=2"}, "backprop grad: col 1: exp takes 1 argument, got 2\n  exp(x, y)\n  ^\n"},
		{[]string{"x # 2", "x=1"}, "backprop grad: col 3: unexpected character '#'\n  x # 2\n    ^\n"},
		{[]string{"x*q", "x=1"}, "backprop grad: undefined variable \"q\" in \"x*q\"\n"},
		{[]string{"2*x", "x=1", "w=2"}, "backprop grad: variable \"w\" is not used in \"2*x\"\n"},
		{[]string{"x", "x=[1,,2]"}, "backprop grad: bad value for x: col 4: expected a number or \"[\", found \",\"\n"},
		{[]string{"x", "x=[[1,2],[3]]"}, "backprop grad: bad value for x: col 8: ragged list: a list of 1 number where a list of 2 numbers was expected\n"},
		{[]string{"x", "x="}, "backprop grad: bad value for x: col 1: expected a number or \"[\", found end of input\n"},
		{[]string{"x", "x5"}, "backprop grad: argument \"x5\" is not NAME=VALUE\n"},
		{[]string{"x", "=5"}, "backprop grad: argument \"=5\" is not NAME=VALUE\n"},
		{[]string{"x", "1x=5"}, "backprop grad: argument \"1x=5\" is not NAME=VALUE\n"},
		{[]string{"x", "x=1", "x=2"}, "backprop grad: variable \"x\" is given twice\n"},
		{[]string{"--dtype", "float16", "x", "x=1"}, "backprop grad: unknown dtype \"float16\" (want float32 or float64)\n"},
		{[]string{"x", "x=1e39", "--dtype=float32"}, "backprop grad: bad value for x: col 1: number 1e39 is out of range for float32\n"},
		{[]string{"--jsn", "x", "x=1"}, "backprop grad: unknown flag --jsn (did you mean --json?)\n"},
		{[]string{"x", "x=1", "--dtype"}, "backprop grad: --dtype needs a value\n"},
		{[]string{"x", "x=[[1, 2, 3], [4, 5, 6]]"}, "backprop grad: output has shape [2 3], not a scalar; wrap it in sum(...)\n"},
		{[]string{"sum(x + y)", "x=[[1, 2, 3], [4, 5, 6]]", "y=[1, 2, 3, 4]"}, "backprop grad: tensor: Add: shapes [2 3] and [4] do not broadcast\n"},
		{[]string{"sum(x @ y)", "x=[[1, 2]]", "y=[[1, 2]]"}, "backprop grad: tensor: MatMul: shapes [1 2]·[1 2] (transA=false transB=false): inner dimensions 2 and 1 differ\n"},
		{[]string{"sum(x, 1)", "x=[1, 2]"}, "backprop grad: tensor: Sum: axis 1 out of range for 1 dimensions\n"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runArgs(append([]string{"grad"}, tt.args...)...)
		if code != 2 {
			t.Errorf("grad %q: exit %d, want 2", tt.args, code)
		}
		if stdout != "" {
			t.Errorf("grad %q: stdout %q, want nothing", tt.args, stdout)
		}
		if stderr != tt.want {
			t.Errorf("grad %q: stderr\n%q\nwant\n%q", tt.args, stderr, tt.want)
		}
	}
}

// A wrong gradient gets its verdict beside its relative error: relu at
// its kink, where backprop's 0 and the centered difference's ½ differ.
func TestGradCheckVerdict(t *testing.T) {
	code, stdout, _ := runArgs("grad", "--check", "relu(x)", "x=0")
	if want := "value = 0\nd/dx = 0\nnumeric d/dx = 0.5\nrel error x = 1 (wrong)\n"; code != 0 || stdout != want {
		t.Errorf("exit %d, output\n%s\nwant\n%s", code, stdout, want)
	}
	code, stdout, _ = runArgs("grad", "--check", "--json", "relu(x)", "x=0")
	if !strings.HasSuffix(stdout, `"rel_error": {"x": 1}, "verdict": {"x": "wrong"}}`+"\n") {
		t.Errorf("exit %d, JSON %s", code, stdout)
	}
}
