package expr

import (
	"math"
	"math/rand/v2"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// shapesOf maps x, y, z, w, v to tensors of small shapes that broadcast
// and multiply in various ways.
var testShapes = map[string][]int{
	"x": {3, 1}, "y": {4}, "z": {4, 2}, "w": {2, 3, 4}, "v": {},
}

func env(shapes map[string][]int) map[string]*ag.Var {
	rng := rand.New(rand.NewPCG(1, 2))
	vars := map[string]*ag.Var{}
	for name, s := range shapes {
		vars[name] = ag.Param(tensor.Uniform(rng, tensor.Float64, 0.5, 1, s...))
	}
	return vars
}

// Measure follows Eval: where Eval computes a value, Measure finds its
// shape; where Eval fails, so does Measure.
func TestMeasureFollowsEval(t *testing.T) {
	for src, elements := range map[string]int64{
		"x*y":                         12,
		"sum(x*y)":                    13,
		"x*y + 1":                     12 + 1 + 12,
		"-v":                          1,
		"+x":                          0,
		"x @ transpose(x)":            1*3 + 9,
		"transpose(z) @ transpose(w)": 8 + 24 + 2*2*3,
		"w @ z":                       2 * 3 * 2,
		"softmax(w) + max(x, y)":      24 + 12 + 24,
		"sum(w, 1)":                   8,
		"mean(w, -1)":                 6,
		"sum(w, 3)":                   -1,
		"sum(w, -4)":                  -1,
		"z + w":                       -1,
		"pow(v, 2) * exp(z)":          1 + 1 + 8 + 8,
		"q + 1":                       -1,
		"x @ y":                       -1,
		"y @ z":                       2,
		"z @ y":                       -1,
		"y @ y":                       1,
	} {
		node, err := Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		c, shape, ok := measure(node, testShapes)
		y, err := Eval(node, env(testShapes), tensor.Float64)
		if (err == nil) != ok {
			t.Errorf("%s: Eval error %v, Measure ok %v", src, err, ok)
			continue
		}
		if err == nil && !tensor.SameShape(y.Shape(), shape) {
			t.Errorf("%s: Eval makes %v, Measure %v", src, y.Shape(), shape)
		}
		if elements >= 0 && c.Elements != elements {
			t.Errorf("%s: %d elements, want %d", src, c.Elements, elements)
		}
	}
}

// Values of a few thousand numbers that broadcast to 1.8·10⁹ elements are
// measured without making any.
func TestMeasureHuge(t *testing.T) {
	node, err := Parse("sum(x*y)")
	if err != nil {
		t.Fatal(err)
	}
	c := Measure(node, map[string][]int{"x": {30000, 1}, "y": {60000}})
	if c.Elements != 30000*60000+1 || c.Largest.Pos() != 6 || !tensor.SameShape(c.Shape, []int{30000, 60000}) {
		t.Errorf("%+v", c)
	}
	node, _ = Parse("x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x")
	if c := Measure(node, map[string][]int{"x": {1 << 31, 1 << 31, 1 << 31}}); c.Elements != math.MaxInt64 {
		t.Errorf("beyond counting: %d elements", c.Elements)
	}
}

// Whatever the expression, Measure agrees with Eval on small values.
func FuzzMeasure(f *testing.F) {
	for _, s := range []string{"x*y", "sum(w @ z, 0) + v", "softmax(transpose(w)) - mean(x, 1)", "pow(x, y) / min(z, 2)", "-(x + +y)", "sum(w, -3)", "relu(sin(y) ^ 2)"} {
		f.Add(s)
	}
	vars := env(testShapes)
	f.Fuzz(func(t *testing.T, src string) {
		node, err := Parse(src)
		if err != nil {
			return
		}
		_, shape, ok := measure(node, testShapes)
		y, err := Eval(node, vars, tensor.Float64)
		if (err == nil) != ok {
			t.Fatalf("%s: Eval error %v, Measure ok %v", src, err, ok)
		}
		if err == nil && !tensor.SameShape(y.Shape(), shape) {
			t.Fatalf("%s: Eval makes %v, Measure %v", src, y.Shape(), shape)
		}
	})
}
