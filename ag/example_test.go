package ag_test

import (
	"fmt"

	"backprop/ag"
	"backprop/gradcheck"
	"backprop/tensor"
)

// The lecture's first circuit, f = (x+y)·z: the add gate distributes the
// gradient, the mul gate swaps its inputs.
func ExampleBackward() {
	x := ag.Param(tensor.Scalar(tensor.Float64, -2))
	y := ag.Param(tensor.Scalar(tensor.Float64, 5))
	z := ag.Param(tensor.Scalar(tensor.Float64, -4))
	f := ag.Mul(ag.Add(x, y), z)
	ag.Backward(f)
	fmt.Println("f =", f.Item())
	fmt.Println("df/dx =", x.Grad.Item(), "df/dy =", y.Grad.Item(), "df/dz =", z.Grad.Item())
	// Output:
	// f = -12
	// df/dx = -4 df/dy = -4 df/dz = 3
}

// multiplyGate is the lecture's MultiplyGate written outside the package:
// forward saves its inputs, backward multiplies the upstream gradient by
// the local gradient of each input, which is the other input.
type multiplyGate struct{ x, y *tensor.Tensor }

func (g *multiplyGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x, g.y = in[0], in[1]
	return tensor.Mul(g.x, g.y)
}

func (g *multiplyGate) Backward(dz *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.Mul(dz, g.y) // ∂L/∂x = ∂L/∂z · y
	dy := tensor.Mul(dz, g.x) // ∂L/∂y = ∂L/∂z · x
	return []*tensor.Tensor{dx, dy}
}

func multiply(x, y *ag.Var) *ag.Var { return ag.Apply(&multiplyGate{}, x, y) }

// A user-defined gate is a type with Forward and Backward; ag.Apply records
// it like a built-in one, and gradcheck verifies it.
func ExampleApply() {
	x := ag.Param(tensor.Scalar(tensor.Float64, 3))
	y := ag.Param(tensor.Scalar(tensor.Float64, -4))
	z := multiply(x, y)
	ag.Backward(z)
	fmt.Println("z =", z.Item(), "dz/dx =", x.Grad.Item(), "dz/dy =", y.Grad.Item())

	r, err := gradcheck.Check(func(in []*ag.Var) *ag.Var { return multiply(in[0], in[1]) },
		[]*tensor.Tensor{tensor.FromSlice([]float64{1, 2, 3}), tensor.FromSlice([]float64{-1, 0.5, 2})}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("gradcheck:", r.Verdict())
	// Output:
	// z = -12 dz/dx = -4 dz/dy = 3
	// gradcheck: good
}

// Inference records nothing: in a graph made with NoGrad the gates compute
// values only, so nothing is kept for a backward pass. The graph belongs
// to this computation alone; other goroutines keep recording theirs.
func ExampleNoGrad() {
	w := ag.Param(tensor.FromSlice([]float64{0.5, -1}))
	g := ag.NewGraph(ag.NoGrad)
	x := g.Const(tensor.FromSlice([]float64{2, 3}))
	y := ag.Sum(ag.Mul(w, x), false)
	fmt.Println(y.Item(), y.RequiresGrad())
	// Output:
	// -2 false
}
