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

// Early stopping keeps the best epoch's weights; Confuse measures each
// class.
func ExampleConfuse() {
	tr := data.SpiralSplit(1, data.SpiralTrain, 100, 3)
	val := data.SpiralSplit(1, data.SpiralVal, 100, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	m := nn.MLP(nn.Spec{Sizes: []int{2, 64, 3}, Activation: "relu"}, rng)
	opt, _ := optim.New("adam", nn.Vars(m), optim.Options{LR: 0.02})
	hist, err := train.Run(m, tr, val, train.Config{Epochs: 300, Batch: 32, Optimizer: opt, Rand: rng, Patience: 5})
	if err != nil {
		panic(err)
	}
	fmt.Println("stopped early:", len(hist) < 300)
	c := train.Confuse(m, val, train.EvalBatch)
	classes, macro := c.Report()
	fmt.Println("classes:", len(classes), "examples:", macro.Support)
	fmt.Println("macro F1 ≥ 0.95:", macro.F1 >= 0.95)
	// Output:
	// stopped early: true
	// classes: 3 examples: 300
	// macro F1 ≥ 0.95: true
}
