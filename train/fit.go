package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"backprop/ag"
	"backprop/data"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
)

// Config is what Fit needs besides the model and the data.
type Config struct {
	Epochs    int
	Batch     int
	Optimizer optim.Optimizer
	// Schedule, if not nil, sets the learning rate before every step,
	// counting steps from 0 across epochs.
	Schedule optim.Schedule
	// Loss maps logits and labels to the loss to minimize; nil means
	// nn.SoftmaxCrossEntropy.
	Loss func(logits *ag.Var, labels []int) *ag.Var
	// L2, when positive, adds nn.HalfL2(L2, weights) to the loss: the
	// penalty ½·L2·ΣW² over the parameters named *.weight.
	L2 float64
	// ClipNorm, when positive, clips the gradients' global norm.
	ClipNorm float64
	// Rand shuffles the training set every epoch; nil keeps its order.
	Rand *rand.Rand
	// OnStep, if not nil, is called after every step, and OnEpoch after
	// every epoch.
	OnStep  func(Step)
	OnEpoch func(Epoch)
}

// Step reports the progress of an epoch: the running mean loss and
// accuracy on the training batches seen so far.
type Step struct {
	Epoch, Step, Steps int // Epoch and Step count from 1
	Samples            int // examples seen in this epoch
	Loss, Accuracy     float64
	SamplesPerSecond   float64
}

// Epoch summarizes one epoch: the mean training loss and accuracy over its
// batches (as the weights changed), and the loss and accuracy on the
// validation set at its end (NaN without one).
type Epoch struct {
	Epoch                int
	Loss, Accuracy       float64
	ValLoss, ValAccuracy float64
	LR                   float64
	Seconds              float64
	SamplesPerSecond     float64
}

// History is the list of epochs of a Fit.
type History []Epoch

// Fit trains m on train for cfg.Epochs epochs of mini-batches, evaluating
// it on val (which may be nil) after each, and returns the history. The
// model is left in evaluation mode.
func Fit(m nn.Module, train, val *data.Dataset, cfg Config) History {
	if cfg.Epochs <= 0 || cfg.Batch <= 0 || cfg.Optimizer == nil {
		panic(fmt.Sprintf("train: Fit: %d epochs of batch %d with optimizer %v", cfg.Epochs, cfg.Batch, cfg.Optimizer))
	}
	lossFn := cfg.Loss
	if lossFn == nil {
		lossFn = nn.SoftmaxCrossEntropy
	}
	params := nn.Vars(m)
	weights := nn.Weights(m)
	ld := data.NewLoader(train, cfg.Batch, cfg.Rand)
	var hist History
	step := 0
	for e := 1; e <= cfg.Epochs; e++ {
		m.SetTraining(true)
		if e > 1 {
			ld.Reset()
		}
		start := time.Now()
		var sumLoss float64
		var correct, seen, k int
		for ld.Next() {
			x, y := ld.Batch()
			if cfg.Schedule != nil {
				cfg.Optimizer.SetLR(cfg.Schedule.LR(step))
			}
			cfg.Optimizer.ZeroGrad()
			logits := m.Forward(ag.Const(x))
			loss := lossFn(logits, y)
			if cfg.L2 > 0 && len(weights) > 0 {
				loss = ag.Add(loss, nn.HalfL2(cfg.L2, weights...))
			}
			ag.Backward(loss)
			if cfg.ClipNorm > 0 {
				optim.ClipGradNorm(params, cfg.ClipNorm)
			}
			cfg.Optimizer.Step()
			step++
			k++
			n := len(y)
			sumLoss += loss.Item() * float64(n)
			correct += Correct(logits.Value, y)
			seen += n
			if cfg.OnStep != nil {
				cfg.OnStep(Step{Epoch: e, Step: k, Steps: ld.Batches(), Samples: seen,
					Loss: sumLoss / float64(seen), Accuracy: float64(correct) / float64(seen),
					SamplesPerSecond: float64(seen) / time.Since(start).Seconds()})
			}
		}
		secs := time.Since(start).Seconds()
		ep := Epoch{Epoch: e, Loss: sumLoss / float64(seen), Accuracy: float64(correct) / float64(seen),
			ValLoss: math.NaN(), ValAccuracy: math.NaN(), LR: cfg.Optimizer.LR(),
			Seconds: secs, SamplesPerSecond: float64(seen) / secs}
		if val != nil && val.Len() > 0 {
			ep.ValLoss, ep.ValAccuracy = Evaluate(m, val, 1000)
		}
		hist = append(hist, ep)
		if cfg.OnEpoch != nil {
			cfg.OnEpoch(ep)
		}
	}
	m.SetTraining(false)
	return hist
}

// Evaluate returns the mean softmax cross-entropy and the accuracy of m on
// ds, in evaluation mode and without recording gradients, batch examples
// at a time. It leaves m in evaluation mode.
func Evaluate(m nn.Module, ds *data.Dataset, batch int) (loss, accuracy float64) {
	m.SetTraining(false)
	ld := data.NewLoader(ds, batch, nil)
	var sum float64
	var correct int
	ag.NoGrad(func() {
		for ld.Next() {
			x, y := ld.Batch()
			logits := m.Forward(ag.Const(x))
			sum += nn.SoftmaxCrossEntropy(logits, y).Item() * float64(len(y))
			correct += Correct(logits.Value, y)
		}
	})
	n := float64(ds.Len())
	return sum / n, float64(correct) / n
}

// Correct returns how many rows of logits [N, C] have their largest value
// at the label.
func Correct(logits *tensor.Tensor, labels []int) int {
	c := 0
	for i, k := range tensor.ArgMax(logits, 1) {
		if k == labels[i] {
			c++
		}
	}
	return c
}

// Probabilities returns softmax(m(x)) for a batch x [N, D], computed in
// evaluation mode without recording gradients.
func Probabilities(m nn.Module, x *tensor.Tensor) *tensor.Tensor {
	m.SetTraining(false)
	var p *tensor.Tensor
	ag.NoGrad(func() { p = tensor.Softmax(m.Forward(ag.Const(x)).Value, 1) })
	return p
}
