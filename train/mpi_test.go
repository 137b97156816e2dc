//go:build mpi

// Data-parallel training across processes. test.sh builds these tests
// with "go test -c -tags mpi" and runs them under mpirun -np 2 and -np 3;
// every rank runs every test in the same order so that the collectives
// meet, and reports failures with Errorf rather than stopping early.
// Each rank also trains the single-process reference itself (a few
// steps), so that no rank waits for another.

package train_test

import (
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"backprop/data"
	"backprop/data/mnist"
	"backprop/dist"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
	"backprop/train"
)

var world dist.Comm

func TestMain(m *testing.M) {
	c, err := dist.Init()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	if c.Size() < 2 {
		fmt.Fprintln(os.Stderr, "FAIL: one rank: run these tests under mpirun -np 2 or more (test.sh does)")
		os.Exit(1)
	}
	world = c
	code := m.Run()
	if err := c.Finalize(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		code = 1
	}
	os.Exit(code)
}

// digits returns n MNIST test digits, standardized.
func digits(t *testing.T, n int) *data.Dataset {
	t.Helper()
	dir, err := mnist.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := mnist.LoadSet(dir, "t10k")
	if err != nil {
		t.Fatal(err)
	}
	ds.Standardize(0.1307, 0.3081)
	return ds.Head(n)
}

// run is one training run: a model, its optimizer and its configuration,
// built from a seed as backprop train builds them.
type run struct {
	m   *nn.Sequential
	opt optim.Optimizer
	cfg train.Config
}

func newRun(spec nn.Spec, optName string, seed uint64, epochs, batch int) *run {
	src := rand.NewPCG(seed, 42)
	rng := rand.New(src)
	m := nn.MLP(spec, rng)
	var opt optim.Optimizer
	if optName == "sgd" {
		s := optim.NewSGD(nn.Vars(m), 0.05)
		s.Momentum = 0.9
		opt = s
	} else {
		opt = optim.NewAdam(nn.Vars(m), 2e-3)
	}
	return &run{m, opt, train.Config{Epochs: epochs, Batch: batch, Optimizer: opt, Rand: rng, Source: src}}
}

// relDiff returns ‖a − b‖ / ‖b‖ over the elements of two tensors.
func relDiff(a, b *tensor.Tensor) float64 {
	var d, n float64
	for i := range a.Len() {
		x, y := a.Flat(i), b.Flat(i)
		d += (x - y) * (x - y)
		n += y * y
	}
	if n == 0 {
		return math.Sqrt(d)
	}
	return math.Sqrt(d / n)
}

// checksum returns a CRC-32C of m's parameters.
func checksum(m nn.Module) uint32 {
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	for _, p := range m.Parameters() {
		s := p.Var.Value.Float32s()
		h.Write(unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), 4*len(s)))
	}
	return h.Sum32()
}

// allSame reports, on every rank, whether x is the same on all ranks.
func allSame(t *testing.T, x float64) bool {
	t.Helper()
	b := []float64{x}
	if err := dist.Broadcast(world, b, 0); err != nil {
		t.Fatal(err)
	}
	diff := []float64{0}
	if b[0] != x {
		diff[0] = 1
	}
	if err := dist.AllReduce(world, diff); err != nil {
		t.Fatal(err)
	}
	return diff[0] == 0
}

// After one step of a global batch split over the ranks, the summed
// gradients and the parameters are those of one process with the whole
// batch, within 1e-6 relative (the order of the sums differs): with SGD,
// with Adam plus dropout and L2 (the dropout masks of every row must be
// those one process draws), and with a batch of 5 of 7 examples, whose
// second batch of 2 leaves a rank of three without rows.
func TestDataParallelOneStep(t *testing.T) {
	spec := nn.Spec{Sizes: []int{784, 512, 256, 10}, Activation: "relu"}
	withDropout := spec
	withDropout.Dropout = 0.3
	for _, c := range []struct {
		name     string
		spec     nn.Spec
		opt      string
		l2       float64
		examples int
		batch    int
	}{
		{"sgd", spec, "sgd", 0, 128, 128},
		{"adam, dropout, L2", withDropout, "adam", 1e-3, 128, 128},
		{"sgd, 7 examples in batches of 5", withDropout, "sgd", 0, 7, 5},
	} {
		ds := digits(t, c.examples)
		one := newRun(c.spec, c.opt, 3, 1, c.batch)
		one.cfg.L2 = c.l2
		if _, err := train.Run(one.m, ds, nil, one.cfg); err != nil {
			t.Fatalf("%s: one process: %v", c.name, err)
		}
		par := newRun(c.spec, c.opt, 3, 1, c.batch)
		par.cfg.L2 = c.l2
		par.cfg.Comm = world
		if _, err := train.Run(par.m, ds, nil, par.cfg); err != nil {
			t.Fatalf("%s: rank %d: %v", c.name, world.Rank(), err)
		}
		worst, worstGrad := 0.0, 0.0
		for i, p := range par.m.Parameters() {
			q := one.m.Parameters()[i]
			worst = max(worst, relDiff(p.Var.Value, q.Var.Value))
			worstGrad = max(worstGrad, relDiff(p.Var.Grad, q.Var.Grad))
		}
		if worst > 1e-6 || worstGrad > 1e-6 {
			t.Errorf("%s: rank %d of %d: parameters differ by %.3g, the last gradients by %.3g relative, want ≤ 1e-6",
				c.name, world.Rank(), world.Size(), worst, worstGrad)
		}
		t.Logf("%s: rank %d of %d: parameters within %.3g, gradients within %.3g", c.name, world.Rank(), world.Size(), worst, worstGrad)
		if !allSame(t, float64(checksum(par.m))) {
			t.Errorf("%s: the ranks hold different parameters", c.name)
		}
	}
}

// After every step every rank holds the same parameters, bit for bit,
// and reports the same loss; two runs give the same model.
func TestDataParallelSameEveryStep(t *testing.T) {
	ds := digits(t, 1000)
	spec := nn.Spec{Sizes: []int{784, 64, 10}, Activation: "relu", Dropout: 0.2}
	var sums []uint32
	for attempt := range 2 {
		r := newRun(spec, "adam", 5, 2, 100)
		r.cfg.Comm = world
		steps, bad := 0, 0
		r.cfg.OnStep = func(s train.Step) {
			steps++
			sum := checksum(r.m)
			if !allSame(t, float64(sum)) || !allSame(t, s.Loss) {
				bad++
			}
		}
		if _, err := train.Run(r.m, ds, ds, r.cfg); err != nil {
			t.Fatalf("rank %d: %v", world.Rank(), err)
		}
		if steps != 20 || bad != 0 {
			t.Errorf("attempt %d, rank %d: %d steps, %d with parameters or losses that differ between ranks", attempt, world.Rank(), steps, bad)
		}
		sums = append(sums, checksum(r.m))
	}
	if sums[0] != sums[1] {
		t.Errorf("rank %d: two runs end with different parameters", world.Rank())
	}
}

// Stop asked on the last rank alone, in the middle of an epoch, stops
// every rank after the same step with a StoppedError, rank 0 saving the
// checkpoint (Config.Checkpoints) and calling Checkpoint alone; resumed
// from that checkpoint by every rank, the run ends with the parameters of
// a run never interrupted, bit for bit.
func TestDataParallelStopAndResume(t *testing.T) {
	ds := digits(t, 600)
	spec := nn.Spec{Sizes: []int{784, 32, 10}, Activation: "relu", Dropout: 0.1}
	ref := newRun(spec, "adam", 9, 2, 64) // 10 steps an epoch
	ref.cfg.Comm = world
	if _, err := train.Run(ref.m, ds, ds, ref.cfg); err != nil {
		t.Fatal(err)
	}
	id := []float64{float64(time.Now().UnixNano() % (1 << 50))}
	if err := dist.Broadcast(world, id, 0); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("train-mpi-%d", int64(id[0])))
	if world.Rank() == 0 {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
	}
	r := newRun(spec, "adam", 9, 2, 64)
	r.cfg.Comm = world
	r.cfg.Checkpoints = &train.Checkpoints{Dir: dir, Every: 4, Meta: train.Meta{Spec: spec, Std: 1}}
	steps, calls := 0, 0
	r.cfg.OnStep = func(train.Step) { steps++ }
	// Asked during step 14, when 13 steps are done.
	r.cfg.Stop = func() bool { return world.Rank() == world.Size()-1 && steps == 13 }
	r.cfg.Checkpoint = func(p train.Progress) bool {
		calls++
		return false
	}
	_, err := train.Run(r.m, ds, ds, r.cfg)
	var se *train.StoppedError
	if !errors.As(err, &se) || se.Step != 14 || steps != 14 {
		t.Fatalf("rank %d: stopped with %v after %d steps, want a StoppedError after step 14", world.Rank(), err, steps)
	}
	if (world.Rank() == 0) != (calls > 0) {
		t.Errorf("rank %d: Checkpoint called %d times", world.Rank(), calls)
	}
	if err := world.Barrier(); err != nil { // the checkpoint is written
		t.Fatal(err)
	}
	ck, err := train.ReadCheckpoint(r.cfg.Checkpoints.Path())
	if err != nil {
		t.Fatal(err)
	}
	if ck.Position.Step != 14 {
		t.Errorf("rank %d: the checkpoint is at step %d, want 14", world.Rank(), ck.Position.Step)
	}
	res := newRun(spec, "adam", 9, 2, 64)
	if err := ck.Restore(res.m, res.opt); err != nil {
		t.Fatal(err)
	}
	res.cfg.Comm, res.cfg.Resume = world, ck.Position
	if _, err := train.Run(res.m, ds, ds, res.cfg); err != nil {
		t.Fatal(err)
	}
	if checksum(res.m) != checksum(ref.m) {
		t.Errorf("rank %d: the resumed run ends with other parameters than the uninterrupted one", world.Rank())
	}
	if err := world.Barrier(); err != nil { // every rank has read the checkpoint
		t.Fatal(err)
	}
}

// The ranks must start from the same position: a rank that resumes
// elsewhere (here, another seed and so another order of the data) makes
// every rank fail at the start instead of training apart.
func TestDataParallelRanksMustAgree(t *testing.T) {
	ds := digits(t, 200)
	spec := nn.Spec{Sizes: []int{784, 16, 10}, Activation: "relu"}
	seed := uint64(1)
	if world.Rank() == world.Size()-1 {
		seed = 2
	}
	r := newRun(spec, "sgd", seed, 1, 50)
	r.cfg.Comm = world
	steps := 0
	r.cfg.OnStep = func(train.Step) { steps++ }
	_, err := train.Run(r.m, ds, nil, r.cfg)
	if err == nil || steps != 0 {
		t.Errorf("rank %d: ranks with different seeds trained %d steps (%v)", world.Rank(), steps, err)
	}
}

// EvaluateSplit gives every rank the loss and accuracy of the whole set
// (the loss within float32 rounding: the batches differ).
func TestDataParallelEvaluateSplit(t *testing.T) {
	ds := digits(t, 1003)
	r := newRun(nn.Spec{Sizes: []int{784, 32, 10}, Activation: "relu"}, "sgd", 4, 1, 100)
	wantLoss, wantAcc := train.Evaluate(r.m, ds, 1000)
	loss, acc, err := train.EvaluateSplit(world, r.m, ds, 1000)
	if err != nil || acc != wantAcc || math.Abs(loss-wantLoss) > 1e-6*wantLoss {
		t.Errorf("rank %d: split evaluation %v, %v (%v), want %v, %v", world.Rank(), loss, acc, err, wantLoss, wantAcc)
	}
}
