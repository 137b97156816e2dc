package train_test

import (
	"fmt"
	"math/rand/v2"

	"backprop/data"
	"backprop/nn"
	"backprop/optim"
	"backprop/train"
)

// Training a two-layer network on the spiral data set.
func ExampleFit() {
	rng := rand.New(rand.NewPCG(1, 2))
	ds := data.Spiral(rng, 100, 3)
	m := nn.MLP(nn.Spec{Sizes: []int{2, 100, 3}, Activation: "relu"}, rng)
	opt := optim.NewAdam(nn.Vars(m), 0.02)
	train.Fit(m, ds, nil, train.Config{Epochs: 500, Batch: 300, Optimizer: opt})
	_, acc := train.Evaluate(m, ds, 300)
	fmt.Println("training accuracy ≥ 98%:", acc >= 0.98)
	// Output: training accuracy ≥ 98%: true
}
