package train

import (
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"backprop/data"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
)

// setup builds a run: the spiral, an MLP with dropout (so that the random
// source matters within epochs too) and the optimizer name.
func setup(optName string, seed uint64) (*data.Dataset, nn.Module, optim.Optimizer, *rand.PCG, *rand.Rand, nn.Spec) {
	ds := data.Spiral(rand.New(rand.NewPCG(1, 1)), 40, 3)
	src := rand.NewPCG(seed, 42)
	rng := rand.New(src)
	spec := nn.Spec{Sizes: []int{2, 16, 3}, Activation: "relu", Dropout: 0.2}
	m := nn.MLP(spec, rng)
	var opt optim.Optimizer
	switch optName {
	case "sgd":
		s := optim.NewSGD(nn.Vars(m), 0.1)
		s.Momentum = 0.9
		opt = s
	case "rmsprop":
		opt = optim.NewRMSProp(nn.Vars(m), 0.01)
	default:
		opt = optim.NewAdam(nn.Vars(m), 0.01)
	}
	return ds, m, opt, src, rng, spec
}

func config(opt optim.Optimizer, src *rand.PCG, rng *rand.Rand) Config {
	return Config{Epochs: 4, Batch: 16, Optimizer: opt, Rand: rng, Source: src,
		Schedule: optim.Warmup{Steps: 5, Then: optim.Cosine{Base: 0.01, Steps: 32}}}
}

func sameWeights(t *testing.T, a, b nn.Module) {
	t.Helper()
	pb := b.Parameters()
	for i, p := range a.Parameters() {
		x, y := p.Var.Value.Float32s(), pb[i].Var.Value.Float32s()
		for j := range x {
			if math.Float32bits(x[j]) != math.Float32bits(y[j]) {
				t.Fatalf("%s[%d]: %v, resumed %v", p.Name, j, x[j], y[j])
			}
		}
	}
}

// A run stopped at any step, saved, read back into a fresh model and
// optimizer and resumed ends with the same weights, bit for bit, and the
// same history.
func TestResumeExact(t *testing.T) {
	dir := t.TempDir()
	for _, optName := range []string{"adam", "sgd", "rmsprop"} {
		ds, ref, opt, src, rng, _ := setup(optName, 7)
		want, err := Run(ref, ds, ds, config(opt, src, rng))
		if err != nil || len(want) != 4 {
			t.Fatalf("%s: %v, %d epochs", optName, err, len(want))
		}
		// 8 batches per epoch: stop mid-epoch, at an epoch's end and at the
		// very end.
		for _, stopAt := range []int{0, 1, 5, 8, 13, 32} {
			for _, epochEnd := range []bool{false, true} {
				ds, m, opt, src, rng, spec := setup(optName, 7)
				path := filepath.Join(dir, "ck.safetensors")
				cfg := config(opt, src, rng)
				cfg.Checkpoint = func(p Progress) bool {
					if p.Step != stopAt || p.EpochEnd != epochEnd || p.Start != (stopAt == 0) {
						return false
					}
					c := &Checkpoint{Meta: Meta{Spec: spec, Std: 1}, Position: p.Position(), Extra: map[string]string{"k": "v"}}
					if err := WriteCheckpoint(path, m, opt, c); err != nil {
						t.Fatal(err)
					}
					return true
				}
				if _, err := Run(m, ds, ds, cfg); err != ErrStopped {
					if epochEnd && (stopAt%8 != 0 || stopAt == 0) {
						continue // no epoch ends at this step
					}
					t.Fatalf("%s stop at %d: %v", optName, stopAt, err)
				}
				c, err := ReadCheckpoint(path)
				if err != nil {
					t.Fatal(err)
				}
				if c.Extra["k"] != "v" || c.Meta.Arch != spec.Arch() {
					t.Errorf("extra %v, architecture %v", c.Extra, c.Meta.Arch)
				}
				ds, m2, opt2, src2, rng2, _ := setup(optName, 99) // other weights and random state
				if err := c.Restore(m2, opt2); err != nil {
					t.Fatal(err)
				}
				cfg2 := config(opt2, src2, rng2)
				cfg2.Resume = c.Position
				got, err := Run(m2, ds, ds, cfg2)
				if err != nil {
					t.Fatal(err)
				}
				sameWeights(t, ref, m2)
				if len(got) != len(want) {
					t.Fatalf("%s stop at %d: %d epochs of history, want %d", optName, stopAt, len(got), len(want))
				}
				for i := range got {
					if got[i].Loss != want[i].Loss || got[i].ValAccuracy != want[i].ValAccuracy {
						t.Errorf("%s stop at %d: epoch %d: %+v, want %+v", optName, stopAt, i+1, got[i], want[i])
					}
				}
			}
		}
	}
}

func TestRestoreMismatch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ck.safetensors")
	ds, m, opt, src, rng, spec := setup("adam", 1)
	cfg := config(opt, src, rng)
	cfg.Checkpoint = func(p Progress) bool {
		WriteCheckpoint(path, m, opt, &Checkpoint{Meta: Meta{Spec: spec, Std: 1}, Position: p.Position()})
		return true
	}
	Run(m, ds, nil, cfg)
	c, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	wide := nn.MLP(nn.Spec{Sizes: []int{2, 8, 3}}, rand.New(rand.NewPCG(1, 1)))
	if err := c.Restore(wide, optim.NewAdam(nn.Vars(wide), 1)); err == nil || !strings.Contains(err.Error(), `tensor "0.weight" has shape [16 2], the model wants [8 2]`) {
		t.Errorf("another architecture: %v", err)
	}
	_, m2, _, _, _, _ := setup("adam", 1)
	if err := c.Restore(m2, optim.NewSGD(nn.Vars(m2), 1)); err == nil || !strings.Contains(err.Error(), "the checkpoint holds the state of optimizer optim.Adam, not optim.SGD") {
		t.Errorf("another optimizer: %v", err)
	}
	// Resuming on other data is refused.
	_, m3, opt3, src3, rng3, _ := setup("adam", 1)
	c.Restore(m3, opt3)
	cfg3 := config(opt3, src3, rng3)
	cfg3.Resume = c.Position
	if _, err := Run(m3, ds.Head(30), nil, cfg3); err == nil || !strings.Contains(err.Error(), "the checkpoint was made with 120 examples in 8 batches per epoch, this run has 30 in 2") {
		t.Errorf("other data: %v", err)
	}
	// A model file is not a checkpoint.
	mp := filepath.Join(dir, "m.safetensors")
	SaveModel(mp, m, Meta{Spec: spec})
	if _, err := ReadCheckpoint(mp); err == nil || err.Error() != mp+`: not a checkpoint: no "train.position" in the metadata` {
		t.Errorf("a model file: %v", err)
	}
}

// Run stops at the first non-finite loss, before that step changes
// anything, and says where.
func TestRunDiverges(t *testing.T) {
	ds, m, _, src, rng, _ := setup("sgd", 3)
	opt := optim.NewSGD(nn.Vars(m), 1e30)
	cfg := Config{Epochs: 50, Batch: 16, Optimizer: opt, Rand: rng, Source: src}
	var before []*tensor.Tensor
	cfg.OnStep = func(Step) {
		before = before[:0]
		for _, p := range m.Parameters() {
			before = append(before, p.Var.Value.Clone())
		}
	}
	_, err := Run(m, ds, nil, cfg)
	var de *DivergedError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a DivergedError", err)
	}
	if !strings.Contains(de.Error(), "training diverged") || de.Step < 2 || de.Position.Step != de.Step-1 || de.LR != 1e30 {
		t.Errorf("%v %+v", de, de.Position)
	}
	for i, p := range m.Parameters() {
		if !tensor.Equal(p.Var.Value, before[i]) {
			t.Errorf("%s changed by the failed step", p.Name)
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := WriteFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "old"); return err }); err != nil {
		t.Fatal(err)
	}
	// A write that fails halfway leaves the old file and no temporary one.
	boom := errors.New("boom")
	err := WriteFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, strings.Repeat("new", 1<<20))
		return boom
	})
	if err != boom {
		t.Errorf("error %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("content %q after a failed write", b)
	}
	if err := WriteFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if b, _ := os.ReadFile(path); string(b) != "new" || len(entries) != 1 {
		t.Errorf("content %q, %d entries", b, len(entries))
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	if err := WriteFileAtomic(filepath.Join(dir, "no", "f"), func(io.Writer) error { return nil }); err == nil {
		t.Error("no error writing into a missing folder")
	}
}
