package train

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"backprop/data/text"
	"backprop/nn"
	"backprop/optim"
)

// textSetup builds a tiny next-byte model, its optimizer and the data: a
// text with a short period, which the model learns quickly.
func textSetup(arch string) (TextData, nn.Module, optim.Optimizer, *rand.PCG, *rand.Rand) {
	src := rand.NewPCG(3, 42)
	rng := rand.New(src)
	m, err := nn.MustParseArch(arch).Build([]int{8}, rng)
	if err != nil {
		panic(err)
	}
	tr := &text.Split{Data: []byte(strings.Repeat("func main() { return }\n", 40))}
	val := &text.Split{Data: []byte(strings.Repeat("func main() { return }\n", 8))}
	d := TextData{Train: tr, Val: val, Context: 8, StepsPerEpoch: 6, ValWindows: 10, ValSeed: 1}
	return d, m, optim.NewAdam(nn.Vars(m), 0.02), src, rng
}

// A next-byte model of a repeated line learns it: the validation loss
// falls far below that of a uniform guess, ln 256, and most next bytes
// are predicted.
func TestRunTextLearns(t *testing.T) {
	d, m, opt, src, rng := textSetup("embed(16) lstm(32) linear(256)")
	hist, err := RunText(m, d, Config{Epochs: 5, Batch: 4, Optimizer: opt, Rand: rng, Source: src})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 5 {
		t.Fatalf("%d epochs, want 5", len(hist))
	}
	first, last := hist[0], hist[4]
	if !(first.ValLoss < math.Log(256)) || !(last.ValLoss < first.ValLoss) || last.ValLoss > 1 {
		t.Errorf("validation loss %.3f after one epoch, %.3f after five: want a fall below 1 nat", first.ValLoss, last.ValLoss)
	}
	if last.ValAccuracy < 0.6 {
		t.Errorf("validation accuracy %.3f, want most next bytes", last.ValAccuracy)
	}
	// The validation windows are the same every time.
	l1, a1 := EvaluateText(m, d.Val, d.Context, 10, 1, 4)
	l2, a2 := EvaluateText(m, d.Val, d.Context, 10, 1, 3)
	if math.Abs(l1-l2) > 1e-5 || a1 != a2 || math.Abs(l1-last.ValLoss) > 1e-5 {
		t.Errorf("EvaluateText: %v %v and %v %v in batches of 4 and 3, the run's last %v", l1, a1, l2, a2, last.ValLoss)
	}
}

// A text run stopped at a step, checkpointed, read back into a fresh
// model and optimizer and resumed ends with the weights of a run never
// stopped, bit for bit: the sampler's position and the random state are
// in the checkpoint.
func TestRunTextResumes(t *testing.T) {
	for _, arch := range []string{"embed(8) lstm(8) linear(256)", "embed(8) posembed(8) block(2,dropout=0.1) layernorm(axes=1) linear(256)"} {
		cfgOf := func(opt optim.Optimizer, src *rand.PCG, rng *rand.Rand) Config {
			return Config{Epochs: 3, Batch: 5, Optimizer: opt, Rand: rng, Source: src,
				Schedule: optim.Warmup{Steps: 3, Then: optim.Cosine{Base: 0.01, Steps: 18}}}
		}
		d, whole, opt, src, rng := textSetup(arch)
		d.Train.Data = d.Train.Data[:60] // so that the sampler starts over within an epoch
		if _, err := RunText(whole, d, cfgOf(opt, src, rng)); err != nil {
			t.Fatal(err)
		}
		for _, at := range []int{1, 6, 10} {
			dir := t.TempDir()
			d, m, opt, src, rng := textSetup(arch)
			d.Train.Data = d.Train.Data[:60]
			cfg := cfgOf(opt, src, rng)
			cfg.Checkpoints = &Checkpoints{Dir: dir, Meta: Meta{Shape: []int{8}}}
			cfg.Stop = func() bool { at--; return at == 0 }
			_, err := RunText(m, d, cfg)
			var se *StoppedError
			if !errors.As(err, &se) {
				t.Fatalf("%s: stopped run: %v", arch, err)
			}
			ck, err := ReadCheckpoint(filepath.Join(dir, CheckpointFile))
			if err != nil {
				t.Fatal(err)
			}
			d, m, opt, src, rng = textSetup(arch)
			d.Train.Data = d.Train.Data[:60]
			if err := ck.Restore(m, opt); err != nil {
				t.Fatal(err)
			}
			cfg = cfgOf(opt, src, rng)
			cfg.Resume = ck.Position
			hist, err := RunText(m, d, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != 3 {
				t.Errorf("%s: resumed run has %d epochs of history, want 3", arch, len(hist))
			}
			sameWeights(t, whole, m)
		}
	}
}

// Data too short for a window is an error naming the split.
func TestRunTextShortData(t *testing.T) {
	d, m, opt, src, rng := textSetup("embed(4) linear(256)")
	d.Val = &text.Split{Data: []byte("short")}
	_, err := RunText(m, d, Config{Epochs: 1, Batch: 2, Optimizer: opt, Rand: rng, Source: src})
	if err == nil || err.Error() != "train: validation text: a split of 5 bytes is shorter than a window of 9" {
		t.Errorf("got %v", err)
	}
}

// A text run whose loss becomes infinite stops before that step, and the
// DivergedError's Position resumes at it: the same windows are drawn
// again.
func TestRunTextDiverged(t *testing.T) {
	d, m, opt, src, rng := textSetup("embed(4) linear(256)")
	_, err := RunText(m, d, Config{Epochs: 2, Batch: 4, Optimizer: opt, Rand: rng, Source: src, Schedule: optim.Constant(1e30)})
	var de *DivergedError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a DivergedError", err)
	}
	if de.Position.Step != de.Step-1 || de.Position.Windows != de.Position.Batch*4 {
		t.Errorf("diverged at step %d: position step %d, batch %d, windows %d", de.Step, de.Position.Step, de.Position.Batch, de.Position.Windows)
	}
}
