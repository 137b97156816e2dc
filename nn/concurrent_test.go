package nn

import (
	"math/rand/v2"
	"sync"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// Eight goroutines run inference on one model at once, each in a NoGrad
// graph of its own that it recycles every pass, and each gets exactly the
// serial result; go test -race checks that they share nothing mutable.
func TestConcurrentInference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := MLP(Spec{Sizes: []int{20, 64, 32, 5}, Activation: "tanh", Dropout: 0.3}, rng)
	m.SetTraining(false)
	inputs := make([]*tensor.Tensor, 8)
	want := make([]*tensor.Tensor, 8)
	for i := range inputs {
		inputs[i] = tensor.Randn(rng, tensor.Float32, 16, 20)
		want[i] = m.Forward(ag.Const(inputs[i])).Value
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			gr := ag.NewGraph(ag.NoGrad, ag.PoisonRecycled)
			for k := range 50 {
				gr.Reset()
				i := (g + k) % 8
				out := m.Forward(gr.Const(inputs[i]))
				if out.RequiresGrad() || !tensor.Equal(out.Value, want[i]) {
					errs <- "a concurrent Forward differs from the serial one"
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}
