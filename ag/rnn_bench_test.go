package ag_test

import (
	"math/rand/v2"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// BenchmarkLSTM runs a training step's forward and backward pass of one
// LSTM layer at the size of the character model (32 sequences of 128
// steps, 64 inputs, 256 hidden, float32) in a recycling graph, fused
// (the gate of ag.LSTM) and composed of the primitive gates cell by cell,
// reporting GFLOP/s of the matrix products (6 per multiply-add of the
// forward products: forward, ∂/∂inputs, ∂/∂weights).
func BenchmarkLSTM(b *testing.B) {
	const n, steps, in, h = 32, 128, 64, 256
	rng := rand.New(rand.NewPCG(1, 1))
	vals := []*tensor.Tensor{
		tensor.Randn(rng, tensor.Float32, n, steps, in),
		tensor.Uniform(rng, tensor.Float32, -0.06, 0.06, 4*h, in), tensor.Uniform(rng, tensor.Float32, -0.06, 0.06, 4*h, h),
		tensor.New(tensor.Float32, 4*h), tensor.New(tensor.Float32, 4*h),
	}
	flops := 6.0 * n * steps * 4 * h * (in + h)
	for _, c := range []struct {
		name string
		f    func(v []*ag.Var, zero *ag.Var) *ag.Var
	}{
		{"fused", func(v []*ag.Var, _ *ag.Var) *ag.Var { return ag.LSTM(v[0], nil, nil, v[1], v[2], v[3], v[4], true) }},
		{"composed", func(v []*ag.Var, zero *ag.Var) *ag.Var { return composedLSTM(v[0], zero, zero, v[1], v[2], v[3], v[4]) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			ps := make([]*ag.Var, len(vals))
			for i, t := range vals {
				ps[i] = ag.Param(t)
			}
			g := ag.NewGraph()
			zeros := tensor.New(tensor.Float32, n, h)
			b.ReportAllocs()
			for b.Loop() {
				x := g.Const(vals[0])
				v := append([]*ag.Var{x}, ps[1:]...)
				zero := g.Const(zeros)
				ag.Backward(ag.Sum(c.f(v, zero), false))
				ag.ZeroGrad(ps...)
				g.Reset()
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
