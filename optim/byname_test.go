package optim

import (
	"fmt"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

func TestNewByName(t *testing.T) {
	p := []*ag.Var{ag.Param(tensor.Scalar(tensor.Float64, 1))}
	o := Options{LR: 0.1, Momentum: 0.8, WeightDecay: 0.01}
	want := map[string]string{"adam": "*optim.Adam", "adamw": "*optim.Adam", "sgd": "*optim.SGD", "nesterov": "*optim.SGD", "rmsprop": "*optim.RMSProp"}
	for _, name := range Names {
		opt, err := New(name, p, o)
		if err != nil {
			t.Fatalf("New(%q): %v", name, err)
		}
		if got := fmt.Sprintf("%T", opt); got != want[name] || opt.LR() != 0.1 {
			t.Errorf("New(%q) = %s with lr %g, want %s with 0.1", name, got, opt.LR(), want[name])
		}
		// The state tensors the size of the parameters (Adam adds one of
		// step counts, a number per parameter).
		n := len(opt.(Stateful).StateTensors())
		if _, adam := opt.(*Adam); adam {
			n--
		}
		if n != Slots(name)*len(p) {
			t.Errorf("New(%q): %d state tensors, Slots says %d", name, n, Slots(name))
		}
	}
	if s := mustNew(t, "nesterov", p, o).(*SGD); !s.Nesterov || s.Momentum != 0.8 || s.WeightDecay != 0.01 {
		t.Errorf("nesterov: %+v", s)
	}
	if s := mustNew(t, "sgd", p, o).(*SGD); s.Nesterov || s.Momentum != 0.8 {
		t.Errorf("sgd: %+v", s)
	}
	if a := mustNew(t, "adam", p, o).(*Adam); a.WeightDecay != 0.01 {
		t.Errorf("adam: weight decay %g", a.WeightDecay)
	}
	if _, err := New("adagrad", p, o); err == nil || err.Error() != `optim: unknown optimizer "adagrad": want adam, adamw, sgd, nesterov or rmsprop` {
		t.Errorf("New(adagrad): %v", err)
	}
	if Slots("adagrad") != 0 {
		t.Error("Slots of an unknown optimizer is not 0")
	}
}

func mustNew(t *testing.T, name string, p []*ag.Var, o Options) Optimizer {
	opt, err := New(name, p, o)
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

func TestNewSchedule(t *testing.T) {
	// step: ×0.1 from step ⌈steps/2⌉, ×0.01 from ⌈3·steps/4⌉.
	gamma := 0.1 // a variable, so that gamma·gamma is rounded as at run time
	for _, steps := range []int{1, 2, 3, 7, 10, 101} {
		s, err := NewSchedule("step", 1, steps, 0)
		if err != nil {
			t.Fatal(err)
		}
		for k := range steps {
			want := 1.0
			if 2*k >= steps {
				want = 0.1
			}
			if 4*k >= 3*steps {
				want = gamma * gamma
			}
			if got := s.LR(k); got != want {
				t.Errorf("step schedule of %d steps at %d: %g, want %g", steps, k, got, want)
			}
		}
	}
	c, _ := NewSchedule("cosine", 2, 100, 10)
	if c.LR(0) != 0.2 || c.LR(9) != (Cosine{Base: 2, Steps: 100}).LR(9) || c.LR(100) != 0 {
		t.Errorf("cosine with warm-up: %g %g %g", c.LR(0), c.LR(9), c.LR(100))
	}
	k, _ := NewSchedule("constant", 0.5, 10, 0)
	if k.LR(0) != 0.5 || k.LR(9) != 0.5 {
		t.Errorf("constant: %g %g", k.LR(0), k.LR(9))
	}
	if _, err := NewSchedule("exp", 1, 10, 0); err == nil || err.Error() != `optim: unknown schedule "exp": want cosine, step or constant` {
		t.Errorf("NewSchedule(exp): %v", err)
	}
	if m := (MultiStep{Base: 1, Milestones: []int{2, 4}, Gamma: 0.5}); m.LR(1) != 1 || m.LR(2) != 0.5 || m.LR(5) != 0.25 {
		t.Errorf("MultiStep: %g %g %g", m.LR(1), m.LR(2), m.LR(5))
	}
}
