package ag_test

import (
	"testing"
	"time"

	"backprop/ag"
	"backprop/tensor"
)

// BenchmarkScalarChain builds x = x·1.0001 + 0.5 repeated 50,000 times
// (100,000 gates) and back-propagates through it, reporting nanoseconds per
// gate for the forward pass, the backward pass and both.
func BenchmarkScalarChain(b *testing.B) {
	const steps = 50_000
	const gates = 2 * steps
	c := ag.Scalar(tensor.Float64, 1.0001)
	d := ag.Scalar(tensor.Float64, 0.5)
	var fwd, bwd time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		x := ag.Param(tensor.Scalar(tensor.Float64, 1))
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
