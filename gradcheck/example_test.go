package gradcheck_test

import (
	"fmt"

	"backprop/ag"
	"backprop/gradcheck"
	"backprop/tensor"
)

// Checking the gradient of a small network layer, tanh(W·x + b), against
// centered differences.
func ExampleCheck() {
	w := tensor.FromSlice([]float64{0.2, -0.5, 0.1, 0.7, 0.3, -0.4}, 2, 3)
	x := tensor.FromSlice([]float64{1, -2, 0.5}, 3, 1)
	b := tensor.FromSlice([]float64{0.1, -0.1}, 2, 1)
	layer := func(in []*ag.Var) *ag.Var {
		return ag.Tanh(ag.Add(ag.MatMul(in[0], in[1]), in[2]))
	}
	r, err := gradcheck.Check(layer, []*tensor.Tensor{w, x, b}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("verdict:", r.Verdict())
	fmt.Println("below 1e-7:", r.MaxRelErr < gradcheck.Good)
	// Output:
	// verdict: good
	// below 1e-7: true
}
