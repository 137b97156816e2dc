package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"backprop/ag"
	"backprop/data/text"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
)

// TextData is what RunText trains a next-byte model on: random windows of
// Context bytes of Train, StepsPerEpoch batches of Config.Batch windows
// an epoch (a corpus such as the Go source holds far more windows than a
// run can visit, so an epoch is a number of steps, not a pass), and at
// the end of every epoch the loss on the same ValWindows windows of Val,
// drawn with a source seeded by ValSeed alone.
type TextData struct {
	Train, Val    *text.Split
	Context       int
	StepsPerEpoch int
	ValWindows    int
	ValSeed       uint64
}

// RunText is Run for a model of text: m maps windows of byte indices
// [N, T] (as float values) to the logits of the next byte at every
// position, [N, T, C], and the loss of a step is the mean cross-entropy
// over all N·T positions (ag.SoftmaxCrossEntropyIgnore; cfg.Loss is not
// used). The windows are drawn by a text.Sampler from cfg.Rand, whose
// source cfg.Source is, so that a checkpoint (cfg.Checkpoints, or the
// Position of cfg.Checkpoint) holds the random state and the sampler's
// Position.Windows, and a run resumed from it (cfg.Resume) draws the
// same windows and ends, on the same number of threads, with the same
// weights bit for bit. An epoch's Loss and ValLoss are in nats per byte,
// its Accuracy and ValAccuracy the share of next bytes predicted (the
// largest logit). Early stopping, checkpoints and Stop behave as in Run;
// data-parallel training (cfg.Comm of several ranks) is not supported.
func RunText(m nn.Module, d TextData, cfg Config) (History, error) {
	if cfg.Comm != nil && cfg.Comm.Size() > 1 {
		return nil, errors.New("train: RunText: data-parallel training of text models is not supported")
	}
	if cfg.Epochs <= 0 || cfg.Batch <= 0 || cfg.Optimizer == nil || cfg.Rand == nil || d.Context <= 0 || d.StepsPerEpoch <= 0 {
		panic(fmt.Sprintf("train: RunText: %d epochs of %d steps of batch %d, context %d, optimizer %v, rand %v",
			cfg.Epochs, d.StepsPerEpoch, cfg.Batch, d.Context, cfg.Optimizer, cfg.Rand))
	}
	sm, err := text.NewSampler(d.Train, cfg.Batch, d.Context, tensor.Float32, cfg.Rand)
	if err != nil {
		return nil, fmt.Errorf("train: training text: %v", err)
	}
	hasVal := d.Val != nil && d.ValWindows > 0
	if hasVal && d.Val.Len() < d.Context+1 {
		return nil, fmt.Errorf("train: validation text: a split of %d bytes is shorter than a window of %d", d.Val.Len(), d.Context+1)
	}
	return run(m, cfg, hasVal, func(cfg Config) (History, error) { return fitText(m, sm, d, hasVal, cfg) })
}

// fitText is the training loop of RunText.
func fitText(m nn.Module, sm *text.Sampler, d TextData, hasVal bool, cfg Config) (History, error) {
	params := nn.Vars(m)
	weights := nn.Weights(m)
	var hist History
	step, first, k := 0, 1, 0
	var sumLoss float64
	var correct, seen int
	var stepLoss []float64
	if r := cfg.Resume; r != nil {
		switch {
		case r.Batches != d.StepsPerEpoch:
			return nil, fmt.Errorf("train: resume: the checkpoint was made with %d steps per epoch, this run has %d", r.Batches, d.StepsPerEpoch)
		case r.Epoch < 1 || r.Batch < 0 || r.Batch > r.Batches || r.Step < 0 || r.Seen < 0 || r.Correct < 0 ||
			len(r.History) != r.Epoch-1 && (r.Batch != r.Batches || len(r.History) != r.Epoch):
			return nil, fmt.Errorf("train: resume: bad position: epoch %d, batch %d of %d, step %d", r.Epoch, r.Batch, r.Batches, r.Step)
		case len(r.Rand) > 0 && cfg.Source == nil:
			return nil, errors.New("train: resume: the checkpoint has a random state but the configuration no Source")
		}
		if err := sm.SetPosition(r.Windows); err != nil {
			return nil, fmt.Errorf("train: resume: %v", err)
		}
		st, _, err := r.restore(cfg.Source)
		if err != nil {
			return nil, err
		}
		hist, step, first, k = st.hist, st.step, st.first, st.k
		sumLoss, correct, seen, stepLoss = st.sumLoss, st.correct, st.seen, st.stepLoss
	}
	// randState and windows are the random state and the sampler's
	// position before the current step, for a DivergedError.
	var randState []byte
	var windows int
	position := func(e int) *Position {
		p := &Position{Epoch: e, Batch: k, Batches: d.StepsPerEpoch, Step: step, SumLoss: sumLoss, Correct: correct,
			Seen: seen, History: slices.Clone(hist), StepLoss: slices.Clone(stepLoss), Windows: sm.Position()}
		if cfg.Source != nil {
			p.Rand, _ = cfg.Source.MarshalBinary()
		}
		return p
	}
	fail := func(err error) (History, error) {
		m.SetTraining(false)
		return hist, err
	}
	if cfg.Checkpoint != nil && cfg.Resume == nil {
		if cfg.Checkpoint(Progress{Epoch: 1, Start: true, position: func() *Position { return position(1) }}) {
			return fail(ErrStopped)
		}
	}
	g := ag.NewGraph(cfg.GraphFlags)
	defer g.Reset()
	anomaly := cfg.GraphFlags&ag.DetectAnomaly != 0
	for e := first; e <= cfg.Epochs; e++ {
		m.SetTraining(true)
		if e > first {
			k, sumLoss, correct, seen, stepLoss = 0, 0, 0, 0, nil
		}
		start := time.Now()
		seen0 := seen
		for k < d.StepsPerEpoch {
			if cfg.Source != nil {
				randState, _ = cfg.Source.MarshalBinary()
			}
			windows = sm.Position()
			if !sm.Next() { // the sampler's epoch of windows is over: start it again
				sm.Reset()
				sm.Next()
			}
			x, y := sm.Batch()
			lr := cfg.Optimizer.LR()
			if cfg.Schedule != nil {
				lr = cfg.Schedule.LR(step)
				cfg.Optimizer.SetLR(lr)
			}
			g.Reset()
			cfg.Optimizer.ZeroGrad()
			var logits, loss *ag.Var
			forward := func() { logits, loss = textStep(m, g, x, y, cfg.L2, weights) }
			if anomaly {
				if err := ag.CatchAnomaly(forward); err != nil {
					return fail(err)
				}
			} else {
				forward()
			}
			l := loss.Item()
			if math.IsNaN(l) || math.IsInf(l, 0) {
				p := position(e)
				p.Rand, p.Windows = randState, windows
				return fail(&DivergedError{Epoch: e, Step: step + 1, Loss: l, LR: lr, Position: p})
			}
			if anomaly {
				if err := backwardChecked(loss); err != nil {
					return fail(err)
				}
			} else {
				ag.Backward(loss)
			}
			if cfg.ClipNorm > 0 {
				optim.ClipGradNorm(params, cfg.ClipNorm)
			}
			cfg.Optimizer.Step()
			step++
			k++
			n := len(y)
			sumLoss += l * float64(n)
			correct += correctRows(logits.Value, y)
			seen += n
			stepLoss = append(stepLoss, l)
			if cfg.OnStep != nil {
				cfg.OnStep(Step{Epoch: e, Step: k, Steps: d.StepsPerEpoch, Total: step, Samples: seen / d.Context,
					Loss: sumLoss / float64(seen), Accuracy: float64(correct) / float64(seen), BatchLoss: l, LR: lr,
					SamplesPerSecond: float64((seen-seen0)/d.Context) / time.Since(start).Seconds()})
			}
			if cfg.Checkpoint != nil {
				e := e
				stop := cfg.Stop != nil && cfg.Stop()
				if cfg.Checkpoint(Progress{Epoch: e, Batch: k, Step: step, Stop: stop, position: func() *Position { return position(e) }}) {
					return fail(ErrStopped)
				}
			}
		}
		secs := time.Since(start).Seconds()
		ep := Epoch{Epoch: e, Loss: sumLoss / float64(seen), Accuracy: float64(correct) / float64(seen),
			ValLoss: math.NaN(), ValAccuracy: math.NaN(), LR: cfg.Optimizer.LR(), Seconds: secs,
			SamplesPerSecond: float64((seen-seen0)/d.Context) / secs, StepLoss: slices.Clone(stepLoss)}
		if hasVal {
			ep.ValLoss, ep.ValAccuracy = EvaluateText(m, d.Val, d.Context, d.ValWindows, d.ValSeed, TextEvalBatch)
		}
		hist = append(hist, ep)
		if cfg.OnEpoch != nil {
			cfg.OnEpoch(ep)
		}
		if cfg.Checkpoint != nil {
			e := e
			stop := cfg.Stop != nil && cfg.Stop()
			if cfg.Checkpoint(Progress{Epoch: e, Batch: k, Step: step, EpochEnd: true, Stop: stop, position: func() *Position { return position(e) }}) {
				return fail(ErrStopped)
			}
		}
	}
	m.SetTraining(false)
	return hist, nil
}

// textStep computes the logits [N, T, C] of the windows x [N, T] and the
// mean cross-entropy over their N·T next bytes y in g, with the L2
// penalty if l2 > 0.
func textStep(m nn.Module, g *ag.Graph, x *tensor.Tensor, y []int, l2 float64, weights []*ag.Var) (logits, loss *ag.Var) {
	logits = m.Forward(g.Const(x))
	loss = ag.SoftmaxCrossEntropyIgnore(logits, y, ag.IgnoreIndex)
	if l2 > 0 && len(weights) > 0 {
		loss = ag.Add(loss, nn.HalfL2(l2, weights...))
	}
	return logits, loss
}

// correctRows counts the positions of logits [N, T, C] whose largest
// value is at the target in y (IgnoreIndex never is).
func correctRows(logits *tensor.Tensor, y []int) int {
	c := 0
	for i, k := range tensor.ArgMax(logits, len(logits.Shape())-1) {
		if k == y[i] {
			c++
		}
	}
	return c
}

// EvaluateText returns the mean cross-entropy per byte, in nats, and the
// share of next bytes predicted, of the next-byte model m (see RunText)
// on windows random windows of context bytes of s, their starts drawn
// from a source seeded by seed alone (rand.NewPCG(seed, 0)), so that
// every call measures the same windows; batch windows go through m at a
// time. Bits per byte are the nats divided by ln 2. It runs in
// evaluation mode without recording gradients and leaves m in evaluation
// mode. s must hold at least context+1 bytes.
func EvaluateText(m nn.Module, s *text.Split, context, windows int, seed uint64, batch int) (loss, accuracy float64) {
	m.SetTraining(false)
	sm, err := text.NewSampler(s, min(batch, windows), context, tensor.Float32, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		panic(fmt.Sprintf("train: EvaluateText: %v", err))
	}
	g := ag.NewGraph(ag.NoGrad)
	defer g.Reset()
	var sum float64
	var correct, n int
	for left := windows; left > 0; {
		if !sm.Next() {
			sm.Reset()
			sm.Next()
		}
		x, y := sm.Batch()
		w := x.Dim(0)
		if w > left {
			// The last batch counts only the windows asked for.
			y = slices.Clone(y)
			for i := left * context; i < len(y); i++ {
				y[i] = ag.IgnoreIndex
			}
			w = left
		}
		g.Reset()
		logits := m.Forward(g.Const(x))
		sum += ag.SoftmaxCrossEntropyIgnore(logits, y, ag.IgnoreIndex).Item() * float64(w*context)
		correct += correctRows(logits.Value, y)
		n += w * context
		left -= w
	}
	return sum / float64(n), float64(correct) / float64(n)
}
