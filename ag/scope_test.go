package ag_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"backprop/ag"
	"backprop/tensor"
)

// TestScopeOwnership checks the rules of ag.Scope: values made in a scope
// stay valid after End until the next Begin; leaves, their values and
// their gradients are never recycled; tensors made outside the scope are
// not either.
func TestScopeOwnership(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	w := ag.Param(tensor.Randn(rng, tensor.Float64, 3, 4))
	b := ag.Param(tensor.Randn(rng, tensor.Float64, 3))
	x := ag.Const(tensor.Randn(rng, tensor.Float64, 5, 4))
	outside := tensor.Randn(rng, tensor.Float64, 5, 3)
	keep := outside.Clone()
	step := func() (*ag.Var, *ag.Var) {
		logits := ag.Linear(x, w, b)
		loss := ag.SoftmaxCrossEntropy(logits, []int{0, 1, 2, 0, 1})
		ag.Backward(loss)
		return logits, loss
	}
	// The reference, without a scope.
	wantLogits, wantLoss := step()
	wantW, wantB := w.Grad.Clone(), b.Grad.Clone()
	ag.ZeroGrad(w, b)

	var s ag.Scope
	for i := range 3 {
		s.Begin()
		ag.ZeroGrad(w, b)
		logits, loss := step()
		s.End()
		// Valid after End.
		if loss.Item() != wantLoss.Item() || !tensor.Equal(logits.Value, wantLogits.Value) {
			t.Fatalf("round %d: loss %v, logits %v; want %v, %v", i, loss.Item(), logits.Value, wantLoss.Item(), wantLogits.Value)
		}
		// The parameters' gradients are the engine's, not the scope's:
		// they survive the next Begin and the tensors it recycles.
		if !tensor.Equal(w.Grad, wantW) || !tensor.Equal(b.Grad, wantB) {
			t.Fatalf("round %d: gradients %v %v, want %v %v", i, w.Grad, b.Grad, wantW, wantB)
		}
		gw := w.Grad
		s.Begin()
		junk := tensor.Full(tensor.Float64, 7, 3, 4) // may reuse recycled memory
		_ = ag.Linear(x, w, b)
		s.End()
		if gw != w.Grad || !tensor.Equal(w.Grad, wantW) || junk.Flat(0) != 7 {
			t.Fatalf("round %d: a parameter's gradient was recycled", i)
		}
		if !tensor.Equal(outside, keep) {
			t.Fatalf("round %d: a tensor made outside the scope changed", i)
		}
	}
	s.Release()
	if tensor.ActiveArena() != nil {
		t.Fatal("an arena is still active")
	}
}

// TestScopeRecycles checks that a scope hands the same memory out again.
func TestScopeRecycles(t *testing.T) {
	var s ag.Scope
	x := ag.Param(tensor.Ones(tensor.Float32, 8, 8))
	s.Begin()
	y := ag.Mul(x, x)
	s.End()
	first := y.Value
	s.Begin()
	z := ag.Mul(x, x)
	s.End()
	if z.Value != first || z != y {
		t.Errorf("the second round did not reuse the first's Var and tensor")
	}
	s.Release()
}

func TestScopeMisuse(t *testing.T) {
	var a, b ag.Scope
	a.Begin()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a second open scope did not panic")
			}
		}()
		b.Begin()
	}()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Release of an open scope did not panic")
			}
		}()
		a.Release()
	}()
	a.End()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("End of a closed scope did not panic")
			}
		}()
		a.End()
	}()
}

// BenchmarkScalarChainScoped is BenchmarkScalarChain inside an ag.Scope:
// after the first round, the Vars, gates and scalars are recycled.
func BenchmarkScalarChainScoped(b *testing.B) {
	const steps = 50_000
	const gates = 2 * steps
	c := ag.Scalar(tensor.Float64, 1.0001)
	d := ag.Scalar(tensor.Float64, 0.5)
	x := ag.Param(tensor.Scalar(tensor.Float64, 1))
	var s ag.Scope
	var fwd, bwd time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		s.Begin()
		ag.ZeroGrad(x)
		y := x
		for range steps {
			y = ag.Add(ag.Mul(y, c), d)
		}
		t1 := time.Now()
		ag.Backward(y)
		s.End()
		t2 := time.Now()
		fwd += t1.Sub(t0)
		bwd += t2.Sub(t1)
	}
	s.Release()
	n := float64(b.N) * gates
	b.ReportMetric(float64(fwd.Nanoseconds())/n, "fwd-ns/gate")
	b.ReportMetric(float64(bwd.Nanoseconds())/n, "bwd-ns/gate")
	b.ReportMetric(float64((fwd+bwd).Nanoseconds())/n, "ns/gate")
}
