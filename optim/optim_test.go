package optim

import (
	"math"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// scalarParam returns a one-element Float64 parameter θ with gradient g.
func scalarParam(theta float64) *ag.Var {
	return ag.Param(tensor.FromSlice([]float64{theta}, 1))
}

func setGrad(p *ag.Var, g float64) { p.Grad = tensor.FromSlice([]float64{g}, 1) }

// steps runs two steps of o on p, each with gradient 0.5, and returns θ
// after each.
func steps(o Optimizer, p *ag.Var) [2]float64 {
	var out [2]float64
	for i := range out {
		setGrad(p, 0.5)
		o.Step()
		out[i] = p.Value.Flat(0)
	}
	return out
}

func check(t *testing.T, name string, got, want [2]float64, tol float64) {
	t.Helper()
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			t.Errorf("%s: θ after step %d = %.12g, want %.12g", name, i+1, got[i], want[i])
		}
	}
}

func TestSGDHandComputed(t *testing.T) {
	// θ = 1, g = 0.5 each step, η = 0.1.
	p := scalarParam(1)
	check(t, "plain", steps(NewSGD([]*ag.Var{p}, 0.1), p), [2]float64{0.95, 0.9}, 1e-15)

	// Momentum 0.9, weight decay 0.1:
	// step 1: g = 0.5 + 0.1·1 = 0.6, v = 0.6, θ = 1 − 0.06 = 0.94
	// step 2: g = 0.5 + 0.094 = 0.594, v = 0.54 + 0.594 = 1.134, θ = 0.94 − 0.1134 = 0.8266
	p = scalarParam(1)
	o := NewSGD([]*ag.Var{p}, 0.1)
	o.Momentum, o.WeightDecay = 0.9, 0.1
	check(t, "momentum", steps(o, p), [2]float64{0.94, 0.8266}, 1e-15)

	// Nesterov 0.9:
	// step 1: v = 0.5, g = 0.5 + 0.45 = 0.95, θ = 1 − 0.095 = 0.905
	// step 2: v = 0.45 + 0.5 = 0.95, g = 0.5 + 0.855 = 1.355, θ = 0.905 − 0.1355 = 0.7695
	p = scalarParam(1)
	o = NewSGD([]*ag.Var{p}, 0.1)
	o.Momentum, o.Nesterov = 0.9, true
	check(t, "nesterov", steps(o, p), [2]float64{0.905, 0.7695}, 1e-15)
}

func TestRMSPropHandComputed(t *testing.T) {
	// η = 0.01, α = 0.99:
	// step 1: s = 0.01·0.25 = 0.0025, √s = 0.05, θ = 1 − 0.01·0.5/0.05 = 0.9
	// step 2: s = 0.99·0.0025 + 0.0025 = 0.004975, √s = 0.0705336,
	//         θ = 0.9 − 0.005/0.0705336 = 0.8291119
	p := scalarParam(1)
	check(t, "rmsprop", steps(NewRMSProp([]*ag.Var{p}, 0.01), p), [2]float64{0.9, 0.8291119095}, 1e-7)
}

func TestAdamHandComputed(t *testing.T) {
	// With a constant gradient the bias corrections are exact: m̂ = g and
	// v̂ = g², so each step moves θ by η·g/|g| = η (less ε's 2e-8 share).
	p := scalarParam(1)
	check(t, "adam", steps(NewAdam([]*ag.Var{p}, 0.1), p), [2]float64{0.9, 0.8}, 1e-8)

	// L2 decay 0.1 changes g to 0.6, then 0.59 (θ = 0.9): step 1 still
	// moves by η; step 2: m = 0.9·0.06 + 0.059 = 0.113, m̂ = 0.113/0.19 =
	// 0.594737, v = 0.999·0.00036 + 0.001·0.3481 = 0.00070774,
	// v̂ = 0.00070774/0.001999 = 0.354047, θ = 0.9 − 0.1·0.594737/0.595019
	// = 0.8000474.
	p = scalarParam(1)
	o := NewAdam([]*ag.Var{p}, 0.1)
	o.WeightDecay = 0.1
	check(t, "adam L2", steps(o, p), [2]float64{0.9, 0.8000473405}, 1e-8)

	// AdamW: θ ← θ(1 − ηλ) first, then the plain Adam step of η:
	// step 1: 1·0.99 − 0.1 = 0.89; step 2: 0.89·0.99 − 0.1 = 0.7811.
	p = scalarParam(1)
	check(t, "adamw", steps(NewAdamW([]*ag.Var{p}, 0.1, 0.1), p), [2]float64{0.89, 0.7811}, 1e-8)
}

func TestStepsAllocateNothing(t *testing.T) {
	mk := func() []*ag.Var {
		a := ag.Param(tensor.Ones(tensor.Float32, 10, 10))
		b := ag.Param(tensor.Ones(tensor.Float64, 3))
		a.Grad, b.Grad = tensor.Ones(tensor.Float32, 10, 10), tensor.Ones(tensor.Float64, 3)
		return []*ag.Var{a, b, ag.Param(tensor.Ones(tensor.Float32, 2))} // the last has no gradient
	}
	sgd := NewSGD(mk(), 0.1)
	sgd.Momentum, sgd.Nesterov = 0.9, true
	for name, o := range map[string]Optimizer{
		"SGD": sgd, "RMSProp": NewRMSProp(mk(), 0.1), "Adam": NewAdam(mk(), 0.1), "AdamW": NewAdamW(mk(), 0.1, 0.01),
	} {
		if n := testing.AllocsPerRun(20, o.Step); n != 0 {
			t.Errorf("%s.Step allocates %v times", name, n)
		}
	}
	ps := mk()
	if n := testing.AllocsPerRun(20, func() { ClipGradNorm(ps, 0.5) }); n != 0 {
		t.Errorf("ClipGradNorm allocates %v times", n)
	}
}

func TestClipGradNorm(t *testing.T) {
	a, b := scalarParam(0), scalarParam(0)
	setGrad(a, 3)
	setGrad(b, -4)
	if n := ClipGradNorm([]*ag.Var{a, b}, 10); n != 5 || a.Grad.Flat(0) != 3 {
		t.Errorf("below the limit: norm %v, g %v", n, a.Grad.Flat(0))
	}
	if n := ClipGradNorm([]*ag.Var{a, b}, 1); n != 5 {
		t.Errorf("norm %v", n)
	}
	s := 1 / (5 + 1e-6)
	if math.Abs(a.Grad.Flat(0)-3*s) > 1e-15 || math.Abs(b.Grad.Flat(0)+4*s) > 1e-15 {
		t.Errorf("clipped to %v %v", a.Grad.Flat(0), b.Grad.Flat(0))
	}
}

func TestSchedules(t *testing.T) {
	for _, c := range []struct {
		name string
		s    Schedule
		t    int
		want float64
	}{
		{"constant", Constant(0.3), 99, 0.3},
		{"step 0", StepDecay{Base: 1, Every: 10, Gamma: 0.5}, 9, 1},
		{"step 1", StepDecay{Base: 1, Every: 10, Gamma: 0.5}, 10, 0.5},
		{"step 2", StepDecay{Base: 1, Every: 10, Gamma: 0.5}, 25, 0.25},
		{"cosine start", Cosine{Base: 1, Min: 0.1, Steps: 100}, 0, 1},
		{"cosine middle", Cosine{Base: 1, Min: 0.1, Steps: 100}, 50, 0.55},
		{"cosine end", Cosine{Base: 1, Min: 0.1, Steps: 100}, 100, 0.1},
		{"cosine after", Cosine{Base: 1, Min: 0.1, Steps: 100}, 150, 0.1},
		{"warm-up first", Warmup{Steps: 4, Then: Constant(2)}, 0, 0.5},
		{"warm-up last", Warmup{Steps: 4, Then: Constant(2)}, 3, 2},
		{"warm-up then", Warmup{Steps: 4, Then: Constant(2)}, 7, 2},
	} {
		if got := c.s.LR(c.t); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: LR(%d) = %v, want %v", c.name, c.t, got, c.want)
		}
	}
}

func TestMismatchedGradientPanics(t *testing.T) {
	p := scalarParam(1)
	p.Grad = tensor.FromSlice([]float64{1, 2}, 2)
	defer func() {
		if r := recover(); r != "optim: SGD: parameter 0 is float64[1] but its gradient is float64[2]" {
			t.Errorf("panic %v", r)
		}
	}()
	NewSGD([]*ag.Var{p}, 0.1).Step()
}
