package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
)

// Log writes a training run as JSON Lines, one object per step and one
// per epoch, for tools that read logs (jq, pandas.read_json(lines=True),
// a plotting script). Its methods Step and Epoch fit Config.OnStep and
// Config.OnEpoch:
//
//	{"type": "step", "epoch": 1, "step": 12, "loss": 0.5301, "lr": 0.001, "samples_per_second": 41000}
//	{"type": "epoch", "epoch": 1, "step": 430, "loss": 0.29, "accuracy": 0.908,
//	 "val_loss": 0.098, "val_accuracy": 0.969, "lr": 0.0015, "seconds": 1.5, "samples_per_second": 37515}
//
// "step" counts the steps of the whole run from 1, "loss" of a step is
// that step's own loss, and a number that is not finite (a validation
// loss without a validation set) is null.
type Log struct {
	w    io.Writer
	f    *os.File // the file of OpenLog, closed by Close
	step int      // the steps done, for the epoch lines
	err  error
}

// NewLog returns a Log that writes to w.
func NewLog(w io.Writer) *Log { return &Log{w: w} }

// OpenLog creates the log file path, or, when resume is not nil,
// continues the log of the run resume was saved from: it keeps the lines
// of the steps and epochs done up to resume (those a run killed after
// its checkpoint wrote beyond it are dropped, so that they are not
// written twice) and appends after them.
func OpenLog(path string, resume *Position) (*Log, error) {
	if resume == nil {
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		return &Log{w: f, f: f}, nil
	}
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	var kept bytes.Buffer
	for line := range bytes.Lines(old) {
		var l struct {
			Type        string
			Epoch, Step int
		}
		if json.Unmarshal(line, &l) != nil || !bytes.HasSuffix(line, []byte("\n")) {
			continue // a torn last line
		}
		if l.Type == "step" && l.Step <= resume.Step || l.Type == "epoch" && l.Epoch <= len(resume.History) {
			kept.Write(line)
		}
	}
	if err := WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(kept.Bytes()); return err }); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	return &Log{w: f, f: f, step: resume.Step}, nil
}

// num is a float64 that JSON writes as null when it is not finite.
type num float64

func (x num) MarshalJSON() ([]byte, error) {
	v := float64(x)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

func (l *Log) write(v any) {
	if l.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err == nil {
		_, err = l.w.Write(append(b, '\n'))
	}
	l.err = err
}

// Step writes the line of a step.
func (l *Log) Step(s Step) {
	l.step = s.Total
	l.write(struct {
		Type             string `json:"type"`
		Epoch            int    `json:"epoch"`
		Step             int    `json:"step"`
		Loss             num    `json:"loss"`
		LR               num    `json:"lr"`
		SamplesPerSecond num    `json:"samples_per_second"`
	}{"step", s.Epoch, s.Total, num(s.BatchLoss), num(s.LR), num(math.Round(s.SamplesPerSecond))})
}

// Epoch writes the line of an epoch.
func (l *Log) Epoch(e Epoch) {
	l.write(struct {
		Type             string `json:"type"`
		Epoch            int    `json:"epoch"`
		Step             int    `json:"step"`
		Loss             num    `json:"loss"`
		Accuracy         num    `json:"accuracy"`
		ValLoss          num    `json:"val_loss"`
		ValAccuracy      num    `json:"val_accuracy"`
		LR               num    `json:"lr"`
		Seconds          num    `json:"seconds"`
		SamplesPerSecond num    `json:"samples_per_second"`
	}{"epoch", e.Epoch, l.step, num(e.Loss), num(e.Accuracy), num(e.ValLoss), num(e.ValAccuracy), num(e.LR),
		num(math.Round(e.Seconds*1000) / 1000), num(math.Round(e.SamplesPerSecond))})
}

// Close closes the log's file (OpenLog's), returning the
// first error of a write.
func (l *Log) Close() error {
	if l.f != nil {
		if err := l.f.Close(); l.err == nil {
			l.err = err
		}
	}
	if l.err != nil {
		return fmt.Errorf("log: %v", l.err)
	}
	return nil
}
