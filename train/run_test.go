package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"backprop/data"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
)

// wrongLabels returns ds with every label moved to the next class: a
// validation set whose loss grows as the model learns ds.
func wrongLabels(ds *data.Dataset) *data.Dataset {
	out := ds.Spread(ds.Len())
	for i := range out.Y {
		out.Y[i] = (out.Y[i] + 1) % out.Classes
	}
	return out
}

// Early stopping ends the run Patience epochs after the best validation
// loss and leaves the model with the weights it had at the end of that
// epoch.
func TestEarlyStopping(t *testing.T) {
	ds, ref, opt, src, rng, _ := setup("adam", 5)
	val := wrongLabels(ds)
	cfg := config(opt, src, rng)
	cfg.Epochs = 12
	var atEpoch [][]*tensor.Tensor // the weights at each epoch's end
	cfg.OnEpoch = func(Epoch) {
		var ws []*tensor.Tensor
		for _, p := range ref.Parameters() {
			ws = append(ws, p.Var.Value.Clone())
		}
		atEpoch = append(atEpoch, ws)
	}
	full, err := Run(ref, ds, val, cfg)
	if err != nil {
		t.Fatal(err)
	}
	best := 0
	for i, e := range full {
		if e.ValLoss < full[best].ValLoss {
			best = i
		}
	}
	if best+3 >= len(full) {
		t.Fatalf("the validation loss is best at epoch %d of %d: the test needs it to rise", best+1, len(full))
	}

	ds, early, opt, src, rng, _ := setup("adam", 5)
	cfg = config(opt, src, rng)
	cfg.Epochs, cfg.Patience = 12, 2
	hist, err := Run(early, ds, val, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != best+1+2 {
		t.Errorf("stopped after %d epochs, want %d (best %d + patience 2)", len(hist), best+3, best+1)
	}
	for i, p := range early.Parameters() {
		if !tensor.Equal(p.Var.Value, atEpoch[best][i]) {
			t.Errorf("%s is not the weight of the best epoch %d", p.Name, best+1)
		}
	}
	if _, err := Run(early, ds, nil, cfg); err == nil || err.Error() != "train: early stopping (Patience) needs a validation set" {
		t.Errorf("Patience without a validation set: %v", err)
	}

	// Stopped anywhere and resumed from its checkpoint, the run stops at
	// the same epoch with the same weights, bit for bit.
	dir := t.TempDir()
	for _, stopAt := range []int{3, 8, 8 * (best + 1), 8*(best+1) + 4, 8 * (best + 3)} {
		ds, m, opt, src, rng, spec := setup("adam", 5)
		cfg := config(opt, src, rng)
		cfg.Epochs, cfg.Patience = 12, 2
		path := filepath.Join(dir, "ck.safetensors")
		cfg.Checkpoint = func(p Progress) bool {
			if p.Step != stopAt || p.EpochEnd != (stopAt%8 == 0) {
				return false
			}
			if err := WriteCheckpoint(path, m, opt, &Checkpoint{Meta: Meta{Spec: spec, Std: 1}, Position: p.Position()}); err != nil {
				t.Fatal(err)
			}
			return true
		}
		if _, err := Run(m, ds, val, cfg); err != ErrStopped {
			t.Fatalf("stop at %d: %v", stopAt, err)
		}
		c, err := ReadCheckpoint(path)
		if err != nil {
			t.Fatal(err)
		}
		if (c.Position.Best == nil) != (stopAt < 8) {
			t.Errorf("stop at %d: best %+v", stopAt, c.Position.Best)
		}
		ds, m2, opt2, src2, rng2, _ := setup("adam", 99)
		if err := c.Restore(m2, opt2); err != nil {
			t.Fatal(err)
		}
		cfg2 := config(opt2, src2, rng2)
		cfg2.Epochs, cfg2.Patience, cfg2.Resume = 12, 2, c.Position
		got, err := Run(m2, ds, val, cfg2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(hist) {
			t.Errorf("stop at %d: resumed run ran %d epochs, want %d", stopAt, len(got), len(hist))
		}
		sameWeights(t, early, m2)
	}
}

// Config.Stop saves a checkpoint in place and returns a StoppedError that
// names it; without Checkpoints it saves nothing.
func TestStop(t *testing.T) {
	for _, withDir := range []bool{true, false} {
		ds, m, opt, src, rng, spec := setup("sgd", 2)
		cfg := config(opt, src, rng)
		dir := t.TempDir()
		if withDir {
			cfg.Checkpoints = &Checkpoints{Dir: dir, Meta: Meta{Spec: spec, Std: 1}, Extra: map[string]string{"flags": "{}"}}
		}
		steps := 0
		cfg.OnStep = func(Step) { steps++ }
		cfg.Stop = func() bool { return steps == 5 }
		_, err := Run(m, ds, ds, cfg)
		var se *StoppedError
		if !errors.As(err, &se) || !errors.Is(err, ErrStopped) || se.Epoch != 1 || se.Step != 5 {
			t.Fatalf("got %v, want a StoppedError at epoch 1, step 5", err)
		}
		entries, _ := os.ReadDir(dir)
		if !withDir {
			if se.Checkpoint != "" || len(entries) != 0 {
				t.Errorf("without Checkpoints: checkpoint %q, %d files", se.Checkpoint, len(entries))
			}
			continue
		}
		if se.Checkpoint != filepath.Join(dir, CheckpointFile) || len(entries) != 1 {
			t.Errorf("checkpoint %q, files %v", se.Checkpoint, entries)
		}
		c, err := ReadCheckpoint(se.Checkpoint)
		if err != nil || c.Position.Step != 5 || c.Extra["flags"] != "{}" {
			t.Errorf("the checkpoint: %v, %+v", err, c)
		}
	}
}

// With Checkpoints a diverged run names the last good checkpoint: the
// one whose weights still gave a finite loss, on disk, with no pending
// one beside it.
func TestCheckpointsLastGood(t *testing.T) {
	ds, m, _, src, rng, spec := setup("sgd", 3)
	opt := optim.NewSGD(nn.Vars(m), 1e30)
	dir := t.TempDir()
	cfg := Config{Epochs: 50, Batch: 16, Optimizer: opt, Rand: rng, Source: src,
		Checkpoints: &Checkpoints{Dir: dir, Every: 1, Meta: Meta{Spec: spec, Std: 1}}}
	_, err := Run(m, ds, nil, cfg)
	var de *DivergedError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a DivergedError", err)
	}
	if de.LastGood != filepath.Join(dir, CheckpointFile) || de.LastGoodStep != de.Step-2 {
		t.Errorf("last good %q after step %d; diverged at step %d", de.LastGood, de.LastGoodStep, de.Step)
	}
	c, err := ReadCheckpoint(de.LastGood)
	if err != nil || c.Position.Step != de.LastGoodStep {
		t.Errorf("%v %+v", err, c)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files %v, want only the checkpoint", entries)
	}
}

// The log holds a line per step and per epoch, and a resumed run's log
// continues where the checkpoint was made.
func TestLog(t *testing.T) {
	ds, m, opt, src, rng, _ := setup("sgd", 4)
	cfg := config(opt, src, rng)
	cfg.Epochs = 2
	var buf bytes.Buffer
	l := NewLog(&buf)
	cfg.OnStep, cfg.OnEpoch = l.Step, l.Epoch
	if _, err := Run(m, ds, nil, cfg); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 18 {
		t.Fatalf("%d lines, want 2 × (8 steps + 1 epoch):\n%s", len(lines), buf.String())
	}
	var s struct {
		Type             string
		Epoch, Step      int
		Loss, LR         float64
		SamplesPerSecond float64  `json:"samples_per_second"`
		ValLoss          *float64 `json:"val_loss"`
	}
	if err := json.Unmarshal([]byte(lines[9]), &s); err != nil || s.Type != "step" || s.Epoch != 2 || s.Step != 9 || s.Loss <= 0 || s.LR <= 0 || s.SamplesPerSecond <= 0 {
		t.Errorf("line 10: %v %+v: %s", err, s, lines[9])
	}
	if err := json.Unmarshal([]byte(lines[17]), &s); err != nil || s.Type != "epoch" || s.Epoch != 2 || s.Step != 16 || s.ValLoss != nil {
		t.Errorf("last line: %v %+v: %s", err, s, lines[17])
	}
	if !strings.Contains(lines[17], `"val_loss":null`) {
		t.Errorf("no validation set, but %s", lines[17])
	}

	// Resuming from step 5 keeps the first five step lines and drops the
	// rest, and a torn last line.
	path := filepath.Join(t.TempDir(), "log.jsonl")
	os.WriteFile(path, []byte(buf.String()+`{"type":"st`), 0o644)
	rl, err := OpenLog(path, &Position{Epoch: 1, Batch: 5, Step: 5})
	if err != nil {
		t.Fatal(err)
	}
	rl.Step(Step{Epoch: 1, Total: 6, BatchLoss: math.NaN()})
	if err := rl.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(got) != 6 || got[4] != lines[4] || !strings.HasPrefix(got[5], `{"type":"step","epoch":1,"step":6,"loss":null,`) {
		t.Errorf("resumed log:\n%s", b)
	}
}
