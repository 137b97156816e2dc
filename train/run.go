package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"backprop/data"
	"backprop/internal/atomicfile"
	"backprop/nn"
	"backprop/tensor"
)

// CheckpointFile is the name of the checkpoint in a folder of
// Checkpoints.
const CheckpointFile = "checkpoint.safetensors"

// Checkpoints saves a run into the folder Dir as it trains: the state
// before the first step, the end of every epoch and, when Every is
// positive, every Every steps, each with Meta and Extra (for instance the
// options of a command line) in the file. A checkpoint made during the
// run is first written to Dir/checkpoint.safetensors.next and replaces
// Dir/checkpoint.safetensors only once the next step's loss has proved
// finite, so that the file to resume from always holds weights that
// still gave a finite loss: the last good checkpoint, which a
// DivergedError names. The initial state, the state on Config.Stop and
// the end of the run are written in place. Every write is atomic.
//
// A Checkpoints serves one run; read what it saved with ReadCheckpoint.
type Checkpoints struct {
	Dir   string
	Every int
	Meta  Meta
	Extra map[string]string

	pending, good int // the steps of the checkpoints in next and in the file; -1 for none
	err           error
}

// Path returns the file of the checkpoint to resume from.
func (c *Checkpoints) Path() string { return filepath.Join(c.Dir, CheckpointFile) }

// LastGood returns the step after which the last good checkpoint was
// made, and whether there is one.
func (c *Checkpoints) LastGood() (step int, ok bool) { return c.good, c.good >= 0 }

func (c *Checkpoints) next() string { return c.Path() + ".next" }

// CheckpointError is an error saving into the folder of Checkpoints.
type CheckpointError struct {
	Dir string
	Err error
}

func (e *CheckpointError) Error() string { return fmt.Sprintf("checkpoint %s: %v", e.Dir, e.Err) }

func (e *CheckpointError) Unwrap() error { return e.Err }

// save writes the state of m and the optimizer at p to path.
func (c *Checkpoints) save(path string, m nn.Module, cfg *Config, p *Position) error {
	if !Finite(m) {
		return &CheckpointError{c.Dir, errors.New("the weights are no longer finite")}
	}
	err := WriteCheckpoint(path, m, cfg.Optimizer, &Checkpoint{Meta: c.Meta, Position: p, Extra: c.Extra})
	if err != nil {
		return &CheckpointError{c.Dir, err}
	}
	return nil
}

// commit makes the pending checkpoint the one to resume from.
func (c *Checkpoints) commit() error {
	if c.pending < 0 {
		return nil
	}
	if err := atomicfile.Rename(c.next(), c.Path()); err != nil {
		return &CheckpointError{c.Dir, err}
	}
	c.good, c.pending = c.pending, -1
	return nil
}

// at is called with every Progress of the run; it returns true to stop
// on an error (kept in c.err).
func (c *Checkpoints) at(p Progress, m nn.Module, cfg *Config, interrupted bool) bool {
	// Called after a step, so that step's loss was finite: the state
	// saved before it is good.
	if c.pending >= 0 && c.pending < p.Step {
		if c.err = c.commit(); c.err != nil {
			return true
		}
	}
	switch {
	case p.Start || interrupted:
		if c.err = c.save(c.Path(), m, cfg, p.Position()); c.err != nil {
			return true
		}
		os.Remove(c.next())
		c.good, c.pending = p.Step, -1
	case p.EpochEnd || c.Every > 0 && p.Step%c.Every == 0 && p.Step != c.pending:
		if c.err = c.save(c.next(), m, cfg, p.Position()); c.err != nil {
			return true
		}
		c.pending = p.Step
	}
	return false
}

// StoppedError is returned by Run when Config.Stop asked it to stop. It
// matches ErrStopped.
type StoppedError struct {
	Epoch, Step int // the epoch training was in and the steps done
	// Checkpoint is the file saved on stopping (with Config.Checkpoints),
	// or "" when nothing was saved.
	Checkpoint string
}

func (e *StoppedError) Error() string {
	return fmt.Sprintf("train: stopped at epoch %d, step %d", e.Epoch, e.Step)
}

// Is makes errors.Is(err, ErrStopped) hold.
func (e *StoppedError) Is(target error) bool { return target == ErrStopped }

// Run is Fit that also reports why it stopped early: a *DivergedError at
// the first non-finite loss (before that step updates anything), a
// *StoppedError when cfg.Stop asked, or ErrStopped when cfg.Checkpoint
// returned true. Early stopping (cfg.Patience) is a normal end: the
// history ends with the last epoch run, and the model holds the weights
// of the best one. A Position saved from cfg.Checkpoint (or the file of
// cfg.Checkpoints, through ReadCheckpoint and Checkpoint.Restore), given
// back as cfg.Resume, continues the run so that, on the same number of
// threads, it ends with the same weights, bit for bit, as a run never
// interrupted.
func Run(m nn.Module, train, val *data.Dataset, cfg Config) (History, error) {
	return run(m, cfg, val != nil && val.Len() > 0, func(cfg Config) (History, error) { return fit(m, train, val, cfg) })
}

// run is the policy of Run and RunText around a training loop: early
// stopping, checkpoints, stopping on request and the errors that say why
// the run ended. loop trains m with the configuration it is given, whose
// Checkpoint and OnEpoch carry that policy; hasVal says whether it
// validates every epoch.
func run(m nn.Module, cfg Config, hasVal bool, loop func(Config) (History, error)) (History, error) {
	if cfg.Patience > 0 && !hasVal {
		return nil, errors.New("train: early stopping (Patience) needs a validation set")
	}
	ck := cfg.Checkpoints
	if ck != nil {
		ck.pending, ck.good, ck.err = -1, -1, nil
	}
	params := m.Parameters()
	var best *Best
	var last Epoch // the latest epoch, with its validation loss
	if r := cfg.Resume; r != nil {
		if r.Best != nil {
			best = &Best{Epoch: r.Best.Epoch, Loss: r.Best.Loss}
			for _, w := range r.Best.Weights {
				best.Weights = append(best.Weights, w.Clone())
			}
		}
		if n := len(r.History); n > 0 && n == r.Epoch {
			last = r.History[n-1]
		}
	}
	// exhausted reports whether patience has run out after epoch e.
	exhausted := func(e int) bool {
		return cfg.Patience > 0 && best != nil && e-best.Epoch >= cfg.Patience
	}
	restoreBest := func() {
		for i, p := range params {
			tensor.CopyTo(p.Var.Value, best.Weights[i])
		}
	}
	if cfg.Resume != nil && last.Epoch > 0 && exhausted(last.Epoch) {
		// The run stopped early at the end of the epoch it was saved at.
		restoreBest()
		m.SetTraining(false)
		return cfg.Resume.History, nil
	}

	var stopped *StoppedError
	early := false
	user := cfg.Checkpoint
	// Data-parallel, every rank runs this policy, but rank 0 alone writes
	// the checkpoints and asks user, and the others follow its answer.
	parallel := cfg.Comm != nil && cfg.Comm.Size() > 1
	rank0 := !parallel || cfg.Comm.Rank() == 0
	if onEpoch := cfg.OnEpoch; cfg.Patience > 0 {
		cfg.OnEpoch = func(e Epoch) {
			last = e
			if best == nil || e.ValLoss < best.Loss {
				if best == nil {
					best = &Best{}
					for _, p := range params {
						best.Weights = append(best.Weights, p.Var.Value.Clone())
					}
				} else {
					for i, p := range params {
						tensor.CopyTo(best.Weights[i], p.Var.Value)
					}
				}
				best.Epoch, best.Loss = e.Epoch, e.ValLoss
			}
			if onEpoch != nil {
				onEpoch(e)
			}
		}
	}
	if ck != nil || cfg.Stop != nil || cfg.Patience > 0 || user != nil && parallel {
		cfg.Checkpoint = func(p Progress) bool {
			if best != nil {
				pos := p.position
				p.position = func() *Position {
					q := pos()
					q.Best = &Best{Epoch: best.Epoch, Loss: best.Loss}
					for _, w := range best.Weights {
						q.Best.Weights = append(q.Best.Weights, w.Clone())
					}
					return q
				}
			}
			interrupted := p.Stop // cfg.Stop, asked by fit on every rank
			if ck != nil && rank0 && ck.at(p, m, &cfg, interrupted) {
				return true
			}
			if interrupted {
				stopped = &StoppedError{Epoch: p.Epoch, Step: p.Step}
				if ck != nil {
					stopped.Checkpoint = ck.Path()
				}
				return true
			}
			if user != nil && rank0 && user(p) {
				return true
			}
			if p.EpochEnd && exhausted(p.Epoch) {
				early = true
				return true
			}
			return false
		}
	}
	hist, err := loop(cfg)
	var de *DivergedError
	switch {
	case ck != nil && ck.err != nil:
		return hist, ck.err
	case stopped != nil:
		return hist, stopped
	case early:
		err = nil
		restoreBest()
	case errors.As(err, &de) && ck != nil && rank0:
		os.Remove(ck.next()) // not good: the weights it holds gave a non-finite loss
		if step, ok := ck.LastGood(); ok {
			de.LastGood, de.LastGoodStep = ck.Path(), step
		}
		return hist, err
	}
	if err == nil && ck != nil {
		if err := ck.commit(); err != nil { // the end of the last epoch
			return hist, err
		}
	}
	return hist, err
}
