package tensor_test

import (
	"fmt"

	"backprop/tensor"
)

// A [2 3] matrix plus a [3] row: the row is broadcast to every row.
func ExampleAdd() {
	x := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	bias := tensor.FromSlice([]float32{10, 20, 30})
	y := tensor.Add(x, bias)
	fmt.Println(y.Shape(), y.DType())
	fmt.Println(y)

	// A [2 1] column against a [3] row broadcasts to [2 3].
	col := tensor.FromSlice([]float32{100, 200}, 2, 1)
	fmt.Println(tensor.Add(col, bias))
	// Output:
	// [2 3] float32
	// [[11 22 33] [14 25 36]]
	// [[110 120 130] [210 220 230]]
}

// MatMul with transB reads its second operand transposed, without copying:
// here x·wᵀ for a weight matrix w of shape [out, in].
func ExampleMatMul() {
	x := tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3) // 2 examples, 3 features
	w := tensor.FromSlice([]float64{1, 0, -1, 0.5, 0.5, 0.5}, 2, 3)
	y := tensor.MatMul(x, w, false, true)
	fmt.Println(y.Shape())
	fmt.Println(y)
	// Output:
	// [2 2]
	// [[-2 3] [-2 7.5]]
}

// Sum reduces over the given axes; keepdims keeps them as size 1 so that
// the result broadcasts against the input.
func ExampleSum() {
	x := tensor.Arange(tensor.Float64, 0, 12, 1).Reshape(2, 2, 3)
	fmt.Println(tensor.Sum(x, false))
	fmt.Println(tensor.Sum(x, false, 0))
	fmt.Println(tensor.Sum(x, true, -1))
	s := tensor.Sum(x, true, 0, 2)
	fmt.Println(s.Shape(), s)
	// Output:
	// 66
	// [[6 8 10] [12 14 16]]
	// [[[3] [12]] [[21] [30]]]
	// [1 2 1] [[[24] [42]]]
}

// Softmax along the last axis turns each row of scores into probabilities;
// it subtracts the row maximum first, so large scores do not overflow.
func ExampleSoftmax() {
	scores := tensor.FromSlice([]float64{1, 2, 3, 1000, 1000, 1000}, 2, 3)
	p := tensor.Softmax(scores, -1)
	for i := range 2 {
		fmt.Printf("%.4f %.4f %.4f\n", p.At(i, 0), p.At(i, 1), p.At(i, 2))
	}
	sums := tensor.Sum(p, false, -1)
	fmt.Printf("row sums %.6f %.6f\n", sums.At(0), sums.At(1))
	// Output:
	// 0.0900 0.2447 0.6652
	// 0.3333 0.3333 0.3333
	// row sums 1.000000 1.000000
}
