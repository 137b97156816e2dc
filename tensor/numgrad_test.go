package tensor_test

import (
	"math"
	"testing"

	"backprop/tensor"
)

// numGrad returns the gradient of L(x) = ⟨r, f()⟩ with respect to every
// element of x by centered differences of step h, where f reads x (which
// numGrad perturbs in place and restores) and returns the output.
func numGrad(f func() *tensor.Tensor, x, r *tensor.Tensor, h float64) []float64 {
	g := make([]float64, x.Len())
	for i := range g {
		v := x.Flat(i)
		x.SetFlat(i, v+h)
		lp := dot(r, f())
		x.SetFlat(i, v-h)
		lm := dot(r, f())
		x.SetFlat(i, v)
		g[i] = (lp - lm) / (2 * h)
	}
	return g
}

// checkGrad compares an analytic gradient with a numerical one by the
// relative error |a − n|/max(|a| + |n|, floor) of every element, as the
// CS231n notes do; floor, a thousandth of the largest numerical element,
// keeps elements near zero from failing on the rounding of the
// differences alone.
func checkGrad(t *testing.T, name string, analytic *tensor.Tensor, numeric []float64, tol float64) {
	t.Helper()
	if analytic.Len() != len(numeric) {
		t.Fatalf("%s: %d elements, want %d", name, analytic.Len(), len(numeric))
	}
	scale := 0.0
	for _, n := range numeric {
		scale = math.Max(scale, math.Abs(n))
	}
	worst, at := 0.0, -1
	for i, n := range numeric {
		a := analytic.Flat(i)
		e := math.Abs(a-n) / math.Max(math.Abs(a)+math.Abs(n), 1e-3*scale+1e-12)
		if !(e <= worst) {
			worst, at = e, i
		}
	}
	if !(worst <= tol) {
		t.Errorf("%s: relative error %.3g at element %d (analytic %v, numeric %v), want ≤ %g", name, worst, at, analytic.Flat(at), numeric[at], tol)
	}
}
