package ag_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"backprop/ag"
	"backprop/tensor"
)

// TestGraphOwnership checks the rules of ag.Graph: what a step makes stays
// valid until the next Reset; leaves, their values and their gradients
// are never recycled; tensors made from no graph's data are not either.
func TestGraphOwnership(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	w := ag.Param(tensor.Randn(rng, tensor.Float64, 3, 4))
	b := ag.Param(tensor.Randn(rng, tensor.Float64, 3))
	batch := tensor.Randn(rng, tensor.Float64, 5, 4)
	keepBatch := batch.Clone()
	outside := tensor.Randn(rng, tensor.Float64, 5, 3)
	keep := outside.Clone()
	step := func(x *ag.Var) (*ag.Var, *ag.Var) {
		logits := ag.Linear(x, w, b)
		loss := ag.SoftmaxCrossEntropy(logits, []int{0, 1, 2, 0, 1})
		ag.Backward(loss)
		return logits, loss
	}
	// The reference, without a graph.
	wantLogits, wantLoss := step(ag.Const(batch))
	wantW, wantB := w.Grad.Clone(), b.Grad.Clone()

	g := ag.NewGraph(ag.PoisonRecycled)
	for i := range 3 {
		g.Reset()
		ag.ZeroGrad(w, b)
		logits, loss := step(g.Const(batch))
		if logits.Graph() != g || loss.Graph() != g || logits.Value.Arena() == nil {
			t.Fatalf("round %d: the step's Vars are not the graph's", i)
		}
		if loss.Item() != wantLoss.Item() || !tensor.Equal(logits.Value, wantLogits.Value) {
			t.Fatalf("round %d: loss %v, logits %v; want %v, %v", i, loss.Item(), logits.Value, wantLoss.Item(), wantLogits.Value)
		}
		// The parameters' gradients are the engine's, not the graph's:
		// they survive the next Reset and the tensors it recycles.
		if !tensor.Equal(w.Grad, wantW) || !tensor.Equal(b.Grad, wantB) || w.Grad.Arena() != nil {
			t.Fatalf("round %d: gradients %v %v, want %v %v", i, w.Grad, b.Grad, wantW, wantB)
		}
		gw, lv, kept := w.Grad, logits.Value, logits.Value.Clone()
		g.Reset()
		if !math.IsNaN(lv.Flat(0)) || logits.Value != nil {
			t.Fatalf("round %d: a recycled tensor was not poisoned, or a Var not cleared", i)
		}
		junk := ag.Mul(g.Const(outside), g.Scalar(tensor.Float64, 7)) // reuses recycled memory
		if gw != w.Grad || !tensor.Equal(w.Grad, wantW) || junk.Value.Flat(0) != 7*outside.Flat(0) {
			t.Fatalf("round %d: a parameter's gradient was recycled", i)
		}
		if !tensor.Equal(kept, wantLogits.Value) || !tensor.Equal(outside, keep) || !tensor.Equal(batch, keepBatch) {
			t.Fatalf("round %d: a tensor the graph does not own changed", i)
		}
	}
}

// TestGraphRecycles checks that a graph hands the same memory out again
// and that a warm step allocates nothing.
func TestGraphRecycles(t *testing.T) {
	g := ag.NewGraph()
	x := ag.Param(tensor.Ones(tensor.Float32, 8, 8))
	ones := tensor.Ones(tensor.Float32, 8, 8)
	step := func() *ag.Var {
		g.Reset()
		ag.ZeroGrad(x)
		y := ag.Sum(ag.Mul(ag.Mul(x, g.Const(ones)), x), false)
		ag.Backward(y)
		return y
	}
	y := step()
	first := y.Value
	z := step()
	if z.Value != first || z != y {
		t.Errorf("the second step did not reuse the first's Var and tensor")
	}
	if vars, tensors := g.Live(); vars < 4 || tensors < 4 {
		t.Errorf("Live: %d Vars, %d tensors after a step", vars, tensors)
	}
	if n := testing.AllocsPerRun(20, func() { step() }); n != 0 {
		t.Errorf("a warm step allocates %v times", n)
	}
	g.Reset()
	if vars, tensors := g.Live(); vars != 0 || tensors != 0 {
		t.Errorf("Live after Reset: %d Vars, %d tensors", vars, tensors)
	}
}

// Vars of two graphs do not mix; Vars of no graph mix with either.
func TestGraphsDoNotMix(t *testing.T) {
	a, b := ag.NewGraph(), ag.NewGraph()
	x, y := a.Const(tensor.FromSlice([]float64{1})), b.Const(tensor.FromSlice([]float64{2}))
	p := ag.Param(tensor.FromSlice([]float64{3}))
	if ag.Mul(x, p).Graph() != a || ag.Mul(p, y).Graph() != b || ag.Mul(p, p).Graph() != nil {
		t.Fatal("the output does not belong to its inputs' graph")
	}
	mustPanic(t, "ag: mul: inputs belong to different graphs", func() { ag.Mul(x, y) })
}

// A Var used after its graph's Reset is a clear error, not a crash
// somewhere inside a gate.
func TestUseAfterReset(t *testing.T) {
	g := ag.NewGraph()
	x := g.Const(tensor.FromSlice([]float64{1, 2}))
	g.Reset()
	mustPanic(t, "has no value (a Var used after its graph's Reset?)", func() { ag.Exp(x) })
}

// BenchmarkScalarChainGraph is BenchmarkScalarChain in an ag.Graph: after
// the first round, the Vars, gates and scalars are recycled.
func BenchmarkScalarChainGraph(b *testing.B) {
	const steps = 50_000
	const gates = 2 * steps
	x := ag.Param(tensor.Scalar(tensor.Float64, 1))
	g := ag.NewGraph()
	var fwd, bwd time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		g.Reset()
		ag.ZeroGrad(x)
		c, d := g.Scalar(tensor.Float64, 1.0001), g.Scalar(tensor.Float64, 0.5)
		y := x
		for range steps {
			y = ag.Add(ag.Mul(y, c), d)
		}
		t1 := time.Now()
		ag.Backward(y)
		t2 := time.Now()
		fwd += t1.Sub(t0)
		bwd += t2.Sub(t1)
	}
	n := float64(b.N) * gates
	b.ReportMetric(float64(fwd.Nanoseconds())/n, "fwd-ns/gate")
	b.ReportMetric(float64(bwd.Nanoseconds())/n, "bwd-ns/gate")
	b.ReportMetric(float64((fwd+bwd).Nanoseconds())/n, "ns/gate")
}
