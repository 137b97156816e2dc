package ag_test

import (
	"math/rand/v2"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// TestGradientAddedInPlace checks the gates that add a parameter's
// gradient straight into its buffer (matrix products, Linear, BiasReLU):
// two Backward passes without ZeroGrad must give twice the gradient of one,
// ZeroGrad must start afresh, and a Var used twice gets both gradients.
func TestGradientAddedInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		x := ag.Param(tensor.Randn(rng, dt, 4, 3))
		w := ag.Param(tensor.Randn(rng, dt, 5, 3))
		b := ag.Param(tensor.Randn(rng, dt, 5))
		w2 := ag.Param(tensor.Randn(rng, dt, 2, 5))
		m := ag.Param(tensor.Randn(rng, dt, 3, 3))
		params := []*ag.Var{x, w, b, w2, m}
		loss := func() *ag.Var {
			h := ag.BiasReLU(ag.MatMulT(x, w, false, true), b)
			y := ag.Linear(h, w2, ag.Slice(b, 0, 0, 2))
			z := ag.MatMul(m, m) // fan-out
			return ag.Add(ag.Sum(ag.Mul(y, y), false), ag.Sum(ag.Mul(z, z), false))
		}
		ag.Backward(loss())
		once := make([]*tensor.Tensor, len(params))
		for i, p := range params {
			once[i] = p.Grad.Clone()
		}
		ag.Backward(loss())
		for i, p := range params {
			want := tensor.Scale(once[i], 2)
			if !tensor.AllClose(p.Grad, want, 1e-5, 1e-5) {
				t.Errorf("%v: parameter %d after two passes: %v, want %v", dt, i, p.Grad, want)
			}
		}
		ag.ZeroGrad(params...)
		ag.Backward(loss())
		for i, p := range params {
			if !tensor.AllClose(p.Grad, once[i], 1e-5, 1e-5) {
				t.Errorf("%v: parameter %d after ZeroGrad: %v, want %v", dt, i, p.Grad, once[i])
			}
		}
	}
}
