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
	return &mlpStep{m: m, opt: opt, x: x, labels: labels}
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

// runInGraph runs the step in g, which recycles the previous step's
// memory, as train.Run does.
func (s *mlpStep) runInGraph(g *ag.Graph) float64 {
	g.Reset()
	s.opt.ZeroGrad()
	loss := nn.SoftmaxCrossEntropy(s.m.Forward(g.Const(s.x)), s.labels)
	ag.Backward(loss)
	s.opt.Step()
	return loss.Item()
}

func BenchmarkMLPStepGraph(b *testing.B) {
	for _, batch := range []int{64, 256} {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			s := newMLPStep(batch)
			g := ag.NewGraph()
			s.runInGraph(g)
			b.ReportAllocs()
			for b.Loop() {
				s.runInGraph(g)
			}
		})
	}
}
