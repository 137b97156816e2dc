package expr

import (
	"errors"
	"math"
	"slices"
	"testing"

	"backprop/ag"
	"backprop/gradcheck"
	"backprop/tensor"
)

func scalar(v float64) *tensor.Tensor { return tensor.Scalar(tensor.Float64, v) }

// evalGrad parses and evaluates src with the given variables as Params,
// runs Backward and returns the output and the gradients in order.
func evalGrad(t *testing.T, src string, names []string, values []*tensor.Tensor) (*ag.Var, []*tensor.Tensor) {
	t.Helper()
	n, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]*ag.Var{}
	params := make([]*ag.Var, len(names))
	for i, name := range names {
		params[i] = ag.Param(values[i])
		vars[name] = params[i]
	}
	y, err := Eval(n, vars, values[0].DType())
	if err != nil {
		t.Fatalf("Eval(%q): %v", src, err)
	}
	ag.Backward(y)
	grads := make([]*tensor.Tensor, len(names))
	for i, p := range params {
		grads[i] = p.Grad
	}
	return y, grads
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestEvalGolden(t *testing.T) {
	y, g := evalGrad(t, "(x+y)*z", []string{"x", "y", "z"}, []*tensor.Tensor{scalar(-2), scalar(5), scalar(-4)})
	if y.Item() != -12 || g[0].Item() != -4 || g[1].Item() != -4 || g[2].Item() != 3 {
		t.Errorf("(x+y)*z = %v, grads %v %v %v; want -12, -4 -4 3", y.Item(), g[0], g[1], g[2])
	}

	names := []string{"w0", "x0", "w1", "x1", "w2"}
	want := []float64{-0.19661193324148185, 0.3932238664829637, -0.3932238664829637, -0.5898357997244456, 0.19661193324148185}
	for _, src := range []string{"sigmoid(w0*x0 + w1*x1 + w2)", "1/(1+exp(-(w0*x0+w1*x1+w2)))"} {
		vals := []*tensor.Tensor{scalar(2), scalar(-1), scalar(-3), scalar(-2), scalar(-3)}
		y, g := evalGrad(t, src, names, vals)
		if !near(y.Item(), 0.7310585786300049, 1e-15) {
			t.Errorf("%s = %v, want 0.7310585786300049", src, y.Item())
		}
		for i := range names {
			if !near(g[i].Item(), want[i], 1e-12) {
				t.Errorf("%s: d/d%s = %v, want %v", src, names[i], g[i].Item(), want[i])
			}
		}
	}
}

func TestEvalFloat32(t *testing.T) {
	f := func(v float64) *tensor.Tensor { return tensor.Scalar(tensor.Float32, v) }
	y, g := evalGrad(t, "x^2 + 0.5*x", []string{"x"}, []*tensor.Tensor{f(3)})
	if y.DType() != tensor.Float32 || y.Item() != 10.5 || g[0].Item() != 6.5 {
		t.Errorf("x^2 + 0.5*x at 3 = %v %v, grad %v; want float32 10.5, 6.5", y.DType(), y.Item(), g[0])
	}
}

func TestEvalShapes(t *testing.T) {
	x := tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	tests := []struct {
		src   string
		shape []int
		value []float64
	}{
		{"sum(x)", nil, []float64{21}},
		{"sum(x, 0)", []int{3}, []float64{5, 7, 9}},
		{"mean(x, -1)", []int{2}, []float64{2, 5}},
		{"mean(x)", nil, []float64{3.5}},
		{"transpose(x)", []int{3, 2}, []float64{1, 4, 2, 5, 3, 6}},
		{"x @ transpose(x)", []int{2, 2}, []float64{14, 32, 32, 77}},
		{"max(x, 3) - min(x, 2)", []int{2, 3}, []float64{2, 1, 1, 2, 3, 4}},
		{"pow(x, 2) - x^2", []int{2, 3}, []float64{0, 0, 0, 0, 0, 0}},
		{"+x - -x", []int{2, 3}, []float64{2, 4, 6, 8, 10, 12}},
		{"relu(3 - x)", []int{2, 3}, []float64{2, 1, 0, 0, 0, 0}},
		{"abs(3 - x)", []int{2, 3}, []float64{2, 1, 0, 1, 2, 3}},
		{"sum(softmax(x), -1)", []int{2}, []float64{1, 1}},
	}
	for _, tt := range tests {
		n, err := Parse(tt.src)
		if err != nil {
			t.Fatal(err)
		}
		y, err := Eval(n, map[string]*ag.Var{"x": ag.Const(x)}, tensor.Float64)
		if err != nil {
			t.Errorf("Eval(%q): %v", tt.src, err)
			continue
		}
		if !slices.Equal(y.Shape(), tt.shape) || !tensor.AllClose(y.Value.Reshape(len(tt.value)), tensor.FromSlice(tt.value), 1e-12, 1e-12) {
			t.Errorf("Eval(%q) = %v, want %v %v", tt.src, y.Value, tt.shape, tt.value)
		}
	}
}

// TestEvalGradcheck checks every function and operator against numerical
// gradients through gradcheck.
func TestEvalGradcheck(t *testing.T) {
	a := tensor.FromSlice([]float64{0.5, -1.2, 0.3, 2.0, -0.7, 1.1}, 2, 3)
	b := tensor.FromSlice([]float64{0.9, 1.3, -0.4}, 3)
	pos := tensor.FromSlice([]float64{0.4, 1.7, 0.8}, 3)
	w := tensor.FromSlice([]float64{0.2, -0.5, 0.7, 0.1, -0.3, 0.6}, 3, 2)
	tests := []string{
		"a + b", "a - b", "a * b", "a / pos", "pos ^ b", "pow(pos, a)", "b ^ 2", "2 ^ a",
		"-a", "+a", "exp(a)", "log(pos)", "sqrt(pos)", "abs(a)", "sin(a)", "cos(a)",
		"tanh(a)", "sigmoid(a)", "relu(a)", "max(a, b)", "min(a, b)",
		"sum(a)", "sum(a, 0)", "sum(a, -1)", "mean(a)", "mean(a, 1)",
		"softmax(a)", "transpose(a)", "a @ w", "transpose(w) @ transpose(a)",
		"a * a + a / pos", "sum((a @ w + 1)^2) / 2",
	}
	names := []string{"a", "b", "pos", "w"}
	inputs := []*tensor.Tensor{a, b, pos, w}
	for _, src := range tests {
		n, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		used := Names(n)
		var in []*tensor.Tensor
		for _, name := range used {
			in = append(in, inputs[slices.Index(names, name)])
		}
		f := func(vs []*ag.Var) *ag.Var {
			vars := map[string]*ag.Var{}
			for i, name := range used {
				vars[name] = vs[i]
			}
			y, err := Eval(n, vars, tensor.Float64)
			if err != nil {
				t.Fatalf("Eval(%q): %v", src, err)
			}
			return y
		}
		res, err := gradcheck.Check(f, in, nil)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if res.MaxRelErr > 1e-6 {
			t.Errorf("%s: relative error %g", src, res.MaxRelErr)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	x := ag.Param(tensor.Zeros(tensor.Float64, 2, 3))
	v := ag.Param(tensor.Zeros(tensor.Float64, 4))
	vars := map[string]*ag.Var{"x": x, "v": v}
	tests := []struct{ src, want string }{
		{"x * q", `undefined variable "q"`},
		{"x + v", "tensor: Add: shapes [2 3] and [4] do not broadcast"},
		{"x @ x", "tensor: MatMul: "},
		{"sum(x, 2)", "tensor: "},
	}
	for _, tt := range tests {
		n, err := Parse(tt.src)
		if err != nil {
			t.Fatal(err)
		}
		y, err := Eval(n, vars, tensor.Float64)
		if err == nil {
			t.Errorf("Eval(%q) = %v, want error %q", tt.src, y, tt.want)
			continue
		}
		if got := err.Error(); got != tt.want && !(tt.want[len(tt.want)-1] == ' ' && len(got) > len(tt.want) && got[:len(tt.want)] == tt.want) {
			t.Errorf("Eval(%q): error %q, want %q", tt.src, got, tt.want)
		}
		var te *tensor.Error
		if tt.want[:7] == "tensor:" && !errors.As(err, &te) {
			t.Errorf("Eval(%q): error %T, want *tensor.Error", tt.src, err)
		}
	}
}

func TestEvalRepanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Error("Eval recovered a panic that is not a *tensor.Error")
		}
	}()
	n, _ := Parse("x + 1")
	// A nil Var makes ag panic with a plain string, which Eval must not swallow.
	Eval(n, map[string]*ag.Var{"x": {}}, tensor.Float64)
}
