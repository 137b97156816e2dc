package optim

import "math"

// Schedule gives the learning rate of step t, counting from 0; a training
// loop calls SetLR(s.LR(t)) before step t.
type Schedule interface {
	LR(t int) float64
}

// Constant is a fixed learning rate.
type Constant float64

// LR returns the constant.
func (c Constant) LR(int) float64 { return float64(c) }

// StepDecay multiplies the rate by Gamma every Every steps:
//
//	η(t) = Base · Gamma^⌊t / Every⌋
type StepDecay struct {
	Base  float64
	Every int
	Gamma float64
}

// LR returns η(t).
func (s StepDecay) LR(t int) float64 {
	if s.Every <= 0 {
		return s.Base
	}
	return s.Base * math.Pow(s.Gamma, float64(t/s.Every))
}

// Cosine anneals the rate from Base to Min over Steps steps along half a
// cosine, and stays at Min afterwards:
//
//	η(t) = Min + ½(Base − Min)(1 + cos(π·min(t, Steps)/Steps))
type Cosine struct {
	Base, Min float64
	Steps     int
}

// LR returns η(t).
func (c Cosine) LR(t int) float64 {
	if c.Steps <= 0 {
		return c.Base
	}
	t = min(max(t, 0), c.Steps)
	return c.Min + 0.5*(c.Base-c.Min)*(1+math.Cos(math.Pi*float64(t)/float64(c.Steps)))
}

// Warmup ramps the rate of Then up linearly over the first Steps steps:
//
//	η(t) = Then(t) · (t + 1)/Steps   for t < Steps,   Then(t) afterwards
type Warmup struct {
	Steps int
	Then  Schedule
}

// LR returns η(t).
func (w Warmup) LR(t int) float64 {
	lr := w.Then.LR(t)
	if t < w.Steps {
		lr *= float64(t+1) / float64(w.Steps)
	}
	return lr
}
