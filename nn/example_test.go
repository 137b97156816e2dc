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

// An architecture in the text form: parsed, planned for MNIST's images
// (an Unflatten comes first, since the data sets hold examples flat),
// summarised, and built.
func ExampleParseArch() {
	a, err := nn.ParseArch("conv(8,3,pad=1) batchnorm relu maxpool(2) flatten linear(10)")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := a.Plan([]int{1, 28, 28})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(p)
	m := p.Build(rand.New(rand.NewPCG(1, 2)))
	x := ag.Const(tensor.New(tensor.Float32, 64, 784)) // a batch of 64 flat images
	fmt.Println("logits:", m.Forward(x).Shape())
	fmt.Println(p.StateDict()[0].Name, p.StateDict()[0].Shape)

	// Mistakes name the column of the word and the shapes.
	_, err = nn.MustParseArch("conv(8,3) relu linear(10)").Plan([]int{1, 28, 28})
	fmt.Println(err)
	_, err = nn.ParseArch("conv(8,3) maxpool(2,strid=2)")
	fmt.Println(err)
	// Output:
	// layer  words               output     params
	// 0      unflatten(1,28,28)  [1 28 28]       0
	// 1      conv(8,3,pad=1)     [8 28 28]      80
	// 2      batchnorm           [8 28 28]      16
	// 3      relu                [8 28 28]       0
	// 4      maxpool(2)          [8 14 14]       0
	// 5      flatten             [1568]          0
	// 6      linear(10)          [10]        15690
	// total: 15786 parameters and 17 buffer values, 0.144 MFLOP per example; input [1 28 28], output [10]
	// logits: [64 10]
	// 1.weight [8 1 3 3]
	// col 16: linear(10): input [8 26 26]: linear wants flat examples [D]: put flatten (or gap) before it
	// col 21: maxpool has no parameter "strid" (maxpool(k, stride=k, pad=0, dilation=1))
}

// The description of a model is derived from the model itself, in the
// canonical form, so that a saved model never carries a description
// written by hand.
func ExampleDescribe() {
	rng := rand.New(rand.NewPCG(1, 2))
	m := nn.NewSequential(
		nn.Unflatten{Shape: []int{1, 28, 28}},
		nn.NewConv2d(rng, 1, 6, [2]int{5, 5}, tensor.ConvParams{Padding: [2]int{2, 2}}, true, nil),
		nn.ReLU{},
		nn.MaxPool2d{P: tensor.PoolParams{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}},
		nn.Flatten{},
		nn.NewLinear(rng, 6*14*14, 10, nil),
	)
	text, err := nn.Describe(m, []int{1, 28, 28})
	fmt.Println(text, err)
	// Output: unflatten(1,28,28) conv(6,5,pad=2) relu maxpool(2) flatten linear(10) <nil>
}

// A multilayer perceptron's Spec in the architecture language: what
// --hidden makes.
func ExampleSpec_Arch() {
	fmt.Println(nn.Spec{Sizes: []int{784, 512, 256, 10}}.Arch())
	fmt.Println(nn.Spec{Sizes: []int{2, 100, 3}, Activation: "tanh", Dropout: 0.5}.Arch())
	fmt.Println(nn.Spec{Sizes: []int{784, 200, 10}, Activation: "maxout", K: 3}.Arch())
	// Output:
	// linear(512) relu linear(256) relu linear(10)
	// linear(100) tanh dropout(0.5) linear(3)
	// linear(600) maxout(3) linear(10)
}

// A transformer block decodes a sequence one position at a time with a
// key/value cache, each step attending to the cached positions, and
// gives what the causal pass over the whole sequence gives.
func ExampleBlock() {
	rng := rand.New(rand.NewPCG(1, 2))
	b := nn.NewBlock(rng, 16, 4, 0, true, 0) // width 16, 4 heads, MLP 64
	b.SetTraining(false)
	for _, p := range b.Parameters()[:4] {
		fmt.Println(p.Name, p.Var.Shape())
	}
	x := tensor.Randn(rng, tensor.Float32, 1, 5, 16) // [N T E]
	full := b.Forward(ag.Const(x)).Value

	var cache nn.KVCache
	same := true
	for t := range 5 {
		y := b.ForwardCached(ag.Const(tensor.Slice(x, 1, t, t+1)), &cache)
		same = same && tensor.AllClose(y.Value, tensor.Slice(full, 1, t, t+1), 1e-5, 1e-5)
	}
	fmt.Println("cached positions:", cache.Len(), "same as the full pass:", same)
	// Output:
	// ln1.weight [16]
	// ln1.bias [16]
	// attn.in_proj_weight [48 16]
	// attn.in_proj_bias [48]
	// cached positions: 5 same as the full pass: true
}
