package train_test

import (
	"fmt"
	"math/rand/v2"

	"backprop/data"
	"backprop/dist"
	"backprop/nn"
	"backprop/optim"
	"backprop/train"
)

// Data-parallel training: the same program, started by mpirun -np N
// (built with -tags mpi), trains on N processes; started alone it is one
// rank. Every rank builds the model from the same seed and calls Run with
// the same configuration, and every rank ends with the same model and
// accuracy.
func ExampleRun_dataParallel() {
	c, err := dist.Init()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Finalize()
	rng := rand.New(rand.NewPCG(1, 2))
	ds := data.Spiral(rng, 100, 3)
	m := nn.MLP(nn.Spec{Sizes: []int{2, 100, 3}, Activation: "relu"}, rng)
	opt := optim.NewAdam(nn.Vars(m), 0.02)
	_, err = train.Run(m, ds, nil, train.Config{Epochs: 500, Batch: 300, Optimizer: opt, Comm: c})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, acc, err := train.EvaluateSplit(c, m, ds, 300)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("training accuracy ≥ 98%:", acc >= 0.98)
	// Output: training accuracy ≥ 98%: true
}
