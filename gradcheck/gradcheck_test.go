package gradcheck_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/gradcheck"
	"backprop/tensor"
)

func square(in []*ag.Var) *ag.Var { return ag.Mul(in[0], in[0]) }

func TestNumericMatchesKnownDerivative(t *testing.T) {
	x := tensor.FromSlice([]float64{-1.5, 0.25, 3})
	r, err := gradcheck.Check(square, []*tensor.Tensor{x}, &gradcheck.Options{Upstream: tensor.Ones(tensor.Float64, 3)})
	if err != nil {
		t.Fatal(err)
	}
	for j, want := range []float64{-3, 0.5, 6} {
		if got := r.Inputs[0].Numeric.Flat(j); math.Abs(got-want) > 1e-8 {
			t.Errorf("numeric[%d] = %v, want %v", j, got, want)
		}
		if got := r.Inputs[0].Analytic.Flat(j); got != want {
			t.Errorf("analytic[%d] = %v, want %v", j, got, want)
		}
	}
	if r.MaxRelErr > gradcheck.Good || r.Verdict() != "good" {
		t.Errorf("relative error %g, verdict %s", r.MaxRelErr, r.Verdict())
	}
}

func TestRefusesFloat32(t *testing.T) {
	_, err := gradcheck.Check(square, []*tensor.Tensor{tensor.FromSlice([]float32{1})}, nil)
	if err == nil || !strings.Contains(err.Error(), "input 0 is float32") {
		t.Fatalf("err = %v, want a float32 refusal", err)
	}
}

type scribbleGate struct{}

func (scribbleGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	in[0].Fill(0) // a bug: a gate must not write its inputs
	return in[0].Clone()
}

func (scribbleGate) Backward(dout *tensor.Tensor, _ []bool) []*tensor.Tensor {
	return []*tensor.Tensor{dout}
}

func TestDetectsModifiedInput(t *testing.T) {
	x := tensor.FromSlice([]float64{1, 2})
	_, err := gradcheck.Check(func(in []*ag.Var) *ag.Var { return ag.Apply(&scribbleGate{}, in[0]) }, []*tensor.Tensor{x}, nil)
	if err == nil || !strings.Contains(err.Error(), "modified input 0") {
		t.Fatalf("err = %v", err)
	}
	if x.Flat(0) != 1 {
		t.Fatal("Check let the function write the caller's tensor")
	}
}

func TestDirectionalMode(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	w := tensor.Randn(rng, tensor.Float64, 40, 30)
	x := tensor.Randn(rng, tensor.Float64, 30, 20)
	f := func(in []*ag.Var) *ag.Var { return ag.Tanh(ag.MatMul(in[0], in[1])) }
	r, err := gradcheck.Check(f, []*tensor.Tensor{w, x}, &gradcheck.Options{Directions: 5})
	if err != nil {
		t.Fatal(err)
	}
	if r.Inputs[0].Analytic != nil {
		t.Error("directional mode should not return full gradients")
	}
	if r.MaxRelErr > 1e-6 {
		t.Errorf("directional relative error %g", r.MaxRelErr)
	}
}

func TestVerdictBands(t *testing.T) {
	for rel, want := range map[float64]string{1e-9: "good", 1e-5: "acceptable", 1e-3: "questionable", 0.5: "wrong", math.Inf(1): "wrong"} {
		if got := gradcheck.Verdict(rel); got != want {
			t.Errorf("Verdict(%g) = %s, want %s", rel, got, want)
		}
	}
	if got := gradcheck.RelErr(1, 1.1, 1e-3); math.Abs(got-0.1/1.1) > 1e-15 {
		t.Errorf("RelErr(1, 1.1) = %v", got)
	}
	if got := gradcheck.RelErr(0, 1e-10, 1e-3); got != 1e-7 {
		t.Errorf("RelErr(0, 1e-10) = %v, want the floor to apply", got)
	}
}

func TestConstantOutputIsAnError(t *testing.T) {
	_, err := gradcheck.Check(func(in []*ag.Var) *ag.Var { return ag.Scalar(tensor.Float64, 1) },
		[]*tensor.Tensor{tensor.FromSlice([]float64{1})}, nil)
	if err == nil {
		t.Fatal("want an error for an output that does not depend on the inputs")
	}
}
