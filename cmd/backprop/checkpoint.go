package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"backprop/ag"
	"backprop/data"
	"backprop/nn"
	"backprop/optim"
	"backprop/train"
)

// exitError is an error with its own exit status, and the error it
// reports (cause, which may be nil).
type exitError struct {
	code  int
	msg   string
	cause error
}

func (e *exitError) Error() string { return e.msg }

func (e *exitError) Unwrap() error { return e.cause }

// Exit statuses of backprop train beyond 0 and 2.
const (
	exitDiverged    = 1   // the loss became NaN or infinite
	exitInterrupted = 130 // SIGINT or SIGTERM: a checkpoint was written (128 + SIGINT, as shells report it)
)

// keyFlags is the key of Checkpoint.Extra holding the flags of the run.
const keyFlags = "flags"

// notStored lists the flags a checkpoint does not record: where to read
// and write checkpoints is a property of this invocation, not of the run.
// Nor is the memory limit, a property of the machine.
var notStored = map[string]bool{"resume": true, "checkpoint-dir": true, "max-memory": true}

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
	path := filepath.Join(o.resume, train.CheckpointFile)
	ck, err := train.ReadCheckpoint(path, o.maxMemory.nn())
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
func restoreCheckpoint(o *trainOptions, ck *train.Checkpoint, model *nn.Sequential, opt optim.Optimizer, p *nn.Plan, tr *data.Dataset) error {
	if ck == nil {
		return nil
	}
	if want := p.Arch().String(); ck.Meta.Arch != want {
		return flagError("resume", o.resume, "the checkpoint's network is %s, the flags ask for %s",
			ck.Meta.Arch, want)
	}
	if n := len(ck.Position.Perm); n != tr.Len() {
		return flagError("resume", o.resume, "the checkpoint was made with %d training examples, the flags give %d", n, tr.Len())
	}
	if err := ck.Restore(model, opt); err != nil {
		return flagError("resume", o.resume, "%v", err)
	}
	return nil
}

// trainSignals subscribes c to the signals that stop training: SIGINT
// (Ctrl-C) and SIGTERM. A test replaces it to send them itself.
var trainSignals = func(c chan<- os.Signal) { signal.Notify(c, os.Interrupt, syscall.SIGTERM) }

// interruptions returns a train.Config.Stop that is true once SIGINT or
// SIGTERM has come, so that the step in progress finishes and the run
// stops cleanly, and a function that stops listening. Stop is called
// between steps, by the training goroutine alone.
func interruptions() (stop func() bool, release func()) {
	got := false
	c := make(chan os.Signal, 1)
	trainSignals(c)
	stop = func() bool {
		if !got {
			select {
			case <-c:
				got = true
			default:
			}
		}
		return got
	}
	return stop, func() { signal.Stop(c) }
}

// trainError turns an error of train.Run into the error train reports,
// with the exit status of an interrupted or diverged run.
func trainError(o *trainOptions, ck *train.Checkpoints, err error) error {
	var se *train.StoppedError
	var de *train.DivergedError
	var ae *ag.AnomalyError
	lower, _ := strconv.ParseFloat(strconv.FormatFloat(o.lr/10, 'g', 3, 64), 64)
	lastGood := func(path string, step int) string {
		if path == "" {
			return ""
		}
		return fmt.Sprintf(" (the last good checkpoint, after step %d: backprop train --resume %s --lr %g)", step, o.checkpointDir, lower)
	}
	switch {
	case errors.As(err, &se) && se.Checkpoint != "":
		return &exitError{exitInterrupted, fmt.Sprintf("interrupted at epoch %d, step %d; checkpoint saved in %s; resume with: backprop train --resume %s",
			se.Epoch, se.Step, se.Checkpoint, o.checkpointDir), se}
	case se != nil:
		return &exitError{exitInterrupted, fmt.Sprintf("interrupted at epoch %d, step %d; nothing was saved: train with --checkpoint-dir DIR to make a run that can be resumed",
			se.Epoch, se.Step), se}
	case errors.As(err, &de):
		return &exitError{exitDiverged, fmt.Sprintf("%v; try a lower learning rate, such as --lr %g%s", de, lower, lastGood(de.LastGood, de.LastGoodStep)), de}
	case errors.As(err, &ae):
		path, step := "", 0
		if ck != nil {
			if s, ok := ck.LastGood(); ok {
				path, step = ck.Path(), s
			}
		}
		return &exitError{exitDiverged, fmt.Sprintf("%v; try a lower learning rate, such as --lr %g%s", ae, lower, lastGood(path, step)), ae}
	}
	var ce *train.CheckpointError
	var comm *train.CommError
	if errors.As(err, &ce) {
		return flagError("checkpoint-dir", o.checkpointDir, "%v", ce.Err)
	}
	if o.resume == "" || errors.As(err, &comm) {
		return err // not the checkpoint's fault (ranks that do not agree, a communicator that failed)
	}
	return flagError("resume", o.resume, "%v", err)
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
