package train_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"backprop/ag"
	"backprop/data"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
	"backprop/train"
)

// spiralRun trains a fresh 2-64-3 network on the spiral with Adam and
// dropout from seed, as one goroutine of a service would.
func spiralRun(t *testing.T, seed uint64, ds *data.Dataset) *nn.Sequential {
	m := nn.MLP(nn.Spec{Sizes: []int{2, 64, 3}, Dropout: 0.1}, rand.New(rand.NewPCG(seed, 1)))
	src := rand.NewPCG(seed, 2)
	_, err := train.Run(m, ds, ds, train.Config{Epochs: 4, Batch: 32, Optimizer: optim.NewAdam(nn.Vars(m), 0.01),
		Rand: rand.New(src), Source: src, L2: 1e-3, GraphFlags: ag.PoisonRecycled})
	if err != nil {
		t.Error(err)
	}
	return m
}

// TestTrainingBesideOtherWork trains a model with train.Run while three
// goroutines work beside it — plain tensor math checking its results,
// no-grad inference with another model checking its outputs against a
// solo run, and a second, independent training run — and checks that the
// model's weights are bit for bit those of training alone, that no result
// beside it was wrong, and that nothing panicked. With -race it also
// checks that the goroutines share nothing unsynchronised.
func TestTrainingBesideOtherWork(t *testing.T) {
	ds := data.Spiral(rand.New(rand.NewPCG(3, 0)), 100, 3)
	alone := spiralRun(t, 7, ds)

	// The inference model and its solo outputs.
	serve := nn.MLP(nn.Spec{Sizes: []int{2, 32, 32, 3}, Activation: "tanh"}, rand.New(rand.NewPCG(9, 9)))
	serve.SetTraining(false)
	queries := make([]*tensor.Tensor, 4)
	answers := make([]*tensor.Tensor, 4)
	for i := range queries {
		queries[i] = tensor.Randn(rand.New(rand.NewPCG(uint64(i), 5)), tensor.Float32, 16, 2)
		answers[i] = serve.Forward(ag.Const(queries[i])).Value.Clone()
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	report := func(format string, args ...any) {
		select {
		case errs <- fmt.Sprintf(format, args...):
		default:
		}
	}
	// Plain tensor math, no graph: 64×64 products of 1.5 and 2.
	wg.Go(func() {
		a, b := tensor.Full(tensor.Float32, 1.5, 64, 64), tensor.Full(tensor.Float32, 2, 64, 64)
		for n := 0; !stop.Load(); n++ {
			p := tensor.Mul(a, b)
			q := tensor.MatMul(a, b, false, false)
			if p.Flat(n%p.Len()) != 3 || q.Flat(n%q.Len()) != 192 || p.Arena() != nil {
				report("plain tensor math beside training: %v, %v", p.Flat(n%p.Len()), q.Flat(n%q.Len()))
				return
			}
		}
	})
	// No-grad inference with another model, in a recycled graph.
	wg.Go(func() {
		g := ag.NewGraph(ag.NoGrad, ag.PoisonRecycled)
		for n := 0; !stop.Load(); n++ {
			g.Reset()
			i := n % len(queries)
			out := serve.Forward(g.Const(queries[i]))
			if out.RequiresGrad() || !tensor.Equal(out.Value, answers[i]) {
				report("inference beside training differs from the solo run")
				return
			}
		}
	})
	// A second, independent training run.
	other := make(chan *nn.Sequential, 1)
	wg.Go(func() { other <- spiralRun(t, 11, ds) })

	beside := spiralRun(t, 7, ds)
	stop.Store(true)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	for i, p := range nn.Vars(alone) {
		if q := nn.Vars(beside)[i]; !tensor.Equal(p.Value, q.Value) {
			t.Fatalf("parameter %d differs from training alone", i)
		}
	}
	// The second run trained its own model, the same as it would alone.
	o := <-other
	again := spiralRun(t, 11, ds)
	for i, p := range nn.Vars(again) {
		if !tensor.Equal(p.Value, nn.Vars(o)[i].Value) {
			t.Fatalf("the second run's parameter %d differs from its run alone", i)
		}
	}
}
