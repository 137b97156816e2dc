package ag_test

import (
	"math/rand/v2"
	"testing"

	"backprop/ag"
	"backprop/gradcheck"
	"backprop/tensor"
)

func s(dims ...int) []int { return dims }

var (
	positive     = gradcheck.Positive
	awayFromZero = gradcheck.AwayFromZero
)

func reductionCases(name string, f func(*ag.Var, bool, ...int) *ag.Var) []gradcheck.Case {
	var cs []gradcheck.Case
	for _, c := range []struct {
		shape []int
		axes  []int
	}{
		{s(), nil}, {s(5), nil}, {s(5), s(0)}, {s(3, 4), nil}, {s(3, 4), s(0)}, {s(3, 4), s(1)},
		{s(3, 4), s(-1)}, {s(2, 3, 4), s(0, 2)}, {s(2, 1, 3), s(1)}, {s(1, 1), s(0, 1)},
	} {
		for _, keep := range []bool{false, true} {
			cs = append(cs, gradcheck.Case{Gate: name, Shapes: [][]int{c.shape},
				F: func(in []*ag.Var) *ag.Var { return f(in[0], keep, c.axes...) }})
		}
	}
	return cs
}

func gateCases() []gradcheck.Case {
	var cs []gradcheck.Case
	add := func(c ...gradcheck.Case) { cs = append(cs, c...) }

	add(gradcheck.Unary("Neg", ag.Neg, nil)...)
	add(gradcheck.Unary("Exp", ag.Exp, nil)...)
	add(gradcheck.Unary("Log", ag.Log, positive)...)
	add(gradcheck.Unary("Sqrt", ag.Sqrt, positive)...)
	add(gradcheck.Unary("Abs", ag.Abs, awayFromZero)...)
	add(gradcheck.Unary("Sin", ag.Sin, nil)...)
	add(gradcheck.Unary("Cos", ag.Cos, nil)...)
	add(gradcheck.Unary("Tanh", ag.Tanh, nil)...)
	add(gradcheck.Unary("Sigmoid", ag.Sigmoid, nil)...)
	add(gradcheck.Unary("ReLU", ag.ReLU, awayFromZero)...)
	add(gradcheck.Unary("LeakyReLU", func(x *ag.Var) *ag.Var { return ag.LeakyReLU(x, 0.01) }, awayFromZero)...)
	add(gradcheck.Unary("Transpose", ag.Transpose, nil)...)

	add(gradcheck.Binary("Add", ag.Add, nil)...)
	add(gradcheck.Binary("Sub", ag.Sub, nil)...)
	add(gradcheck.Binary("Mul", ag.Mul, nil)...)
	add(gradcheck.Binary("Div", ag.Div, positive)...)
	add(gradcheck.Binary("Pow", ag.Pow, positive)...)
	add(gradcheck.Binary("Maximum", ag.Maximum, nil)...)
	add(gradcheck.Binary("Minimum", ag.Minimum, nil)...)
	for name, f := range map[string]func(a, b *ag.Var) *ag.Var{
		"Greater": ag.Greater, "GreaterEqual": ag.GreaterEqual, "Less": ag.Less,
		"LessEqual": ag.LessEqual, "Equal": ag.Equal, "NotEqual": ag.NotEqual,
	} {
		add(gradcheck.Binary(name, f, nil)...)
	}
	// A negative base with a constant integer exponent: only ∂/∂a exists.
	add(gradcheck.Case{Gate: "Pow", Shapes: [][]int{s(3, 2)}, F: func(in []*ag.Var) *ag.Var {
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
		add(gradcheck.Case{Gate: "Softmax", Shapes: [][]int{c.shape},
			F: func(in []*ag.Var) *ag.Var { return ag.Softmax(in[0], c.axis) }})
		add(gradcheck.Case{Gate: "LogSoftmax", Shapes: [][]int{c.shape},
			F: func(in []*ag.Var) *ag.Var { return ag.LogSoftmax(in[0], c.axis) }})
	}

	for _, c := range []struct{ a, b []int }{
		{s(2, 3), s(3, 4)}, {s(1, 1), s(1, 1)}, {s(1, 5), s(5, 1)}, {s(5, 1), s(1, 3)},
		{s(7, 3), s(3, 5)}, {s(2, 3, 4), s(2, 4, 5)}, {s(3, 4), s(2, 4, 5)}, {s(2, 1, 2, 3), s(3, 3, 2)},
	} {
		add(gradcheck.Case{Gate: "MatMul", Shapes: [][]int{c.a, c.b},
			F: func(in []*ag.Var) *ag.Var { return ag.MatMul(in[0], in[1]) }})
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
			add(gradcheck.Case{Gate: "MatMulT", Shapes: [][]int{a, b},
				F: func(in []*ag.Var) *ag.Var { return ag.MatMulT(in[0], in[1], ta, tb) }})
			add(gradcheck.Case{Gate: "MatMulT", Shapes: [][]int{append(s(2), a...), b},
				F: func(in []*ag.Var) *ag.Var { return ag.MatMulT(in[0], in[1], ta, tb) }})
		}
	}
	add(gradcheck.Case{Gate: "MatMul", Shapes: [][]int{s(3, 3)}, // fan-out: x·x
		F: func(in []*ag.Var) *ag.Var { return ag.MatMul(in[0], in[0]) }})

	add(gradcheck.Case{Gate: "Reshape", Shapes: [][]int{s(2, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.Reshape(in[0], 3, -1) }})
	add(gradcheck.Case{Gate: "Reshape", Shapes: [][]int{s(1)},
		F: func(in []*ag.Var) *ag.Var { return ag.Reshape(in[0]) }})
	add(gradcheck.Case{Gate: "Permute", Shapes: [][]int{s(2, 3, 4)},
		F: func(in []*ag.Var) *ag.Var { return ag.Permute(in[0], 2, 0, 1) }})
	add(gradcheck.Case{Gate: "Permute", Shapes: [][]int{s(3, 1)},
		F: func(in []*ag.Var) *ag.Var { return ag.Permute(in[0], 1, 0) }})
	add(gradcheck.Case{Gate: "Slice", Shapes: [][]int{s(5, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.Slice(in[0], 0, 1, 4) }})
	add(gradcheck.Case{Gate: "Slice", Shapes: [][]int{s(2, 5, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.Slice(in[0], -2, 2, 3) }})
	add(gradcheck.Case{Gate: "IndexSelect", Shapes: [][]int{s(4, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.IndexSelect(in[0], 0, []int{3, 0, 3, 1}) }})
	add(gradcheck.Case{Gate: "IndexSelect", Shapes: [][]int{s(2, 4)},
		F: func(in []*ag.Var) *ag.Var { return ag.IndexSelect(in[0], 1, []int{2, 2}) }})
	add(gradcheck.Case{Gate: "Pick", Shapes: [][]int{s(3, 4)},
		F: func(in []*ag.Var) *ag.Var { return ag.Pick(in[0], []int{0, 3, 3}) }})
	add(gradcheck.Case{Gate: "Concat", Shapes: [][]int{s(2, 3), s(1, 3), s(4, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.Concat(0, in...) }})
	add(gradcheck.Case{Gate: "Concat", Shapes: [][]int{s(2, 1), s(2, 5)},
		F: func(in []*ag.Var) *ag.Var { return ag.Concat(-1, in...) }})
	add(gradcheck.Case{Gate: "Concat", Shapes: [][]int{s(2, 3)}, // fan-out
		F: func(in []*ag.Var) *ag.Var { return ag.Concat(1, in[0], in[0]) }})
	add(gradcheck.Case{Gate: "Stack", Shapes: [][]int{s(2, 3), s(2, 3), s(2, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.Stack(1, in...) }})
	add(gradcheck.Case{Gate: "Stack", Shapes: [][]int{s(), s()},
		F: func(in []*ag.Var) *ag.Var { return ag.Stack(0, in...) }})
	cond := tensor.FromSlice([]float64{1, 0, 0, 1, 1, 0}, 2, 3)
	add(gradcheck.Case{Gate: "Where", Shapes: [][]int{s(2, 3), s(2, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.Where(ag.Const(cond), in[0], in[1]) }})
	add(gradcheck.Case{Gate: "Where", Shapes: [][]int{s(3), s()},
		F: func(in []*ag.Var) *ag.Var { return ag.Where(ag.Const(cond), in[0], in[1]) }})
	add(gradcheck.Case{Gate: "Where", Shapes: [][]int{s(2, 3)}, // relu as where(x > 0, x, 0)
		Gen: awayFromZero,
		F: func(in []*ag.Var) *ag.Var {
			zero := ag.Scalar(in[0].DType(), 0)
			return ag.Where(ag.Greater(in[0], zero), in[0], zero)
		}})
	add(gradcheck.Case{Gate: "Linear", Shapes: [][]int{s(4, 3), s(5, 3), s(5)},
		F: func(in []*ag.Var) *ag.Var { return ag.Linear(in[0], in[1], in[2]) }})
	add(gradcheck.Case{Gate: "Linear", Shapes: [][]int{s(1, 1), s(1, 1), s(1)},
		F: func(in []*ag.Var) *ag.Var { return ag.Linear(in[0], in[1], in[2]) }})
	add(gradcheck.Case{Gate: "Linear", Shapes: [][]int{s(3, 3), s(3, 3)}, // fan-out: x·xᵀ + x[0]
		F: func(in []*ag.Var) *ag.Var { return ag.Linear(in[0], in[0], ag.Reshape(ag.Slice(in[0], 0, 0, 1), 3)) }})
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
		add(gradcheck.Case{Gate: "BiasReLU", Shapes: [][]int{sh[0], sh[1]}, Gen: biasGen,
			F: func(in []*ag.Var) *ag.Var { return ag.BiasReLU(in[0], in[1]) }})
	}
	add(gradcheck.Case{Gate: "SoftmaxCrossEntropy", Shapes: [][]int{s(4, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.SoftmaxCrossEntropy(in[0], []int{0, 2, 1, 2}) }})
	add(gradcheck.Case{Gate: "SoftmaxCrossEntropy", Shapes: [][]int{s(1, 1)},
		F: func(in []*ag.Var) *ag.Var { return ag.SoftmaxCrossEntropy(in[0], []int{0}) }})
	return cs
}

// TestGates checks every gate against numerical gradients through the
// shared harness (gradcheck.RunCases): a random upstream gradient, the
// fan-out cases, exactly zero gradients for a zero upstream, unchanged
// inputs, the same bits in a graph that recycles its memory, and float32
// against float64.
func TestGates(t *testing.T) { gradcheck.RunCases(t, gateCases()) }

// TestEveryGateHasARow fails when an exported function of package ag that
// builds a gate has no row in the gradient-check table.
func TestEveryGateHasARow(t *testing.T) {
	gradcheck.CheckCoverage(t, ".", gateCases(), 30, "Param", "Const", "Scalar", "Detach", "Apply")
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
	for name, g := range map[string]func(a, b *ag.Var) *ag.Var{
		"ignores upstream": func(a, b *ag.Var) *ag.Var { return ag.Apply(&wrongMulGate{}, a, b) },
		"wrong sign":       func(a, b *ag.Var) *ag.Var { return ag.Apply(&swappedSubGate{}, a, b) },
	} {
		for _, dirs := range []int{0, 3} {
			r, err := gradcheck.Check(func(v []*ag.Var) *ag.Var { return g(v[0], v[1]) },
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
