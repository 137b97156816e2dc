package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"backprop/dist"
)

const benchAllReduceSynopsis = "mpirun -np N backprop bench allreduce [--min-bytes B] [--max-bytes B] [--time D] [--json]"

const benchAllReduceUsage = "usage: " + benchAllReduceSynopsis + `

Bench allreduce measures the sum of a float32 buffer across the processes
that mpirun started (a binary built with -tags mpi), as data-parallel
training sums its gradient buckets: for every size from --min-bytes to
--max-bytes, doubling, the median time of one MPI_Allreduce over at least
--time of calls, all ranks calling together. Rank 0 prints one line per
size:

	allreduce 2 ranks 1 MiB: 212.4 µs, 4.94 GB/s algorithmic, 4.94 GB/s bus

The algorithmic bandwidth is bytes / time; the bus bandwidth multiplies
it by 2(N−1)/N, the share of the buffer each rank sends and receives in a
ring all-reduce, so that it compares across N. At the end it prints the
least-squares fit time ≈ latency + 2(N−1)/N · bytes / bandwidth.

	--min-bytes B  the smallest buffer (default 4)
	--max-bytes B  the largest buffer (default 64 MiB)
	--time D       the minimum measuring time per size (default 0.2s)
	--json         one JSON object per size instead:
	               {"op": "allreduce", "ranks": N, "bytes": B, "reps": R,
	                "seconds": S, "algbw_gbs": A, "busbw_gbs": U}
	               and one for the fit: {"op": "allreduce-fit", "ranks": N,
	                "latency_seconds": L, "bandwidth_gbs": W}
`

// allReduceResult is a line of bench allreduce --json.
type allReduceResult struct {
	Op      string  `json:"op"`
	Ranks   int     `json:"ranks"`
	Bytes   int     `json:"bytes"`
	Reps    int     `json:"reps"`
	Seconds float64 `json:"seconds"`
	AlgBW   float64 `json:"algbw_gbs"`
	BusBW   float64 `json:"busbw_gbs"`
}

func runBenchAllReduce(args []string, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "backprop bench allreduce: "+format+"\n", a...)
		return 2
	}
	fs := flag.NewFlagSet("bench allreduce", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	minBytes := fs.Int("min-bytes", 4, "smallest buffer")
	maxBytes := fs.Int("max-bytes", 64<<20, "largest buffer")
	minTime := fs.Duration("time", 200*time.Millisecond, "minimum measuring time per size")
	jsonOut := fs.Bool("json", false, "JSON lines")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, benchAllReduceUsage)
			return 0
		}
		return fail("%v", err)
	}
	switch {
	case fs.NArg() > 0:
		return fail("unexpected argument %q", fs.Arg(0))
	case *minBytes < 4 || *maxBytes < *minBytes || *maxBytes > 1<<30:
		return fail("want 4 ≤ --min-bytes ≤ --max-bytes ≤ 1 GiB")
	case *minTime < 0:
		return fail("--time must not be negative")
	}
	c, err := dist.Init()
	if err != nil {
		return fail("%v", err)
	}
	defer c.Finalize()
	if c.Size() < 2 {
		how := "a binary built with -tags mpi"
		if dist.Built {
			how = "this binary"
		}
		return fail("one process: run it as %s under mpirun -np 2 or more", how)
	}
	if c.Rank() != 0 {
		stdout = io.Discard
	}
	n := c.Size()
	busFactor := 2 * float64(n-1) / float64(n)
	var xs, ts []float64 // bytes·busFactor and seconds, for the fit
	buf := make([]float32, *maxBytes/4)
	for bytes := *minBytes; bytes <= *maxBytes; bytes *= 2 {
		b := buf[:bytes/4]
		// Warm up, then let rank 0 choose the number of calls, so that
		// every rank makes the same.
		t0 := time.Now()
		for range 3 {
			if err := c.AllReduceFloat32(b); err != nil {
				return fail("%v", err)
			}
		}
		per := time.Since(t0).Seconds() / 3
		reps := []float64{math.Max(5, math.Min(1e5, math.Ceil(minTime.Seconds()/math.Max(per, 1e-9))))}
		if err := c.BroadcastFloat64(reps, 0); err != nil {
			return fail("%v", err)
		}
		if err := c.Barrier(); err != nil {
			return fail("%v", err)
		}
		times := make([]float64, int(reps[0]))
		for i := range times {
			t := time.Now()
			if err := c.AllReduceFloat32(b); err != nil {
				return fail("%v", err)
			}
			times[i] = time.Since(t).Seconds()
		}
		slices.Sort(times)
		sec := times[len(times)/2]
		r := allReduceResult{Op: "allreduce", Ranks: n, Bytes: bytes, Reps: len(times), Seconds: sec,
			AlgBW: float64(bytes) / sec / 1e9, BusBW: busFactor * float64(bytes) / sec / 1e9}
		xs, ts = append(xs, busFactor*float64(bytes)), append(ts, sec)
		if *jsonOut {
			out, _ := json.Marshal(r)
			fmt.Fprintf(stdout, "%s\n", out)
			continue
		}
		fmt.Fprintf(stdout, "allreduce %d ranks %s: %s, %.2f GB/s algorithmic, %.2f GB/s bus\n",
			n, byteSize(bytes), time.Duration(sec*1e9).Round(100*time.Nanosecond), r.AlgBW, r.BusBW)
	}
	lat, bw := fitLine(xs, ts)
	if *jsonOut {
		out, _ := json.Marshal(map[string]any{"op": "allreduce-fit", "ranks": n, "latency_seconds": lat, "bandwidth_gbs": bw / 1e9})
		fmt.Fprintf(stdout, "%s\n", out)
		return 0
	}
	fmt.Fprintf(stdout, "fit: time ≈ %.1f µs + 2(N−1)/N · bytes / (%.2f GB/s)\n", lat*1e6, bw/1e9)
	return 0
}

// fitLine fits t ≈ a + x/bw by least squares, weighting each point by
// 1/t² (relative errors), so that the small sizes fix the latency and the
// large ones the bandwidth.
func fitLine(xs, ts []float64) (a, bw float64) {
	var sw, sx, st, sxx, sxt float64
	for i, x := range xs {
		w := 1 / (ts[i] * ts[i])
		sw, sx, st, sxx, sxt = sw+w, sx+w*x, st+w*ts[i], sxx+w*x*x, sxt+w*x*ts[i]
	}
	slope := (sw*sxt - sx*st) / (sw*sxx - sx*sx)
	return (st - slope*sx) / sw, 1 / slope
}

// byteSize renders a power-of-two size as 4 B, 64 KiB, 16 MiB.
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
