package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"time"

	"backprop/tensor"
)

const benchSynopsis = "backprop bench gemm --n N [--m M] [--k K] [--dtype float32|float64] [--threads T] [--transA] [--transB] [--time D] [--json] [--max-memory SIZE]"

const benchUsage = "usage: " + benchSynopsis + "\n       " + benchConvSynopsis + "\n       " + benchTrainSynopsis + "\n       " + benchAllReduceSynopsis + `

Bench gemm measures the matrix product C = op(A)·op(B) of an M×K and a
K×N matrix, through tensor.MatMulTo and its packed, multi-core GEMM, and
prints its speed in GFLOP/s (2·M·N·K floating-point operations per
product):

	gemm float32 m=256 n=256 k=256 threads=1: 98.1 GFLOP/s (342µs per product, 2920 products)

The inputs are random in [-1, 1). After one product to warm up, products
are repeated for at least the duration --time, and the mean is reported.

	--n        the columns of C (required)
	--m, --k   the rows of C and the inner dimension (default: N)
	--dtype    float32 (the default) or float64
	--threads  the number of cores to use (GOMAXPROCS; default: all)
	--transA   read A transposed (stored K×M), --transB likewise (N×K)
	--time     the minimum measuring time (default 1s)
	--json     print one JSON object instead:
	           {"op": "gemm", "dtype": "float32", "m": M, "n": N, "k": K,
	            "threads": T, "transA": false, "transB": false,
	            "reps": R, "seconds": S, "gflops": G}
	           where S is the mean time of one product in seconds
	--max-memory SIZE
	           refuse matrices that need more memory than SIZE, such as
	           2GB or 512MiB (default: the memory available)

Example:

	backprop bench gemm --n 512 --dtype float32 --threads 2 --json

Bench conv measures a convolution layer's forward pass and gradients;
see "backprop bench conv --help". Bench train times a training step; see
"backprop bench train --help".
Bench allreduce times MPI's all-reduce between processes; see "backprop
bench allreduce --help".
`

// benchResult is the JSON output of bench gemm.
type benchResult struct {
	Op      string  `json:"op"`
	DType   string  `json:"dtype"`
	M       int     `json:"m"`
	N       int     `json:"n"`
	K       int     `json:"k"`
	Threads int     `json:"threads"`
	TransA  bool    `json:"transA"`
	TransB  bool    `json:"transB"`
	Reps    int     `json:"reps"`
	Seconds float64 `json:"seconds"`
	GFLOPS  float64 `json:"gflops"`
}

// runBench implements "backprop bench".
func runBench(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "backprop bench: missing benchmark; usage: %s\n", benchSynopsis)
		return 2
	}
	switch args[0] {
	case "gemm":
		return runBenchGemm(args[1:], stdout, stderr)
	case "conv":
		return runBenchConv(args[1:], stdout, stderr)
	case "train":
		return runBenchTrain(args[1:], stdout, stderr)
	case "allreduce":
		return runBenchAllReduce(args[1:], stdout, stderr)
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, benchUsage)
		return 0
	}
	fmt.Fprintf(stderr, "backprop bench: unknown benchmark %q (want gemm, conv, train or allreduce)\n", args[0])
	return 2
}

func runBenchGemm(args []string, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "backprop bench gemm: "+format+"\n", a...)
		return 2
	}
	fs := flag.NewFlagSet("bench gemm", flag.ContinueOnError)
	n := fs.Int("n", 0, "columns of C")
	m := fs.Int("m", 0, "rows of C")
	k := fs.Int("k", 0, "inner dimension")
	dtypeName := fs.String("dtype", "float32", "float32 or float64")
	threads := fs.Int("threads", runtime.NumCPU(), "cores to use")
	transA := fs.Bool("transA", false, "read A transposed")
	transB := fs.Bool("transB", false, "read B transposed")
	minTime := fs.Duration("time", time.Second, "minimum measuring time")
	jsonOut := fs.Bool("json", false, "print one JSON object")
	maxMemory := addMaxMemory(fs)
	pos, code, done := parseCommandFlags(fs, args, benchUsage, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fail("unexpected argument %q", pos[0])
	}
	if *n <= 0 {
		return fail("--n must be positive")
	}
	if *m == 0 {
		*m = *n
	}
	if *k == 0 {
		*k = *n
	}
	if *m < 0 || *k < 0 {
		return fail("--m and --k must be positive")
	}
	if *threads <= 0 {
		return fail("--threads must be positive")
	}
	if *minTime < 0 {
		return fail("--time must not be negative")
	}
	var dt tensor.DType
	switch *dtypeName {
	case "float32":
		dt = tensor.Float32
	case "float64":
		dt = tensor.Float64
	default:
		return fail("--dtype must be float32 or float64, not %q", *dtypeName)
	}

	what := fmt.Sprintf("the product of %d×%d and %d×%d %s matrices", *m, *k, *k, *n, *dtypeName)
	if err := maxMemory.budget().Check(what, gemmNeed(*m, *n, *k, dt.Size())); err != nil {
		return fail("%s: %v", givenFlags(fs, "m", "n", "k"), err)
	}

	old := runtime.GOMAXPROCS(*threads)
	defer runtime.GOMAXPROCS(old)
	rng := rand.New(rand.NewPCG(1, 2))
	shapeA, shapeB := []int{*m, *k}, []int{*k, *n}
	if *transA {
		shapeA = []int{*k, *m}
	}
	if *transB {
		shapeB = []int{*n, *k}
	}
	a := tensor.Uniform(rng, dt, -1, 1, shapeA...)
	b := tensor.Uniform(rng, dt, -1, 1, shapeB...)
	c := tensor.Zeros(dt, *m, *n)
	tensor.MatMulTo(c, a, b, *transA, *transB)
	reps := 0
	start := time.Now()
	var elapsed time.Duration
	for elapsed < *minTime || reps == 0 {
		tensor.MatMulTo(c, a, b, *transA, *transB)
		reps++
		elapsed = time.Since(start)
	}
	sec := elapsed.Seconds() / float64(reps)
	res := benchResult{Op: "gemm", DType: *dtypeName, M: *m, N: *n, K: *k, Threads: *threads,
		TransA: *transA, TransB: *transB, Reps: reps, Seconds: sec,
		GFLOPS: 2 * float64(*m) * float64(*n) * float64(*k) / sec / 1e9}
	if *jsonOut {
		out, _ := json.Marshal(res)
		fmt.Fprintf(stdout, "%s\n", out)
		return 0
	}
	fmt.Fprintf(stdout, "gemm %s m=%d n=%d k=%d threads=%d: %.1f GFLOP/s (%v per product, %d products)\n",
		res.DType, res.M, res.N, res.K, res.Threads, res.GFLOPS, time.Duration(sec*1e9).Round(time.Microsecond/10), reps)
	return 0
}
