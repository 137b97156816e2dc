package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"backprop/ag"
	"backprop/data"
	"backprop/data/mnist"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
)

// The course's sanity checks (CS231n, "Neural Networks Part 3").

// mnistOrRandom returns n MNIST test digits standardized, or random
// inputs with random labels when the files are not available.
func mnistOrRandom(t *testing.T, n int) *data.Dataset {
	if dir, err := mnist.DefaultDir(); err == nil {
		ds, err := mnist.LoadSet(dir, "t10k")
		if err != nil {
			t.Fatal(err)
		}
		ds = ds.Head(n)
		ds.Standardize(0.1307, 0.3081)
		return ds
	}
	rng := rand.New(rand.NewPCG(5, 5))
	y := make([]int, n)
	for i := range y {
		y[i] = rng.IntN(10)
	}
	return data.New(tensor.Randn(rng, tensor.Float32, n, 784), y, 10)
}

// With small weights every class is equally likely: the loss is ln 10.
func TestInitialLossIsLn10(t *testing.T) {
	ds := mnistOrRandom(t, 200)
	rng := rand.New(rand.NewPCG(1, 2))
	m := nn.NewSequential(nn.NewLinear(rng, 784, 50, nn.Normal(1e-3)), nn.ReLU{}, nn.NewLinear(rng, 50, 10, nn.Normal(1e-3)))
	loss, _ := Evaluate(m, ds, 100)
	if math.Abs(loss-math.Log(10)) > 0.001 {
		t.Errorf("initial loss %.5f, want ln 10 = %.5f", loss, math.Log(10))
	}
	// Adding regularization raises the loss.
	l := nn.SoftmaxCrossEntropy(m.Forward(ag.Const(ds.X)), ds.Y)
	withReg := ag.Add(l, nn.L2(1e3, nn.Weights(m)...))
	if !(withReg.Item() > l.Item()+0.01) {
		t.Errorf("loss %v with regularization %v: not higher", l.Item(), withReg.Item())
	}
}

// A small network overfits 20 examples: 100% training accuracy and a loss
// near 0, with regularization off.
func TestOverfitTwentyExamples(t *testing.T) {
	ds := mnistOrRandom(t, 20)
	rng := rand.New(rand.NewPCG(3, 4))
	m := nn.MLP(nn.Spec{Sizes: []int{784, 50, 10}}, rng)
	opt := optim.NewAdam(nn.Vars(m), 1e-3)
	h := Fit(m, ds, nil, Config{Epochs: 100, Batch: 20, Optimizer: opt})
	last := h[len(h)-1]
	loss, acc := Evaluate(m, ds, 20)
	if acc != 1 || loss > 0.01 {
		t.Errorf("after 100 steps on 20 examples: accuracy %v, loss %v (training loss %v)", acc, loss, last.Loss)
	}
}

// A two-layer net separates the spiral; a linear classifier cannot.
func TestSpiral(t *testing.T) {
	ds := data.Spiral(rand.New(rand.NewPCG(0, 0)), 100, 3)
	fit := func(sizes []int) float64 {
		rng := rand.New(rand.NewPCG(1, 1))
		m := nn.MLP(nn.Spec{Sizes: sizes}, rng)
		opt := optim.NewAdam(nn.Vars(m), 0.02)
		Fit(m, ds, nil, Config{Epochs: 600, Batch: 300, Optimizer: opt, L2: 1e-4})
		_, acc := Evaluate(m, ds, 300)
		return acc
	}
	if acc := fit([]int{2, 100, 3}); acc < 0.98 {
		t.Errorf("2-layer net: training accuracy %.3f, want ≥ 0.98", acc)
	}
	if acc := fit([]int{2, 3}); acc < 0.4 || acc > 0.6 {
		t.Errorf("linear classifier: training accuracy %.3f, want ≈ 0.5", acc)
	}
}
