package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"time"

	"backprop/ag"
	"backprop/data"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
)

const benchTrainSynopsis = "backprop bench train [--batch B] [--threads T] [--hidden 512,256 | --arch SPEC|PRESET [--context N] | --tiny] [--time D] [--json] [--max-memory SIZE]"

const benchTrainUsage = "usage: " + benchTrainSynopsis + `

Bench train measures one training step of a multilayer perceptron on a
random batch: forward pass, softmax cross-entropy, backward pass and an
SGD update with momentum 0.9, all in float32, in an ag.Scope as
train.Fit runs it. The network is the MNIST
one, 784-H…-10 with ReLU (H = --hidden), and the batch holds B random
MNIST-shaped images with random labels, the same every step. It also
measures inference: the forward pass alone, without recording gradients
and with the network in evaluation mode (dropout off, batch normalisation
on its running statistics).

With --arch the network is any architecture of backprop train --arch
instead, such as the preset lenet5 or mnistcnn or the text
"conv(32,3) relu maxpool(2) flatten linear(10)", for [1 28 28] images and
10 classes; or a next-byte model (one that starts with embed, such as the
presets lstm and gpt) on windows of --context random bytes, its loss the
cross-entropy over every position, as train --dataset gosrc computes it.

With --tiny the network is the one of micrograd's demo instead: 2-16-16-1
with ReLU on 100 points (the whole data set as one batch, --batch is
ignored), the max-margin loss mean(relu(1 − y·score)) + 1e-4·Σp² and the
same SGD.

After a warm-up, steps are repeated in rounds of at least --time/10 each
for at least --time, and the median round's mean is reported:

	train batch=64 hidden=512,256 threads=1: 2.31 ms per step, inference 0.80 ms

	--batch    the batch size (default 64)
	--threads  the number of cores to use (GOMAXPROCS; default: all)
	--hidden   the hidden widths (default 512,256)
	--arch     the network in the architecture language, or a preset
	--context  the window of a next-byte model of --arch (default 128)
	--tiny     the micrograd demo network
	--time     the minimum measuring time of each of step and inference (default 2s)
	--json     print one JSON object instead:
	           {"op": "train", "net": "mlp", "sizes": [784, 512, 256, 10],
	            "arch": "conv(6,5,pad=2) relu …" (with --arch),
	            "batch": B, "threads": T, "hidden": [512, 256],
	            "steps": S, "ms_per_step": M, "inference_ms": I}
	--max-memory SIZE
	           refuse a network that needs more memory than SIZE, such as
	           2GB or 512MiB (default: the memory available)

The same step in PyTorch is bench/train_torch.py; bench/train.sh runs
both and prints the ratios.
`

// benchTrainResult is the JSON output of bench train.
type benchTrainResult struct {
	Op          string  `json:"op"`
	Net         string  `json:"net"`
	Sizes       []int   `json:"sizes"`
	Batch       int     `json:"batch"`
	Threads     int     `json:"threads"`
	Hidden      []int   `json:"hidden"`
	Arch        string  `json:"arch,omitempty"`
	Context     int     `json:"context,omitempty"`
	Steps       int     `json:"steps"`
	MsPerStep   float64 `json:"ms_per_step"`
	InferenceMs float64 `json:"inference_ms"`
}

func runBenchTrain(args []string, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "backprop bench train: "+format+"\n", a...)
		return 2
	}
	fs := flag.NewFlagSet("bench train", flag.ContinueOnError)
	batch := fs.Int("batch", 64, "batch size")
	threads := fs.Int("threads", runtime.NumCPU(), "cores to use")
	hiddenText := fs.String("hidden", "512,256", "hidden widths")
	tiny := fs.Bool("tiny", false, "the micrograd demo network")
	archText := fs.String("arch", "", "the network in the architecture language, or a preset")
	context := fs.Int("context", 128, "the window of a next-byte model")
	minTime := fs.Duration("time", 2*time.Second, "minimum measuring time")
	jsonOut := fs.Bool("json", false, "print one JSON object")
	maxMemory := addMaxMemory(fs)
	pos, code, done := parseCommandFlags(fs, args, benchTrainUsage, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fail("unexpected argument %q", pos[0])
	}
	if *batch <= 0 || *batch > 1<<16 {
		return fail("--batch must be in [1, 65536]")
	}
	if *threads <= 0 {
		return fail("--threads must be positive")
	}
	if *minTime < 0 {
		return fail("--time must not be negative")
	}
	hidden, err := parseHidden(*hiddenText)
	if err != nil {
		return fail("%v", err)
	}
	if err := checkWidths("hidden", *hiddenText, hidden...); err != nil {
		return fail("%v", err)
	}
	var plan *nn.Plan // the network of --arch
	var text string   // its text, a preset's spelt out
	if *archText != "" {
		if *tiny || flagSet(fs, "hidden") {
			return fail("--arch and --%s: give the network one way", map[bool]string{true: "tiny", false: "hidden"}[*tiny])
		}
		var preset bool
		if text, preset = nn.Preset(*archText); !preset {
			text = *archText
		}
		a, err := nn.ParseArch(text)
		if err == nil && isTextArch(a) {
			if *context < 1 || *context > 1<<16 {
				return fail("--context must be in [1, 65536]")
			}
			if plan, err = planText(*archText, *context); err != nil {
				return fail("%v", err)
			}
		} else if err == nil {
			plan, err = a.Plan(benchImage)
		}
		if err != nil {
			return fail("%v", archFlagError(*archText, text, err))
		}
		if out := plan.Out(); !isTextArch(plan.Arch()) && (len(out) != 1 || out[0] != 10) {
			return fail("--arch %s: the network's output is %v per example, but the bench has 10 classes: end it with linear(10)", quoted(*archText), out)
		}
	}
	if !*tiny {
		spec := nn.Spec{Sizes: append(append([]int{784}, hidden...), 10)}
		what := fmt.Sprintf("a batch of %d random images", *batch)
		p, label, netFlag := plan, *archText, [2]string{"arch", quoted(*archText)}
		if p == nil {
			var err error
			if p, err = spec.Plan(); err != nil {
				return fail("--hidden %s: %v", *hiddenText, err)
			}
			label, netFlag = archString(spec), [2]string{"hidden", *hiddenText}
		}
		examples := int64(784)
		if plan != nil && isTextArch(plan.Arch()) {
			what, examples = fmt.Sprintf("a batch of %d random windows", *batch), int64(*context)
		}
		err = checkTraining(maxMemory.budget(), p, label, "sgd", optim.Slots("sgd"), *batch, netFlag, [2]string{"batch", fmt.Sprint(*batch)},
			what, data.Bytes(*batch, int(examples)))
		if err != nil {
			return fail("%v", err)
		}
	}
	old := runtime.GOMAXPROCS(*threads)
	defer runtime.GOMAXPROCS(old)

	var b *trainBench
	if plan != nil {
		b = newArchBench(plan, *batch)
	} else {
		b = newTrainBench(*tiny, *batch, hidden)
	}
	res := benchTrainResult{Op: "train", Net: "mlp", Sizes: b.spec.Sizes, Batch: b.batch,
		Threads: *threads, Hidden: hidden}
	if *tiny {
		res.Net, res.Hidden = "tiny", []int{16, 16}
	}
	if plan != nil {
		res.Net, res.Hidden, res.Arch = *archText, nil, strings.Join(strings.Fields(text), " ")
		if b.seq {
			res.Context = *context
		}
	}
	if res.Sizes == nil {
		res.Sizes = []int{}
	}
	if res.Hidden == nil {
		res.Hidden = []int{}
	}
	var steps int
	res.MsPerStep, steps = timeRounds(*minTime, b.step)
	res.Steps = steps
	res.InferenceMs, _ = timeRounds(*minTime, b.infer)
	if *jsonOut {
		out, _ := json.Marshal(res)
		fmt.Fprintf(stdout, "%s\n", out)
		return 0
	}
	what := fmt.Sprintf("sizes=%v", res.Sizes)
	if plan != nil {
		what = fmt.Sprintf("arch=%q", res.Arch)
	}
	fmt.Fprintf(stdout, "train %s batch=%d %s threads=%d: %.3f ms per step, inference %.3f ms\n",
		res.Net, res.Batch, what, res.Threads, res.MsPerStep, res.InferenceMs)
	return 0
}

// trainBench holds a network, its optimizer and a fixed random batch.
type trainBench struct {
	tiny   bool
	spec   nn.Spec
	batch  int
	m      *nn.Sequential
	params []*ag.Var
	opt    *optim.SGD
	x      *tensor.Tensor
	labels []int
	y      *tensor.Tensor // ±1 targets of the tiny network
	seq    bool           // a next-byte model: labels has a byte per position
	g      *ag.Graph      // the graph of a step, recycled by the next
	ig     *ag.Graph      // the graph of an inference pass: NoGrad
}

func newTrainBench(tiny bool, batch int, hidden []int) *trainBench {
	rng := rand.New(rand.NewPCG(1, 2))
	b := &trainBench{tiny: tiny, batch: batch, g: ag.NewGraph(), ig: ag.NewGraph(ag.NoGrad)}
	in, classes := 784, 10
	if tiny {
		b.batch, in, classes, hidden = 100, 2, 1, []int{16, 16}
	}
	b.spec = nn.Spec{Sizes: append(append([]int{in}, hidden...), classes)}
	b.m = nn.MLP(b.spec, rng)
	b.params = nn.Vars(b.m)
	b.opt = optim.NewSGD(b.params, 0.01)
	b.opt.Momentum = 0.9
	if tiny {
		b.x = tensor.Randn(rng, tensor.Float32, b.batch, in)
		b.y = tensor.New(tensor.Float32, b.batch, 1)
		for i := range b.batch {
			b.y.SetFlat(i, float64(2*rng.IntN(2)-1))
		}
	} else {
		b.x = tensor.Uniform(rng, tensor.Float32, 0, 1, b.batch, in)
		b.labels = make([]int, b.batch)
		for i := range b.labels {
			b.labels[i] = rng.IntN(classes)
		}
	}
	return b
}

// benchImage is the shape of the examples of bench train --arch.
var benchImage = []int{1, 28, 28}

// newArchBench makes the bench of the network p plans, for a batch of
// random images of benchImage and 10 classes, with the same optimizer and
// data as the MLP's bench.
func newArchBench(p *nn.Plan, batch int) *trainBench {
	rng := rand.New(rand.NewPCG(1, 2))
	b := &trainBench{batch: batch, g: ag.NewGraph(), ig: ag.NewGraph(ag.NoGrad)}
	b.m = p.Build(rng)
	b.params = nn.Vars(b.m)
	b.opt = optim.NewSGD(b.params, 0.01)
	b.opt.Momentum = 0.9
	if in := p.In; isTextArch(p.Arch()) {
		// Windows of random bytes and a random next byte at every position.
		b.seq = true
		b.x = tensor.New(tensor.Float32, batch, in[0])
		for i := range b.x.Len() {
			b.x.SetFlat(i, float64(rng.IntN(256)))
		}
		b.labels = make([]int, batch*in[0])
		for i := range b.labels {
			b.labels[i] = rng.IntN(256)
		}
		return b
	}
	b.x = tensor.Uniform(rng, tensor.Float32, 0, 1, batch, 784)
	b.labels = make([]int, batch)
	for i := range b.labels {
		b.labels[i] = rng.IntN(10)
	}
	return b
}

// step runs one training step, in a graph that recycles the previous
// step's memory, as train.Run does.
func (b *trainBench) step() {
	b.m.SetTraining(true)
	b.g.Reset()
	b.opt.ZeroGrad()
	out := b.m.Forward(b.g.Const(b.x))
	var loss *ag.Var
	if b.tiny {
		// micrograd's demo: max-margin loss plus 1e-4·Σp².
		one := b.g.Scalar(tensor.Float32, 1)
		hinge := ag.Mean(ag.ReLU(ag.Sub(one, ag.Mul(b.g.Const(b.y), out))), false)
		loss = ag.Add(hinge, nn.HalfL2(2e-4, b.params...))
	} else if b.seq {
		loss = nn.SequenceCrossEntropy(out, b.labels)
	} else {
		loss = nn.SoftmaxCrossEntropy(out, b.labels)
	}
	ag.Backward(loss)
	b.opt.Step()
}

// infer runs the forward pass without recording gradients.
func (b *trainBench) infer() {
	b.m.SetTraining(false)
	b.ig.Reset()
	b.m.Forward(b.ig.Const(b.x))
}

// timeRounds runs f a few times to warm up, then in rounds of at least
// total/10 until total has passed (and at least 5 rounds), and returns the
// median round's mean time per call in milliseconds and the calls made.
func timeRounds(total time.Duration, f func()) (ms float64, calls int) {
	for range 3 {
		f()
	}
	round := total / 10
	var means []float64
	start := time.Now()
	for len(means) < 5 || time.Since(start) < total {
		t0 := time.Now()
		n := 0
		for n == 0 || time.Since(t0) < round {
			f()
			n++
		}
		means = append(means, float64(time.Since(t0).Nanoseconds())/float64(n)/1e6)
		calls += n
	}
	sort.Float64s(means)
	return means[len(means)/2], calls
}

// flagSet reports whether the flag name was given on fs's command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
