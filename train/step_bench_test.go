package train_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"backprop/ag"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
)

// mlpStep is one training step of the 784-512-256-10 ReLU MLP: forward,
// softmax cross-entropy, backward, SGD with momentum 0.9.
type mlpStep struct {
	m      *nn.Sequential
	opt    *optim.SGD
	x      *tensor.Tensor
	xv     *ag.Var // x as a Const, made once
	labels []int
}

func newMLPStep(batch int) *mlpStep {
	rng := rand.New(rand.NewPCG(1, 2))
	m := nn.MLP(nn.Spec{Sizes: []int{784, 512, 256, 10}}, rng)
	opt := optim.NewSGD(nn.Vars(m), 0.01)
	opt.Momentum = 0.9
	x := tensor.Uniform(rng, tensor.Float32, 0, 1, batch, 784)
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = rng.IntN(10)
	}
	return &mlpStep{m: m, opt: opt, x: x, xv: ag.Const(x), labels: labels}
}

func (s *mlpStep) run() float64 {
	s.opt.ZeroGrad()
	loss := nn.SoftmaxCrossEntropy(s.m.Forward(ag.Const(s.x)), s.labels)
	ag.Backward(loss)
	s.opt.Step()
	return loss.Item()
}

func BenchmarkMLPStep(b *testing.B) {
	for _, batch := range []int{64, 256} {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			s := newMLPStep(batch)
			s.run()
			b.ReportAllocs()
			for b.Loop() {
				s.run()
			}
		})
	}
}

// runScoped is run inside an ag.Scope, so that the step recycles the
// previous step's memory.
func (s *mlpStep) runScoped(sc *ag.Scope) float64 {
	sc.Begin()
	s.opt.ZeroGrad()
	loss := nn.SoftmaxCrossEntropy(s.m.Forward(s.xv), s.labels)
	ag.Backward(loss)
	s.opt.Step()
	sc.End()
	return loss.Item()
}

func BenchmarkMLPStepScoped(b *testing.B) {
	for _, batch := range []int{64, 256} {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			s := newMLPStep(batch)
			var sc ag.Scope
			s.runScoped(&sc)
			b.ReportAllocs()
			for b.Loop() {
				s.runScoped(&sc)
			}
			sc.Release()
		})
	}
}
