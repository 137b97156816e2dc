package optim

import (
	"fmt"
	"strings"

	"backprop/ag"
)

// Names lists the optimizers that New makes, by the names it takes.
var Names = []string{"adam", "adamw", "sgd", "nesterov", "rmsprop"}

// Options are the hyperparameters of an optimizer made by New.
type Options struct {
	LR float64
	// Momentum is the momentum of sgd and nesterov (0 for none).
	Momentum float64
	// WeightDecay is L2 weight decay, added to the gradient, for sgd,
	// nesterov, rmsprop and adam, and decoupled weight decay for adamw.
	WeightDecay float64
}

// New returns the optimizer called name (one of Names) over params:
// "adam" (NewAdam), "adamw" (NewAdamW), "sgd" (NewSGD, with
// o.Momentum), "nesterov" (SGD with Nesterov momentum) or "rmsprop"
// (NewRMSProp). An unknown name is an error that lists the names.
func New(name string, params []*ag.Var, o Options) (Optimizer, error) {
	switch name {
	case "adam":
		a := NewAdam(params, o.LR)
		a.WeightDecay = o.WeightDecay
		return a, nil
	case "adamw":
		return NewAdamW(params, o.LR, o.WeightDecay), nil
	case "rmsprop":
		r := NewRMSProp(params, o.LR)
		r.WeightDecay = o.WeightDecay
		return r, nil
	case "sgd", "nesterov":
		s := NewSGD(params, o.LR)
		s.Momentum, s.Nesterov, s.WeightDecay = o.Momentum, name == "nesterov", o.WeightDecay
		return s, nil
	}
	return nil, fmt.Errorf("optim: unknown optimizer %q: want %s", name, orList(Names))
}

// Slots returns the number of state tensors, each the size of the
// parameters, that the optimizer called name keeps: 2 for adam and
// adamw, 1 for sgd, nesterov (the velocity) and rmsprop, and 0 for an
// unknown name.
func Slots(name string) int {
	switch name {
	case "adam", "adamw":
		return 2
	case "sgd", "nesterov", "rmsprop":
		return 1
	}
	return 0
}

// orList writes "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
