package ag_test

import (
	"fmt"

	"backprop/ag"
	"backprop/tensor"
)

// A training loop in a Scope: each Begin recycles the previous step's
// graph, so the loop allocates nothing once it has run a step. The loss is
// read before the next Begin; the parameter and its gradient are not the
// scope's and live on.
func ExampleScope() {
	w := ag.Param(tensor.FromSlice([]float64{1, -2}, 1, 2))
	b := ag.Param(tensor.FromSlice([]float64{0.5}))
	x := ag.Const(tensor.FromSlice([]float64{3, 1, -1, 2}, 2, 2))
	var s ag.Scope
	defer s.Discard()
	for step := range 3 {
		s.Begin()
		ag.ZeroGrad(w, b)
		y := ag.Linear(x, w, b) // [2 1]
		loss := ag.Sum(ag.Mul(y, y), false)
		ag.Backward(loss)
		for i, g := range w.Grad.Values() { // plain gradient descent
			w.Value.SetFlat(i, w.Value.Flat(i)-0.05*g)
		}
		s.End()
		fmt.Printf("step %d: loss %.4f\n", step, loss.Item())
	}
	// Output:
	// step 0: loss 22.5000
	// step 1: loss 4.6125
	// step 2: loss 1.2431
}
