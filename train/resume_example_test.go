package train_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"backprop/data"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
	"backprop/train"
)

// A run stopped after 5 steps and resumed from its checkpoint ends with
// the same weights as a run never stopped.
func ExampleRun_resume() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "checkpoint.safetensors")
	ds := data.Spiral(rand.New(rand.NewPCG(1, 1)), 50, 3)
	spec := nn.Spec{Sizes: []int{2, 16, 3}, Dropout: 0.1}
	// setup returns a model, its optimizer and a configuration whose
	// random source can be saved.
	setup := func() (*nn.Sequential, optim.Optimizer, train.Config) {
		src := rand.NewPCG(7, 42)
		rng := rand.New(src)
		m := nn.MLP(spec, rng)
		opt := optim.NewAdam(nn.Vars(m), 0.01)
		return m, opt, train.Config{Epochs: 3, Batch: 32, Optimizer: opt, Rand: rng, Source: src}
	}

	ref, _, cfg := setup()
	train.Run(ref, ds, nil, cfg)

	m, opt, cfg := setup()
	cfg.Checkpoint = func(p train.Progress) bool {
		if p.Step < 5 {
			return false
		}
		train.WriteCheckpoint(path, m, opt, &train.Checkpoint{Meta: train.Meta{Spec: spec}, Position: p.Position()})
		return true // stop
	}
	_, err := train.Run(m, ds, nil, cfg)
	fmt.Println(err)

	ck, _ := train.ReadCheckpoint(path)
	m, opt, cfg = setup()
	ck.Restore(m, opt)
	cfg.Resume = ck.Position
	train.Run(m, ds, nil, cfg)
	same := true
	for i, p := range m.Parameters() {
		same = same && tensor.Equal(p.Var.Value, ref.Parameters()[i].Var.Value)
	}
	fmt.Println("resumed at step", ck.Position.Step, "same weights:", same)
	// Output:
	// train: stopped
	// resumed at step 5 same weights: true
}
