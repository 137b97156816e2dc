package optim_test

import (
	"fmt"

	"backprop/ag"
	"backprop/optim"
	"backprop/tensor"
)

// Minimizing (x − 3)² with Adam, the learning rate annealed along a cosine.
func ExampleAdam() {
	x := ag.Param(tensor.FromSlice([]float64{0}, 1))
	opt := optim.NewAdam([]*ag.Var{x}, 0.5)
	sched := optim.Cosine{Base: 0.5, Min: 0.001, Steps: 200}
	for t := 0; t < 200; t++ {
		opt.SetLR(sched.LR(t))
		opt.ZeroGrad()
		d := ag.Sub(x, ag.Scalar(tensor.Float64, 3))
		ag.Backward(ag.Sum(ag.Mul(d, d), false))
		opt.Step()
	}
	fmt.Printf("x = %.3f\n", x.Value.Flat(0))
	// Output: x = 3.000
}

// One step of SGD with momentum: θ ← θ − η(μv + g).
func ExampleSGD() {
	w := ag.Param(tensor.FromSlice([]float64{1, -1}, 2))
	opt := optim.NewSGD([]*ag.Var{w}, 0.1)
	opt.Momentum = 0.9
	for range 2 {
		opt.ZeroGrad()
		ag.Backward(ag.Sum(ag.Mul(w, w), false)) // g = 2w
		opt.Step()
	}
	// Step 1: v = 2, θ = 1 − 0.2 = 0.8; step 2: v = 1.8 + 1.6, θ = 0.8 − 0.34.
	fmt.Printf("%.2f %.2f\n", w.Value.Flat(0), w.Value.Flat(1))
	// Output: 0.46 -0.46
}

// Optimizers and schedules by name, as a command line maps its flags.
func ExampleNew() {
	w := ag.Param(tensor.FromSlice([]float64{1}, 1))
	opt, err := optim.New("nesterov", []*ag.Var{w}, optim.Options{LR: 0.1, Momentum: 0.9})
	if err != nil {
		panic(err)
	}
	sched, _ := optim.NewSchedule("step", 0.1, 8, 0) // ×0.1 at steps 4 and 6
	for t := range 8 {
		opt.SetLR(sched.LR(t))
		fmt.Printf("%.3g", opt.LR())
		if t < 7 {
			fmt.Print(" ")
		}
	}
	_, err = optim.New("adagrad", nil, optim.Options{})
	fmt.Printf("\n%v\n", err)
	// Output:
	// 0.1 0.1 0.1 0.1 0.01 0.01 0.001 0.001
	// optim: unknown optimizer "adagrad": want adam, adamw, sgd, nesterov or rmsprop
}
