package ag_test

import (
	"fmt"

	"backprop/ag"
	"backprop/tensor"
)

// A training loop in a Graph: each Reset recycles the previous step's
// graph, so the loop allocates nothing once it has run a step. The loss is
// read before the next Reset; the parameters and their gradients are not
// the graph's and live on.
func ExampleGraph() {
	w := ag.Param(tensor.FromSlice([]float64{1, -2}, 1, 2))
	b := ag.Param(tensor.FromSlice([]float64{0.5}))
	batch := tensor.FromSlice([]float64{3, 1, -1, 2}, 2, 2)
	g := ag.NewGraph()
	for step := range 3 {
		g.Reset()
		ag.ZeroGrad(w, b)
		y := ag.Linear(g.Const(batch), w, b) // [2 1]
		loss := ag.Sum(ag.Mul(y, y), false)
		ag.Backward(loss)
		for i, gr := range w.Grad.Values() { // plain gradient descent
			w.Value.SetFlat(i, w.Value.Flat(i)-0.05*gr)
		}
		fmt.Printf("step %d: loss %.4f\n", step, loss.Item())
	}
	// Output:
	// step 0: loss 22.5000
	// step 1: loss 4.6125
	// step 2: loss 1.2431
}
