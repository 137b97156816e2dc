package optim

import (
	"fmt"
	"math"
)

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

// MultiStep multiplies the rate by Gamma at every milestone step, as
// PyTorch's MultiStepLR does:
//
//	η(t) = Base · Gamma^(number of milestones ≤ t)
type MultiStep struct {
	Base       float64
	Milestones []int // in increasing order
	Gamma      float64
}

// LR returns η(t).
func (m MultiStep) LR(t int) float64 {
	lr := m.Base
	for _, s := range m.Milestones {
		if t >= s {
			lr *= m.Gamma
		}
	}
	return lr
}

// Schedules lists the schedules that NewSchedule makes, by name.
var Schedules = []string{"cosine", "step", "constant"}

// NewSchedule returns the schedule called name over a run of steps steps
// peaking at base, after a linear warm-up of warmup steps (at most half
// the run; 0 for none):
//
//	"cosine"    Cosine from base to 0 over the steps
//	"step"      MultiStep ×0.1 at half and at three quarters of the steps
//	"constant"  base throughout
//
// An unknown name is an error that lists the names.
func NewSchedule(name string, base float64, steps, warmup int) (Schedule, error) {
	var s Schedule
	switch name {
	case "cosine":
		s = Cosine{Base: base, Min: 0, Steps: steps}
	case "step":
		// t ≥ ⌈steps/2⌉ and t ≥ ⌈3·steps/4⌉, as 2t ≥ steps and 4t ≥ 3·steps.
		s = MultiStep{Base: base, Milestones: []int{(steps + 1) / 2, (3*steps + 3) / 4}, Gamma: 0.1}
	case "constant":
		s = Constant(base)
	default:
		return nil, fmt.Errorf("optim: unknown schedule %q: want %s", name, orList(Schedules))
	}
	if warmup > 0 {
		s = Warmup{Steps: min(warmup, steps/2), Then: s}
	}
	return s, nil
}
