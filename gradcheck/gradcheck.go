// Package gradcheck compares the analytic gradients that package ag
// computes by back-propagation with numerical gradients from centered
// finite differences:
//
//	∂φ/∂xⱼ ≈ (φ(x + h·eⱼ) − φ(x − h·eⱼ)) / 2h,   φ(x) = ⟨u, f(x)⟩
//
// where u is an upstream gradient, random unless given, so that a Backward
// which ignores ∂L/∂out is caught. The error of the estimate is O(h²) plus
// rounding of order ε·|φ|/h, so checks run in float64 only.
//
// The relative error is the one of the CS231n notes,
//
//	rel = |a − n| / max(|a|, |n|)
//
// with the denominator held at least at Options.Floor, so that rounding
// noise on a zero gradient (about 1e-10 with the default step) does not
// read as a 100% error. The notes' thresholds apply: rel < 1e-7 is good;
// up to 1e-4 is acceptable near kinks (ReLU, max) and in deep compositions;
// 1e-4 to 1e-2 is questionable; above 1e-2 the gradient is wrong.
package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"

	"backprop/ag"
	"backprop/tensor"
)

// Thresholds for the relative error, from the CS231n notes.
const (
	Good         = 1e-7 // below: the gradient is right
	Questionable = 1e-4 // above: suspect it, unless near a kink
	Wrong        = 1e-2 // above: the gradient is wrong
)

// Func builds the function to check from Vars holding its inputs.
type Func func(in []*ag.Var) *ag.Var

// Options tune a check. The zero value is usable.
type Options struct {
	// Eps is the finite-difference step h; 0 means 1e-6.
	Eps float64
	// Floor is the least denominator of the relative error; 0 means 1e-3.
	Floor float64
	// Rand draws the upstream gradient and the directions; nil means a
	// generator seeded with 1, so that checks are reproducible.
	Rand *rand.Rand
	// Upstream is ∂L/∂out to back-propagate; nil means standard normal
	// samples. A scalar function's true gradient is checked with ones.
	Upstream *tensor.Tensor
	// Directions, when positive, switches to the cheap directional mode for
	// large inputs: instead of perturbing every element (two evaluations of
	// f each), it compares the derivative along that many random unit
	// directions per input, ⟨∇φ, v⟩, with (φ(x+hv) − φ(x−hv)) / 2h.
	Directions int
	// Graph, if not nil, runs every evaluation of the function in it: the
	// inputs are Vars of Graph, which is Reset before each evaluation, so
	// that the check covers recycled memory (use ag.PoisonRecycled to make
	// a use after Reset show up as NaN).
	Graph *ag.Graph
}

// InputResult is the comparison for one input.
type InputResult struct {
	// Analytic is the back-propagated gradient (zeros where Backward gave
	// none) and Numeric the finite-difference one; both are nil in the
	// directional mode.
	Analytic, Numeric *tensor.Tensor
	// MaxAbsErr and MaxRelErr are the worst errors over the elements (or
	// over the directions).
	MaxAbsErr, MaxRelErr float64
	// Worst is the flat index of the element with the worst relative error
	// (the direction's number in the directional mode).
	Worst int
}

// Result is the outcome of Check.
type Result struct {
	Inputs []InputResult
	// MaxAbsErr and MaxRelErr are the worst over all inputs.
	MaxAbsErr, MaxRelErr float64
}

// Verdict names the band MaxRelErr falls in: "good", "acceptable",
// "questionable" or "wrong".
func (r *Result) Verdict() string { return Verdict(r.MaxRelErr) }

// Verdict names the band a relative error falls in.
func Verdict(rel float64) string {
	switch {
	case rel < Good:
		return "good"
	case rel <= Questionable:
		return "acceptable"
	case rel <= Wrong:
		return "questionable"
	}
	return "wrong"
}

// RelErr returns |a − n| / max(|a|, |n|, floor).
func RelErr(a, n, floor float64) float64 {
	d := math.Abs(a - n)
	if d == 0 {
		return 0
	}
	return d / max(math.Abs(a), math.Abs(n), floor)
}

// Check back-propagates through f at the given float64 inputs and compares
// the gradient with respect to every input with centered differences. It
// returns an error, not a panic, for inputs it cannot check: a float32
// input, an output that is not float64, a function that modifies its
// inputs or whose output does not depend on them.
func Check(f Func, inputs []*tensor.Tensor, opt *Options) (*Result, error) {
	var o Options
	if opt != nil {
		o = *opt
	}
	if o.Eps == 0 {
		o.Eps = 1e-6
	}
	if o.Floor == 0 {
		o.Floor = 1e-3
	}
	if o.Rand == nil {
		o.Rand = rand.New(rand.NewPCG(1, 2))
	}
	for i, t := range inputs {
		if t.DType() != tensor.Float64 {
			return nil, fmt.Errorf("gradcheck: input %d is %v; gradients are checked in float64 only (convert with t.As(tensor.Float64))", i, t.DType())
		}
	}

	// Analytic gradients, on copies so that the caller's tensors stay as
	// they were.
	g := o.Graph
	params := make([]*ag.Var, len(inputs))
	if g != nil {
		g.Reset()
	}
	for i, t := range inputs {
		if g != nil {
			params[i] = g.Param(t.Clone())
		} else {
			params[i] = ag.Param(t.Clone())
		}
	}
	y := f(params)
	if y.DType() != tensor.Float64 {
		return nil, fmt.Errorf("gradcheck: output is %v, want float64", y.DType())
	}
	u := o.Upstream
	if u == nil {
		u = tensor.Randn(o.Rand, tensor.Float64, y.Shape()...)
	} else if !tensor.SameShape(u.Shape(), y.Shape()) || u.DType() != tensor.Float64 {
		return nil, fmt.Errorf("gradcheck: upstream is %v%v, output is float64%v", u.DType(), u.Shape(), y.Shape())
	}
	if !y.RequiresGrad() {
		return nil, fmt.Errorf("gradcheck: the output does not depend on the inputs through any gate")
	}
	ag.Backward(y, ag.Seed(u))
	xs := make([]*tensor.Tensor, len(inputs)) // the inputs, perturbed in place below
	for i, p := range params {
		if !tensor.Equal(p.Value, inputs[i]) {
			return nil, fmt.Errorf("gradcheck: the function modified input %d", i)
		}
		xs[i] = p.Value.Clone()
	}
	analytic := make([]*tensor.Tensor, len(inputs)) // leaves' gradients: ordinary memory
	for i, p := range params {
		analytic[i] = p.Grad
		if analytic[i] == nil {
			analytic[i] = tensor.ZerosLike(xs[i])
		}
	}

	// φ(x) = ⟨u, f(x)⟩ with constant inputs: nothing is recorded.
	consts := make([]*ag.Var, len(inputs))
	phi := func() float64 {
		if g != nil {
			g.Reset()
		}
		for i, x := range xs {
			if g != nil {
				consts[i] = g.Const(x)
			} else {
				consts[i] = ag.Const(x)
			}
		}
		out := f(consts).Value
		s := 0.0
		for j := 0; j < out.Len(); j++ {
			s += u.Flat(j) * out.Flat(j)
		}
		return s
	}

	res := &Result{Inputs: make([]InputResult, len(inputs))}
	for i := range params {
		analytic := analytic[i]
		x := xs[i]
		r := &res.Inputs[i]
		if o.Directions > 0 {
			for d := 0; d < o.Directions; d++ {
				v := unitDirection(o.Rand, x.Len())
				a := 0.0
				for j, vj := range v {
					a += analytic.Flat(j) * vj
				}
				shift(x, v, o.Eps)
				fp := phi()
				shift(x, v, -2*o.Eps)
				fm := phi()
				shift(x, v, o.Eps)
				n := (fp - fm) / (2 * o.Eps)
				r.note(d, a, n, o.Floor)
			}
		} else {
			numeric := tensor.ZerosLike(x)
			for j := 0; j < x.Len(); j++ {
				orig := x.Flat(j)
				x.SetFlat(j, orig+o.Eps)
				fp := phi()
				x.SetFlat(j, orig-o.Eps)
				fm := phi()
				x.SetFlat(j, orig)
				n := (fp - fm) / (2 * o.Eps)
				numeric.SetFlat(j, n)
				r.note(j, analytic.Flat(j), n, o.Floor)
			}
			r.Analytic, r.Numeric = analytic, numeric
		}
		res.MaxAbsErr = max(res.MaxAbsErr, r.MaxAbsErr)
		res.MaxRelErr = max(res.MaxRelErr, r.MaxRelErr)
	}
	return res, nil
}

func (r *InputResult) note(j int, a, n, floor float64) {
	abs := math.Abs(a - n)
	rel := RelErr(a, n, floor)
	switch {
	case math.IsNaN(a) && math.IsNaN(n):
		abs, rel = 0, 0 // both undefined: they agree
	case math.IsNaN(abs) || math.IsInf(abs, 0):
		abs, rel = math.Inf(1), math.Inf(1)
	}
	r.MaxAbsErr = max(r.MaxAbsErr, abs)
	if rel > r.MaxRelErr || j == 0 {
		r.Worst = j
	}
	r.MaxRelErr = max(r.MaxRelErr, rel)
}

func unitDirection(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	norm := 0.0
	for j := range v {
		v[j] = rng.NormFloat64()
		norm += v[j] * v[j]
	}
	norm = math.Sqrt(norm)
	for j := range v {
		v[j] /= norm
	}
	return v
}

// shift adds s·v to x element-wise.
func shift(x *tensor.Tensor, v []float64, s float64) {
	for j, vj := range v {
		x.SetFlat(j, x.Flat(j)+s*vj)
	}
}
