package nn

import (
	"math/rand/v2"
	"testing"

	"backprop/ag"
	"backprop/gradcheck"
	"backprop/tensor"
)

// fixed returns a generator that gives the tensor t for every input.
func fixed(t *tensor.Tensor) func(*rand.Rand, int, []int) *tensor.Tensor {
	return func(*rand.Rand, int, []int) *tensor.Tensor { return t.Clone() }
}

// gateCases are the rows of the gradient-check table for this package:
// its own gates (ELU, Maxout, the hinge loss, BCE with logits) and the
// layers and losses built from ag's gates, checked through the harness
// that ag uses too (gradcheck.RunCases).
func gateCases() []gradcheck.Case {
	rng := rand.New(rand.NewPCG(7, 8))
	labels := []int{0, 2, 1, 2}
	// Scores whose margins stay away from the hinge's kink at 0.
	scores := tensor.FromSlice([]float64{
		3.2, 5.1, -1.7,
		1.3, 4.9, 2.0,
		2.2, 2.5, -3.1,
		0.1, 0.4, 2.9}, 4, 3)
	targets := tensor.Rand(rng, tensor.Float64, 3, 4)
	s := func(dims ...int) []int { return dims }
	return []gradcheck.Case{
		{Gate: "ELU", Shapes: [][]int{s(3, 5)}, Gen: gradcheck.AwayFromZero,
			F: func(in []*ag.Var) *ag.Var { return ELU(in[0], 1) }},
		{Gate: "ELU", Shapes: [][]int{s(2, 3)}, Gen: gradcheck.AwayFromZero, // α = 0.5, fan-out
			F: func(in []*ag.Var) *ag.Var { return ag.Mul(ELU(in[0], 0.5), in[0]) }},
		{Gate: "Maxout", Shapes: [][]int{s(3, 8)},
			F: func(in []*ag.Var) *ag.Var { return Maxout(in[0], 2) }},
		{Gate: "Maxout", Shapes: [][]int{s(2, 6)}, // k = 3, fan-out
			F: func(in []*ag.Var) *ag.Var { return ag.Add(Maxout(in[0], 3), Maxout(in[0], 3)) }},
		{Gate: "Hinge", Shapes: [][]int{s(4, 3)}, Gen: fixed(scores),
			F: func(in []*ag.Var) *ag.Var { return Hinge(in[0], labels) }},
		{Gate: "Hinge", Shapes: [][]int{s(4, 3)}, Gen: fixed(scores), // scaled
			F: func(in []*ag.Var) *ag.Var { return ag.Mul(Hinge(in[0], labels), ag.Scalar(in[0].DType(), -3)) }},
		{Gate: "BCEWithLogits", Shapes: [][]int{s(3, 4)},
			F: func(in []*ag.Var) *ag.Var { return BCEWithLogits(in[0], targets) }},
		{Gate: "BCEWithLogits", Shapes: [][]int{s(3, 4)}, // large logits, fan-out
			Gen: fixed(tensor.FromSlice([]float64{-30, -3, 0.5, 4, 25, 1, -1, 2, 0.2, -0.7, 8, -8}, 3, 4)),
			F:   func(in []*ag.Var) *ag.Var { return ag.Mul(BCEWithLogits(in[0], targets), in[0]) }},
		{Gate: "Linear", Shapes: [][]int{s(4, 3), s(2, 3), s(2)},
			F: func(in []*ag.Var) *ag.Var { return (&Linear{In: 3, Out: 2, Weight: in[1], Bias: in[2]}).Forward(in[0]) }},
		{Gate: "Linear", Shapes: [][]int{s(3), s(2, 3), s(2)}, // a single example, 1-d
			F: func(in []*ag.Var) *ag.Var { return (&Linear{In: 3, Out: 2, Weight: in[1], Bias: in[2]}).Forward(in[0]) }},
		{Gate: "MSE", Shapes: [][]int{s(3, 2), s(3, 2)},
			F: func(in []*ag.Var) *ag.Var { return MSE(in[0], in[1]) }},
		{Gate: "L2", Shapes: [][]int{s(3, 2), s(4)},
			F: func(in []*ag.Var) *ag.Var { return L2(0.3, in[0], in[1]) }},
		{Gate: "HalfL2", Shapes: [][]int{s(3, 2)},
			F: func(in []*ag.Var) *ag.Var { return HalfL2(0.3, in[0]) }},
		{Gate: "Standardize", Shapes: [][]int{s(3, 4)},
			F: func(in []*ag.Var) *ag.Var { return Standardize(in[0], 0.13, 0.31) }},
		{Gate: "Standardize", Shapes: [][]int{s(2, 5)}, // fan-out
			F: func(in []*ag.Var) *ag.Var { return ag.Mul(Standardize(in[0], -2, 4), in[0]) }},
		{Gate: "SoftmaxCrossEntropy", Shapes: [][]int{s(3, 4)},
			F: func(in []*ag.Var) *ag.Var { return SoftmaxCrossEntropy(in[0], []int{3, 0, 1}) }},
		{Gate: "SequenceCrossEntropy", Shapes: [][]int{s(2, 3, 5)},
			F: func(in []*ag.Var) *ag.Var { return SequenceCrossEntropy(in[0], []int{4, 0, ag.IgnoreIndex, 1, 1, 3}) }},
	}
}

func TestGradcheck(t *testing.T) { gradcheck.RunCases(t, gateCases()) }

// Every exported function of this package that returns a Var has a row.
func TestEveryGateHasAGradcheckRow(t *testing.T) {
	gradcheck.CheckCoverage(t, ".", gateCases(), 8)
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
