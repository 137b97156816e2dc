package ag_test

import (
	"math"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

func scalar(v float64) *ag.Var { return ag.Param(tensor.Scalar(tensor.Float64, v)) }

// near fails unless got is within tol of want.
func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) {
		t.Errorf("%s = %.17g, want %.17g (±%g)", what, got, want, tol)
	}
}

// The lecture's first circuit: f = (x+y)·z at x=−2, y=5, z=−4. These values
// are exact in binary, so the tolerance is 0.
func TestGoldenAddMul(t *testing.T) {
	x, y, z := scalar(-2), scalar(5), scalar(-4)
	q := ag.Add(x, y)
	f := ag.Mul(q, z)
	ag.Backward(f)
	near(t, "f", f.Item(), -12, 0)
	near(t, "df/dx", x.Grad.Item(), -4, 0)
	near(t, "df/dy", y.Grad.Item(), -4, 0)
	near(t, "df/dz", z.Grad.Item(), 3, 0)
	near(t, "df/dq", q.Grad.Item(), -4, 0)
}

// The lecture's sigmoid neuron σ(w0·x0 + w1·x1 + w2) at w=(2,−3,−3),
// x=(−1,−2), with the fused sigmoid gate and gate by gate as
// 1/(1+exp(−(…))). The values are those the lecture derives, to the last
// digit of float64; the tolerance allows 4 ulps of accumulated rounding.
func TestGoldenSigmoidNeuron(t *testing.T) {
	const tol = 4 * 2.220446049250313e-16
	want := map[string]float64{
		"w0": -0.19661193324148185, "x0": 0.3932238664829637,
		"w1": -0.3932238664829637, "x1": -0.5898357997244456,
		"w2": 0.19661193324148185,
	}
	build := map[string]func(w0, x0, w1, x1, w2 *ag.Var) *ag.Var{
		"fused": func(w0, x0, w1, x1, w2 *ag.Var) *ag.Var {
			return ag.Sigmoid(ag.Add(ag.Add(ag.Mul(w0, x0), ag.Mul(w1, x1)), w2))
		},
		"gate by gate": func(w0, x0, w1, x1, w2 *ag.Var) *ag.Var {
			s := ag.Add(ag.Add(ag.Mul(w0, x0), ag.Mul(w1, x1)), w2)
			one := ag.Scalar(tensor.Float64, 1)
			return ag.Div(one, ag.Add(one, ag.Exp(ag.Neg(s))))
		},
	}
	for name, f := range build {
		t.Run(name, func(t *testing.T) {
			v := map[string]*ag.Var{"w0": scalar(2), "x0": scalar(-1), "w1": scalar(-3), "x1": scalar(-2), "w2": scalar(-3)}
			out := f(v["w0"], v["x0"], v["w1"], v["x1"], v["w2"])
			ag.Backward(out)
			near(t, "f", out.Item(), 0.7310585786300049, tol)
			for k, w := range want {
				near(t, "df/d"+k, v[k].Grad.Item(), w, tol)
			}
		})
	}
}
