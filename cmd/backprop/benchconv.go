package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"time"

	"backprop/tensor"
)

const benchConvSynopsis = "backprop bench conv [--layer NAME | --c C --h H --w W --k K --r R [--s S]] [--stride S] [--pad P] [--dilation D] [--groups G] [--batch N] [--op forward|data|weight|all] [--dtype float32|float64] [--threads T] [--time D] [--json]"

const benchConvUsage = "usage: " + benchConvSynopsis + `

Bench conv measures the three products of a 2-d convolution layer on a
random batch of N×C×H×W images with K×(C/G)×R×S weights, through
package tensor: the forward pass Conv2dTo, the data gradient
Conv2dBackwardDataTo and the weight gradient Conv2dBackwardWeightTo
(accumulating, as a training step does). It prints each one's speed in
GFLOP/s of 2·N·K·OH·OW·(C/G)·R·S floating-point operations:

	conv mnist2 float32 batch=64 forward threads=1: 48.2 GFLOP/s (28.1ms per call, 36 calls)

After a warm-up, calls are repeated in rounds of at least --time/10 each
for at least --time, and the median round's mean is reported.

	--layer    a layer of the benchmarks: lenet1 (1→6 5×5 pad 2 on 28×28),
	           lenet2 (6→16 5×5 on 14×14), mnist1 (1→32 3×3 on 28×28) or
	           mnist2 (32→64 3×3 on 26×26); or give the shape with
	--c --h --w --k --r --s   input channels, height, width, output
	           channels, kernel height and width (--s defaults to --r)
	--stride, --pad, --dilation, --groups   the same on both axes
	           (defaults 1, 0, 1, 1)
	--batch    the batch size N (default 64)
	--op       forward, data, weight or all (the default)
	--dtype    float32 (the default) or float64
	--threads  the number of cores to use (GOMAXPROCS; default: all)
	--time     the minimum measuring time per product (default 1s)
	--json     print one JSON object per product instead:
	           {"op": "conv", "layer": "mnist2", "product": "forward",
	            "dtype": "float32", "batch": N, "c": C, "h": H, "w": W,
	            "k": K, "r": R, "s": S, "stride": 1, "pad": 0,
	            "dilation": 1, "groups": 1, "threads": T, "calls": n,
	            "seconds": S, "gflops": G}
	           where S is the median mean time of one call in seconds

The same products in PyTorch are bench/conv_torch.py; bench/conv.sh runs
both and prints the ratios.
`

// convLayers are the layers of the benchmarks: LeNet-5's two
// convolutions and the PyTorch MNIST example's two.
var convLayers = map[string][7]int{ // c, h, w, k, r, s, pad
	"lenet1": {1, 28, 28, 6, 5, 5, 2},
	"lenet2": {6, 14, 14, 16, 5, 5, 0},
	"mnist1": {1, 28, 28, 32, 3, 3, 0},
	"mnist2": {32, 26, 26, 64, 3, 3, 0},
}

// benchConvResult is the JSON output of bench conv, one per product.
type benchConvResult struct {
	Op       string  `json:"op"`
	Layer    string  `json:"layer"`
	Product  string  `json:"product"`
	DType    string  `json:"dtype"`
	Batch    int     `json:"batch"`
	C        int     `json:"c"`
	H        int     `json:"h"`
	W        int     `json:"w"`
	K        int     `json:"k"`
	R        int     `json:"r"`
	S        int     `json:"s"`
	Stride   int     `json:"stride"`
	Pad      int     `json:"pad"`
	Dilation int     `json:"dilation"`
	Groups   int     `json:"groups"`
	Threads  int     `json:"threads"`
	Calls    int     `json:"calls"`
	Seconds  float64 `json:"seconds"`
	GFLOPS   float64 `json:"gflops"`
}

func runBenchConv(args []string, stdout, stderr io.Writer) (code int) {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "backprop bench conv: "+format+"\n", a...)
		return 2
	}
	fs := flag.NewFlagSet("bench conv", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	layer := fs.String("layer", "", "a benchmark layer")
	c := fs.Int("c", 0, "input channels")
	h := fs.Int("h", 0, "input height")
	w := fs.Int("w", 0, "input width")
	k := fs.Int("k", 0, "output channels")
	r := fs.Int("r", 0, "kernel height")
	s := fs.Int("s", 0, "kernel width")
	stride := fs.Int("stride", 1, "stride")
	pad := fs.Int("pad", 0, "padding")
	dil := fs.Int("dilation", 1, "dilation")
	groups := fs.Int("groups", 1, "groups")
	batch := fs.Int("batch", 64, "batch size")
	op := fs.String("op", "all", "forward, data, weight or all")
	dtypeName := fs.String("dtype", "float32", "float32 or float64")
	threads := fs.Int("threads", runtime.NumCPU(), "cores to use")
	minTime := fs.Duration("time", time.Second, "minimum measuring time")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, benchConvUsage)
			return 0
		}
		return fail("%v", err)
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	name := *layer
	switch {
	case name != "":
		l, ok := convLayers[name]
		if !ok {
			return fail("unknown layer %q (want lenet1, lenet2, mnist1 or mnist2)", name)
		}
		for _, f := range []string{"c", "h", "w", "k", "r", "s", "pad"} {
			if set[f] {
				return fail("--layer and --%s exclude each other", f)
			}
		}
		*c, *h, *w, *k, *r, *s, *pad = l[0], l[1], l[2], l[3], l[4], l[5], l[6]
	case *c <= 0 || *h <= 0 || *w <= 0 || *k <= 0 || *r <= 0:
		return fail("give --layer or positive --c, --h, --w, --k and --r")
	default:
		name = "custom"
		if *s == 0 {
			*s = *r
		}
	}
	if *s < 0 || *stride < 1 || *dil < 1 || *groups < 1 || *pad < 0 {
		return fail("--s, --stride, --dilation and --groups must be positive, --pad not negative")
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
	var products []string
	switch *op {
	case "all":
		products = []string{"forward", "data", "weight"}
	case "forward", "data", "weight":
		products = []string{*op}
	default:
		return fail("--op must be forward, data, weight or all, not %q", *op)
	}
	dt, err := tensor.ParseDType(*dtypeName)
	if err != nil {
		return fail("--dtype must be float32 or float64, not %q", *dtypeName)
	}
	if *c%*groups != 0 || *k%*groups != 0 {
		return fail("--groups %d must divide --c %d and --k %d", *groups, *c, *k)
	}
	p := tensor.ConvParams{Stride: [2]int{*stride, *stride}, Padding: [2]int{*pad, *pad},
		Dilation: [2]int{*dil, *dil}, Groups: *groups}
	xs, ws := []int{*batch, *c, *h, *w}, []int{*k, *c / *groups, *r, *s}
	var ys []int
	func() {
		defer func() {
			if e := recover(); e != nil {
				var te *tensor.Error
				if err, ok := e.(error); ok && errors.As(err, &te) {
					code = fail("%s", te.Msg)
					return
				}
				panic(e)
			}
		}()
		ys = tensor.Conv2dShape(xs, ws, p)
	}()
	if ys == nil {
		return code
	}

	old := runtime.GOMAXPROCS(*threads)
	defer runtime.GOMAXPROCS(old)
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.Uniform(rng, dt, -1, 1, xs...)
	wt := tensor.Uniform(rng, dt, -1, 1, ws...)
	dy := tensor.Uniform(rng, dt, -1, 1, ys...)
	y, dx, dw := tensor.Zeros(dt, ys...), tensor.Zeros(dt, xs...), tensor.Zeros(dt, ws...)
	flops := 2 * float64(*batch) * float64(*k) * float64(ys[2]) * float64(ys[3]) * float64(*c / *groups) * float64(*r) * float64(*s)
	for _, prod := range products {
		var f func()
		switch prod {
		case "forward":
			f = func() { tensor.Conv2dTo(y, x, wt, p) }
		case "data":
			f = func() { tensor.Conv2dBackwardDataTo(dx, dy, wt, p) }
		case "weight":
			f = func() { tensor.Conv2dBackwardWeightTo(dw, dy, x, p, true) }
		}
		ms, calls := timeRounds(*minTime, f)
		sec := ms / 1e3
		res := benchConvResult{Op: "conv", Layer: name, Product: prod, DType: dt.String(), Batch: *batch,
			C: *c, H: *h, W: *w, K: *k, R: *r, S: *s, Stride: *stride, Pad: *pad, Dilation: *dil, Groups: *groups,
			Threads: *threads, Calls: calls, Seconds: sec, GFLOPS: flops / sec / 1e9}
		if *jsonOut {
			out, _ := json.Marshal(res)
			fmt.Fprintf(stdout, "%s\n", out)
			continue
		}
		fmt.Fprintf(stdout, "conv %s %s batch=%d %s threads=%d: %.1f GFLOP/s (%v per call, %d calls)\n",
			name, res.DType, res.Batch, prod, res.Threads, res.GFLOPS, time.Duration(sec*1e9).Round(time.Microsecond/10), calls)
	}
	return 0
}
