package train

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"backprop/ag"
	"backprop/data"
	"backprop/dist"
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
	// GraphFlags configure the graph each step runs in: ag.DetectAnomaly
	// makes Run stop at the first gate whose value or gradient is not
	// finite and return its *ag.AnomalyError; ag.PoisonRecycled fills the
	// memory a step recycles with NaN (a debugging aid).
	GraphFlags ag.Flags
	// Rand shuffles the training set every epoch; nil keeps its order.
	Rand *rand.Rand
	// Augment, if not nil, transforms every training batch's inputs in
	// place before its step (validation data are left alone), such as a
	// data.Augmenter's Apply. Called after the state of Source is taken
	// for the step, so an Augment that draws from Rand draws the same
	// again in a resumed run. With Comm, every rank augments the whole
	// batch alike before taking its share.
	Augment func(x *tensor.Tensor)
	// OnStep, if not nil, is called after every step, and OnEpoch after
	// every epoch.
	OnStep  func(Step)
	OnEpoch func(Epoch)

	// Source is the source of Rand, whose state a Position saves and
	// restores (rand.PCG and rand.ChaCha8 qualify). Without it a resumed
	// run cannot continue Rand's sequence exactly.
	Source RandState
	// Resume, if not nil, continues the run from a Position saved by an
	// earlier one with the same configuration, data set and model (the
	// model's weights and the optimizer's state restored by the caller,
	// see Checkpoint.Restore).
	Resume *Position
	// Checkpoint, if not nil, is called before the first step (unless
	// resuming), after every step and again after every epoch's
	// evaluation; the Progress it receives can produce the Position to
	// save. Returning true stops Run, which returns ErrStopped.
	Checkpoint func(Progress) (stop bool)

	// Checkpoints, if not nil, makes Run save the run into a folder and
	// keep the last good checkpoint there (see Checkpoints).
	Checkpoints *Checkpoints
	// Stop, if not nil, is asked after every step whether to stop, as on
	// Ctrl-C: Run then saves a checkpoint (with Checkpoints) and returns
	// a *StoppedError. With Comm, it is asked on every rank, and every
	// rank stops after the step in which any of them was asked to.
	Stop func() bool
	// Patience, when positive, stops training once the validation loss
	// has not improved for Patience epochs and leaves the model with the
	// weights of the best epoch, as Keras' EarlyStopping with
	// restore_best_weights does; it needs a validation set. A checkpoint
	// carries the best weights, so that a resumed run stops where an
	// uninterrupted one would.
	Patience int

	// Comm, if it has more than one rank, makes Run data-parallel: every
	// rank of Comm calls Run with the same model, data and configuration
	// (the same seeds), and each computes its share of every batch (see
	// parallel.go). Rank 0's parameters and optimizer state are broadcast
	// first; the gradients are summed in buckets of BucketBytes (default
	// 4 MiB) while the backward pass runs; every rank ends each step with
	// the same parameters, and N ranks train the model one process trains
	// with the same Batch, up to the rounding of the sums, as long as the
	// model's layers treat each example on its own (batch normalisation
	// would normalise each rank's share by its own statistics). The loss
	// must be a mean over the batch's examples, as nn's losses are.
	// OnStep and OnEpoch are called on every rank with the whole batch's
	// figures; Checkpoint and the files of Checkpoints on rank 0 alone,
	// whose answer every rank follows. Validation is split across the
	// ranks (EvaluateSplit). A failure of Comm is a *CommError.
	Comm        dist.Comm
	BucketBytes int
}

// RandState is a random source whose state can be saved and restored.
type RandState interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary(data []byte) error
}

// ErrStopped is returned by Run when Config.Checkpoint asked it to stop.
var ErrStopped = errors.New("train: stopped")

// DivergedError is returned by Run when a step's loss is not finite (NaN
// or ±Inf). The step was not taken: the model and the optimizer are as
// the previous step left them, and Position is where training stood
// before the failed step (Batch counts the batches done before it).
type DivergedError struct {
	Epoch, Step int // the epoch (from 1) and the step (from 1, across epochs) that failed
	Loss, LR    float64
	Position    *Position
	// LastGood is the checkpoint of Config.Checkpoints to resume from,
	// made after step LastGoodStep, or "" when none was saved.
	LastGood     string
	LastGoodStep int
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("the loss is %v at epoch %d, step %d (learning rate %.3g): training diverged", e.Loss, e.Epoch, e.Step, e.LR)
}

// Progress tells Config.Checkpoint where training stands.
type Progress struct {
	Epoch    int  // the current epoch, from 1
	Batch    int  // the batches of the epoch done
	Step     int  // the steps done in all
	EpochEnd bool // the epoch and its evaluation are complete
	Start    bool // no step yet: the call before the first step of a run not resumed
	// Stop says that Config.Stop asked to stop (on some rank, with a
	// Comm): the run stops after this call.
	Stop     bool
	position func() *Position
}

// Position returns where training stands, for a checkpoint: a snapshot
// that later steps do not change.
func (p Progress) Position() *Position { return p.position() }

// Step reports the progress of an epoch: the running mean loss and
// accuracy on the training batches seen so far, and the loss and
// learning rate of the step itself.
type Step struct {
	Epoch, Step, Steps int // Epoch and Step count from 1
	Total              int // the steps done in all epochs, this one included
	Samples            int // examples seen in this epoch
	Loss, Accuracy     float64
	BatchLoss, LR      float64 // the step's own loss and learning rate
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
	// StepLoss holds the loss of every step of the epoch, in order.
	StepLoss []float64
}

// History is the list of epochs of a Fit.
type History []Epoch

// Fit trains m on train for cfg.Epochs epochs of mini-batches, evaluating
// it on val (which may be nil) after each, and returns the history. The
// model is left in evaluation mode. Fit stops early where Run returns an
// error: at a non-finite loss, or when cfg.Checkpoint asks.
func Fit(m nn.Module, train, val *data.Dataset, cfg Config) History {
	h, _ := Run(m, train, val, cfg)
	return h
}

// Run is Fit that also reports why it stopped early: a *DivergedError at
// the first non-finite loss (before that step updates anything), or
// ErrStopped when cfg.Checkpoint returned true. A Position saved from
// cfg.Checkpoint, given back as cfg.Resume with the model and optimizer
// restored, continues the run so that, on the same number of threads, it
// ends with the same weights, bit for bit, as a run never interrupted.
func fit(m nn.Module, train, val *data.Dataset, cfg Config) (History, error) {
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
	step, first := 0, 1
	var sumLoss float64
	var correct, seen, k int
	var stepLoss []float64
	if r := cfg.Resume; r != nil {
		if err := r.check(ld, cfg); err != nil {
			return nil, err
		}
		if err := ld.SetOrder(r.Perm, min(r.Batch*cfg.Batch, train.Len())); err != nil {
			return nil, fmt.Errorf("train: resume: %v", err)
		}
		st, next, err := r.restore(cfg.Source)
		if err != nil {
			return nil, err
		}
		hist, step, first, k = st.hist, st.step, st.first, st.k
		sumLoss, correct, seen, stepLoss = st.sumLoss, st.correct, st.seen, st.stepLoss
		if next && first <= cfg.Epochs {
			ld.Reset()
		}
	}
	// position captures where training stands; randState is the state of
	// the source before the current step, for a DivergedError.
	var randState []byte
	position := func(e int) *Position {
		perm, _ := ld.Order()
		p := &Position{Epoch: e, Batch: k, Batches: ld.Batches(), Step: step, Perm: perm,
			SumLoss: sumLoss, Correct: correct, Seen: seen, History: slices.Clone(hist), StepLoss: slices.Clone(stepLoss)}
		if cfg.Source != nil {
			p.Rand, _ = cfg.Source.MarshalBinary()
		}
		return p
	}
	var dp *dataParallel
	if cfg.Comm != nil && cfg.Comm.Size() > 1 {
		dp = newDataParallel(cfg.Comm, m, params, cfg.BucketBytes)
		defer dp.close()
		if err := dp.begin(cfg.Optimizer, ld, cfg, step, first, k); err != nil {
			return nil, err
		}
	}
	// checkpoint calls cfg.Checkpoint; data-parallel, every rank then
	// follows rank 0's answer.
	checkpoint := func(p Progress) (bool, error) {
		stop := cfg.Checkpoint(p)
		if dp != nil {
			return dp.follow(stop)
		}
		return stop, nil
	}
	if cfg.Checkpoint != nil && cfg.Resume == nil {
		stop, err := checkpoint(Progress{Epoch: 1, Start: true, position: func() *Position { return position(1) }})
		if stop || err != nil {
			m.SetTraining(false)
			return hist, cmp.Or(err, ErrStopped)
		}
	}
	// Each step runs in a graph that recycles the previous step's memory
	// (see ag.Graph): nothing made in a step is kept past it.
	g := ag.NewGraph(cfg.GraphFlags)
	defer g.Reset()
	for e := first; e <= cfg.Epochs; e++ {
		m.SetTraining(true)
		if e > first {
			ld.Reset()
			k, sumLoss, correct, seen, stepLoss = 0, 0, 0, 0, nil
		}
		start := time.Now()
		seen0 := seen
		for ld.Next() {
			x, y := ld.Batch()
			if cfg.Source != nil {
				randState, _ = cfg.Source.MarshalBinary()
			}
			if cfg.Augment != nil {
				cfg.Augment(x)
			}
			lr := cfg.Optimizer.LR()
			if cfg.Schedule != nil {
				lr = cfg.Schedule.LR(step)
				cfg.Optimizer.SetLR(lr)
			}
			g.Reset()
			cfg.Optimizer.ZeroGrad()
			fail := func(err error) (History, error) {
				m.SetTraining(false)
				return hist, err
			}
			anomaly := cfg.GraphFlags&ag.DetectAnomaly != 0
			var logits, loss *ag.Var
			var l float64
			var r stepResult
			if dp != nil {
				// Forward, backward and the sums across ranks, which
				// give the whole batch's loss.
				var err error
				if r, err = dp.step(g, x, y, lossFn, cfg, weights); err != nil {
					return fail(err)
				}
				l = r.loss
			} else if anomaly {
				var lg, ls *ag.Var // only these move to the heap in this mode
				if err := ag.CatchAnomaly(func() { lg, ls = forwardStep(m, g, x, y, lossFn, cfg.L2, weights) }); err != nil {
					return fail(err)
				}
				logits, loss = lg, ls
				l = loss.Item()
			} else {
				logits, loss = forwardStep(m, g, x, y, lossFn, cfg.L2, weights)
				l = loss.Item()
			}
			if math.IsNaN(l) || math.IsInf(l, 0) {
				p := position(e)
				p.Rand = randState
				return fail(&DivergedError{Epoch: e, Step: step + 1, Loss: l, LR: lr, Position: p})
			}
			switch {
			case dp != nil:
			case anomaly:
				if err := backwardChecked(loss); err != nil {
					return fail(err)
				}
				r = stepResult{correct: Correct(logits.Value, y)}
			default:
				ag.Backward(loss)
				r = stepResult{correct: Correct(logits.Value, y)}
			}
			if cfg.ClipNorm > 0 {
				optim.ClipGradNorm(params, cfg.ClipNorm)
			}
			cfg.Optimizer.Step()
			step++
			k++
			n := len(y)
			sumLoss += l * float64(n)
			correct += r.correct
			seen += n
			stepLoss = append(stepLoss, l)
			if cfg.OnStep != nil {
				cfg.OnStep(Step{Epoch: e, Step: k, Steps: ld.Batches(), Total: step, Samples: seen,
					Loss: sumLoss / float64(seen), Accuracy: float64(correct) / float64(seen), BatchLoss: l, LR: lr,
					SamplesPerSecond: float64(seen-seen0) / time.Since(start).Seconds()})
			}
			if cfg.Checkpoint != nil {
				e := e
				if dp == nil { // data-parallel, the ranks asked during the step
					r.stop = cfg.Stop != nil && cfg.Stop()
				}
				stop, err := checkpoint(Progress{Epoch: e, Batch: k, Step: step, Stop: r.stop, position: func() *Position { return position(e) }})
				if stop || err != nil {
					return fail(cmp.Or(err, ErrStopped))
				}
			}
		}
		secs := time.Since(start).Seconds()
		ep := Epoch{Epoch: e, Loss: sumLoss / float64(seen), Accuracy: float64(correct) / float64(seen),
			ValLoss: math.NaN(), ValAccuracy: math.NaN(), LR: cfg.Optimizer.LR(),
			Seconds: secs, SamplesPerSecond: float64(seen-seen0) / secs, StepLoss: slices.Clone(stepLoss)}
		if val != nil && val.Len() > 0 {
			var err error
			if ep.ValLoss, ep.ValAccuracy, err = EvaluateSplit(cfg.Comm, m, val, EvalBatch); err != nil {
				m.SetTraining(false)
				return hist, err
			}
		}
		if dp != nil {
			if err := dp.checkParams(e); err != nil {
				m.SetTraining(false)
				return hist, err
			}
		}
		hist = append(hist, ep)
		if cfg.OnEpoch != nil {
			cfg.OnEpoch(ep)
		}
		if cfg.Checkpoint != nil {
			e := e
			stop := cfg.Stop != nil && cfg.Stop()
			if dp != nil {
				var err error
				if stop, err = dp.anyStop(stop); err != nil {
					m.SetTraining(false)
					return hist, err
				}
			}
			stop, err := checkpoint(Progress{Epoch: e, Batch: k, Step: step, EpochEnd: true, Stop: stop, position: func() *Position { return position(e) }})
			if stop || err != nil {
				m.SetTraining(false)
				return hist, cmp.Or(err, ErrStopped)
			}
		}
	}
	m.SetTraining(false)
	return hist, nil
}

// forwardStep computes the logits of the batch x and the loss of a step
// in g, with the L2 penalty if l2 > 0.
func forwardStep(m nn.Module, g *ag.Graph, x *tensor.Tensor, y []int, lossFn func(*ag.Var, []int) *ag.Var, l2 float64, weights []*ag.Var) (logits, loss *ag.Var) {
	logits = m.Forward(g.Const(x))
	loss = lossFn(logits, y)
	if l2 > 0 && len(weights) > 0 {
		loss = ag.Add(loss, nn.HalfL2(l2, weights...))
	}
	return logits, loss
}

// backwardChecked runs Backward from loss, returning the anomaly a graph
// with ag.DetectAnomaly finds.
func backwardChecked(loss *ag.Var) error { return ag.CatchAnomaly(func() { ag.Backward(loss) }) }

// Evaluate returns the mean softmax cross-entropy and the accuracy of m on
// ds, in evaluation mode and without recording gradients, batch examples
// at a time. It leaves m in evaluation mode. It does not change m, so
// that several goroutines may evaluate one model at once while nothing
// trains it.
func Evaluate(m nn.Module, ds *data.Dataset, batch int) (loss, accuracy float64) {
	sum, correct := evaluateSums(m, ds, batch)
	n := float64(ds.Len())
	return sum / n, float64(correct) / n
}

// evaluateSums is Evaluate's sums: of the losses and of the correct
// predictions.
func evaluateSums(m nn.Module, ds *data.Dataset, batch int) (sum float64, correct int) {
	m.SetTraining(false)
	ld := data.NewLoader(ds, batch, nil)
	g := ag.NewGraph(ag.NoGrad)
	for ld.Next() {
		g.Reset()
		x, y := ld.Batch()
		logits := m.Forward(g.Const(x))
		sum += nn.SoftmaxCrossEntropy(logits, y).Item() * float64(len(y))
		correct += Correct(logits.Value, y)
	}
	g.Reset()
	return sum, correct
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
// evaluation mode without recording gradients, in ordinary memory.
func Probabilities(m nn.Module, x *tensor.Tensor) *tensor.Tensor {
	m.SetTraining(false)
	g := ag.NewGraph(ag.NoGrad)
	return tensor.Softmax(m.Forward(g.Const(x)).Value, 1).Clone()
}
