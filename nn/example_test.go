package nn_test

import (
	"fmt"
	"math/rand/v2"

	"backprop/ag"
	"backprop/nn"
	"backprop/tensor"
)

// An MLP names its parameters as PyTorch's nn.Sequential would.
func ExampleMLP() {
	m := nn.MLP(nn.Spec{Sizes: []int{784, 32, 10}, Activation: "relu"}, rand.New(rand.NewPCG(1, 2)))
	for _, p := range m.Parameters() {
		fmt.Println(p.Name, p.Var.Shape())
	}
	x := ag.Const(tensor.New(tensor.Float32, 64, 784)) // a batch of 64 images
	fmt.Println("logits:", m.Forward(x).Shape())
	// Output:
	// 0.weight [32 784]
	// 0.bias [32]
	// 2.weight [10 32]
	// 2.bias [10]
	// logits: [64 10]
}

// The multiclass SVM loss of the CS231n notes' three examples.
func ExampleHinge() {
	scores := tensor.FromSlice([]float64{
		3.2, 5.1, -1.7, // a cat
		1.3, 4.9, 2.0, // a car
		2.2, 2.5, -3.1, // a frog
	}, 3, 3)
	loss := nn.Hinge(ag.Const(scores), []int{0, 1, 2})
	fmt.Printf("%.4f\n", loss.Item())
	// Output: 5.2667
}

// The initial loss of a 10-class softmax classifier with small weights is
// about ln 10.
func ExampleSoftmaxCrossEntropy() {
	rng := rand.New(rand.NewPCG(1, 2))
	l := nn.NewLinear(rng, 50, 10, nn.Normal(1e-4))
	x := ag.Const(tensor.Randn(rng, tensor.Float32, 100, 50))
	labels := make([]int, 100)
	for i := range labels {
		labels[i] = i % 10
	}
	fmt.Printf("%.3f\n", nn.SoftmaxCrossEntropy(l.Forward(x), labels).Item())
	// Output: 2.303
}
