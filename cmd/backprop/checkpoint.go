package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"

	"backprop/ag"
	"backprop/data"
	"backprop/nn"
	"backprop/optim"
	"backprop/train"
)

// checkpointFile is the name of the checkpoint in a --checkpoint-dir.
const checkpointFile = "checkpoint.safetensors"

// exitError is an error with its own exit status.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// Exit statuses of backprop train beyond 0 and 2.
const (
	exitDiverged    = 1   // the loss became NaN or infinite
	exitInterrupted = 130 // SIGINT or SIGTERM: a checkpoint was written (128 + SIGINT, as shells report it)
)

// keyFlags is the key of Checkpoint.Extra holding the flags of the run.
const keyFlags = "flags"

// notStored lists the flags a checkpoint does not record: where to read
// and write checkpoints is a property of this invocation, not of the run.
var notStored = map[string]bool{"resume": true, "checkpoint-dir": true}

// storedFlags returns the flags given on the command line, by name, as a
// checkpoint records them.
func storedFlags(fs *flag.FlagSet) map[string]string {
	m := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		if !notStored[f.Name] {
			m[f.Name] = f.Value.String()
		}
	})
	return m
}

// resumeOptions reads the checkpoint of --resume DIR, if given, and fills
// in every flag of the interrupted run that the command line does not
// give; --checkpoint-dir defaults to DIR.
func resumeOptions(fs *flag.FlagSet, o *trainOptions) (*train.Checkpoint, error) {
	if o.resume == "" {
		return nil, nil
	}
	path := filepath.Join(o.resume, checkpointFile)
	ck, err := train.ReadCheckpoint(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, flagError("resume", o.resume, "no checkpoint %s", path)
		}
		return nil, flagError("resume", o.resume, "%v", err)
	}
	var flags map[string]string
	if err := json.Unmarshal([]byte(ck.Extra[keyFlags]), &flags); err != nil {
		return nil, flagError("resume", o.resume, "%s: no flags of the run in the metadata", path)
	}
	for name, value := range flags {
		if o.set[name] || notStored[name] {
			continue
		}
		if err := fs.Set(name, value); err != nil {
			return nil, flagError("resume", o.resume, "%s: flag --%s %s: %v", path, name, value, err)
		}
		o.set[name] = true
	}
	if !o.set["checkpoint-dir"] {
		o.checkpointDir = o.resume
	}
	return ck, nil
}

// checkCheckpointFlags validates --checkpoint-dir and --checkpoint-every,
// creating the folder if need be.
func checkCheckpointFlags(o *trainOptions) error {
	if o.checkpointEvery < 0 {
		return flagError("checkpoint-every", strconv.Itoa(o.checkpointEvery), "must not be negative")
	}
	if o.set["checkpoint-every"] && o.checkpointDir == "" {
		return flagError("checkpoint-every", strconv.Itoa(o.checkpointEvery), "needs --checkpoint-dir")
	}
	if o.checkpointDir == "" {
		return nil
	}
	if err := os.MkdirAll(o.checkpointDir, 0o755); err != nil {
		return flagError("checkpoint-dir", o.checkpointDir, "%v", errors.Unwrap(err))
	}
	return nil
}

// restoreCheckpoint loads the checkpoint ck, if resuming, into the model
// and the optimizer, after checking that the flags describe the same
// network and data.
func restoreCheckpoint(o *trainOptions, ck *train.Checkpoint, model *nn.Sequential, opt optim.Optimizer, spec nn.Spec, tr *data.Dataset) error {
	if ck == nil {
		return nil
	}
	if ck.Meta.Spec.String() != spec.String() {
		return flagError("resume", o.resume, "the checkpoint's network is %s, the flags ask for %s",
			archString(ck.Meta.Spec), archString(spec))
	}
	if n := len(ck.Position.Perm); n != tr.Len() {
		return flagError("resume", o.resume, "the checkpoint was made with %d training examples, the flags give %d", n, tr.Len())
	}
	if err := ck.Restore(model, opt); err != nil {
		return flagError("resume", o.resume, "%v", err)
	}
	return nil
}

// fitCheckpointed runs the training of trainCommand: from the checkpoint
// ck if resuming, writing checkpoints into --checkpoint-dir at every
// epoch's end and every --checkpoint-every steps, and stopping cleanly on
// SIGINT or SIGTERM. It returns an *exitError when training stopped
// early.
func fitCheckpointed(o *trainOptions, fs *flag.FlagSet, ck *train.Checkpoint, model *nn.Sequential, opt optim.Optimizer,
	meta train.Meta, src *rand.PCG, tr, val *data.Dataset, cfg train.Config) (train.History, error) {
	path := ""
	if o.checkpointDir != "" {
		path = filepath.Join(o.checkpointDir, checkpointFile)
	}
	if ck != nil {
		cfg.Resume = ck.Position
	}
	cfg.Source = src
	flags := storedFlags(fs)
	fj, _ := json.Marshal(flags)
	extra := map[string]string{keyFlags: string(fj)}
	// A checkpoint is written first to DIR/checkpoint.safetensors.next and
	// becomes DIR/checkpoint.safetensors only once the next step's loss has
	// proved finite, so that the checkpoint to resume from is always one
	// whose weights still gave a finite loss: the last good one. The
	// initial state, a checkpoint on SIGINT or SIGTERM and the final one
	// are written in place.
	next := path + ".next"
	save := func(to string, p *train.Position) error {
		if !train.Finite(model) {
			return errors.New("the weights are no longer finite")
		}
		err := train.WriteCheckpoint(to, model, opt, &train.Checkpoint{Meta: meta, Position: p, Extra: extra})
		if err != nil {
			return flagError("checkpoint-dir", o.checkpointDir, "%v", err)
		}
		return nil
	}
	pending, good := -1, -1 // the steps of the checkpoint in next and in path
	commit := func() error {
		if pending < 0 {
			return nil
		}
		if err := os.Rename(next, path); err != nil {
			return flagError("checkpoint-dir", o.checkpointDir, "%v", err)
		}
		if d, err := os.Open(o.checkpointDir); err == nil { // make the rename durable
			d.Sync()
			d.Close()
		}
		good, pending = pending, -1
		return nil
	}
	var stop atomic.Bool
	var saveErr error
	epoch := 1
	if path != "" || o.comm.Size() > 1 {
		// On several processes, a signal to any stops them all after the
		// same step (train.Config.Stop), with a checkpoint or without.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		done := make(chan struct{})
		defer func() { signal.Stop(sig); close(done) }()
		go func() {
			select {
			case <-sig:
				stop.Store(true)
			case <-done:
			}
		}()
		cfg.Stop = stop.Load
		onEpoch := cfg.OnEpoch
		cfg.OnEpoch = func(e train.Epoch) {
			epoch = e.Epoch + 1
			if onEpoch != nil {
				onEpoch(e)
			}
		}
	}
	if path != "" {
		cfg.Checkpoint = func(p train.Progress) bool {
			epoch = p.Epoch
			// Called after a step, so that step's loss was finite: the
			// state saved before it is good.
			if pending >= 0 && pending < p.Step {
				if saveErr = commit(); saveErr != nil {
					return true
				}
			}
			interrupted := p.Stop
			switch {
			case p.Start || interrupted:
				if saveErr = save(path, p.Position()); saveErr != nil {
					return true
				}
				os.Remove(next)
				good, pending = p.Step, -1
			case p.EpochEnd || o.checkpointEvery > 0 && p.Step%o.checkpointEvery == 0 && p.Step != pending:
				if saveErr = save(next, p.Position()); saveErr != nil {
					return true
				}
				pending = p.Step
			}
			return interrupted
		}
	}
	if o.detectAnomaly {
		cfg.GraphFlags |= ag.DetectAnomaly
	}
	hist, err := train.Run(model, tr, val, cfg)
	if err == nil && saveErr == nil {
		saveErr = commit() // the end of the last epoch
	}
	var de *train.DivergedError
	var ae *ag.AnomalyError
	lower, _ := strconv.ParseFloat(strconv.FormatFloat(o.lr/10, 'g', 3, 64), 64)
	lastGood := func() string {
		os.Remove(next) // not good: the weights it holds gave a non-finite loss
		if path == "" || good < 0 {
			return ""
		}
		return fmt.Sprintf(" (the last good checkpoint, after step %d: backprop train --resume %s --lr %g)", good, o.checkpointDir, lower)
	}
	switch {
	case saveErr != nil:
		return nil, saveErr
	case err == train.ErrStopped && path == "":
		return nil, &exitError{exitInterrupted, fmt.Sprintf("interrupted in epoch %d; nothing saved (no --checkpoint-dir)", epoch)}
	case err == train.ErrStopped:
		return nil, &exitError{exitInterrupted, fmt.Sprintf("interrupted at epoch %d, step %d; checkpoint saved in %s; resume with: backprop train --resume %s",
			epoch, good, path, o.checkpointDir)}
	case errors.As(err, &de):
		return nil, &exitError{exitDiverged, fmt.Sprintf("%v; try a lower learning rate, such as --lr %g%s", de, lower, lastGood())}
	case errors.As(err, &ae):
		return nil, &exitError{exitDiverged, fmt.Sprintf("%v; try a lower learning rate, such as --lr %g%s", ae, lower, lastGood())}
	case err != nil && o.resume == "":
		return nil, err
	case err != nil:
		return nil, flagError("resume", o.resume, "%v", err)
	}
	return hist, nil
}

// reportExit prints err for backprop train and returns the exit status.
func reportExit(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "backprop train: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 2
}
