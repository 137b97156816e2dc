package tensor_test

import (
	"fmt"

	"backprop/tensor"
)

// A 3×3 image convolved with a 2×2 kernel: each output element is the
// sum of a window of the image weighted by the kernel. The data gradient
// spreads an upstream gradient back over the windows, the weight gradient
// sums the image under each weight.
func ExampleConv2d() {
	x := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3) // [N C H W]
	w := tensor.FromSlice([]float32{1, 0, 0, -1}, 1, 1, 2, 2)               // [K C R S]
	y := tensor.Conv2d(x, w, tensor.ConvParams{})
	fmt.Println(y.Shape(), y)

	dy := tensor.Ones(tensor.Float32, 1, 1, 2, 2)
	fmt.Println(tensor.Conv2dBackwardData(dy, w, x.Shape(), tensor.ConvParams{}))
	fmt.Println(tensor.Conv2dBackwardWeight(dy, x, w.Shape(), tensor.ConvParams{}))

	// Padding 1 and stride 2: the output keeps the corners.
	p := tensor.ConvParams{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}
	fmt.Println(tensor.Conv2dShape(x.Shape(), w.Shape(), p))
	// Output:
	// [1 1 2 2] [[[[-4 -4] [-4 -4]]]]
	// [[[[1 1 0] [1 0 -1] [0 -1 -1]]]]
	// [[[[12 16] [24 28]]]]
	// [1 1 2 2]
}

// Max pooling keeps the largest element of each 2×2 window and records
// where it was; the backward pass routes each gradient there (max
// routes).
func ExampleMaxPool2d() {
	x := tensor.FromSlice([]float32{
		1, 5, 2, 0,
		3, 4, 8, 1,
		0, 2, 6, 6,
		7, 1, 6, 3,
	}, 1, 1, 4, 4)
	y, argmax := tensor.MaxPool2d(x, tensor.PoolParams{Kernel: [2]int{2, 2}})
	fmt.Println(y, argmax)
	dx := tensor.MaxPool2dBackwardTo(tensor.ZerosLike(x), tensor.Ones(tensor.Float32, 1, 1, 2, 2), argmax)
	fmt.Println(dx)
	// Output:
	// [[[[5 8] [7 6]]]] [1 6 12 10]
	// [[[[0 1 0 0] [0 0 1 0] [0 0 1 0] [1 0 0 0]]]]
}

// Batch normalisation in training mode normalises each channel with the
// batch's mean and variance, saves them for the backward pass and moves
// the running statistics 10% of the way towards them.
func ExampleBatchNormTrainTo() {
	x := tensor.FromSlice([]float64{1, 10, 3, 30}, 2, 2) // [N C]: 2 examples, 2 channels
	mean, invstd := tensor.Zeros(tensor.Float64, 2), tensor.Zeros(tensor.Float64, 2)
	runMean, runVar := tensor.Zeros(tensor.Float64, 2), tensor.Ones(tensor.Float64, 2)
	y := tensor.BatchNormTrainTo(tensor.ZerosLike(x), mean, invstd, x, nil, nil, runMean, runVar, tensor.BatchNormMomentum, 0)
	fmt.Println(y)
	fmt.Println(mean, runMean, runVar)
	// Output:
	// [[-1 -1] [1 1]]
	// [2 20] [0.2 2] [1.1 20.9]
}
