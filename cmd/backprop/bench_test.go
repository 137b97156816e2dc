package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchGemmJSON(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "gemm", "--n", "24", "--m", "5", "--k", "7", "--dtype", "float64", "--threads", "1", "--time", "1ms", "--json"},
		{"bench", "gemm", "--n=16", "--threads=2", "--time=0", "--transA", "--transB", "--json"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 || stderr.Len() != 0 {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
		var res map[string]any
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Fatalf("%v: %v in %q", args, err, stdout.String())
		}
		if strings.Count(stdout.String(), "\n") != 1 {
			t.Errorf("%v: output is not one line: %q", args, stdout.String())
		}
		for _, key := range []string{"gflops", "seconds", "m", "n", "k", "dtype", "threads", "reps"} {
			if _, ok := res[key]; !ok {
				t.Errorf("%v: no %q in %s", args, key, stdout.String())
			}
		}
		if g, _ := res["gflops"].(float64); !(g > 0) {
			t.Errorf("%v: gflops = %v", args, res["gflops"])
		}
	}
	var stdout, stderr bytes.Buffer
	run([]string{"bench", "gemm", "--n", "24", "--m", "5", "--k", "7", "--dtype", "float64", "--threads", "1", "--time", "0", "--json"}, &stdout, &stderr)
	var res benchResult
	json.Unmarshal(stdout.Bytes(), &res)
	if res.M != 5 || res.N != 24 || res.K != 7 || res.DType != "float64" || res.Threads != 1 || res.Op != "gemm" {
		t.Errorf("got %+v", res)
	}
}

func TestBenchGemmText(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "gemm", "--n", "8", "--time", "0"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "gemm float32 m=8 n=8 k=8 threads=") || !strings.Contains(stdout.String(), "GFLOP/s") {
		t.Errorf("got %q", stdout.String())
	}
}

func TestBenchErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench"}, "backprop bench: missing benchmark; usage: " + benchSynopsis + "\n"},
		{[]string{"bench", "conv2d"}, "backprop bench: unknown benchmark \"conv2d\" (want gemm, conv, train or allreduce)\n"},
		{[]string{"bench", "allreduce", "--max-bytes", "2"}, "backprop bench allreduce: want 4 ≤ --min-bytes ≤ --max-bytes ≤ 1 GiB\n"},
		{[]string{"bench", "allreduce", "x"}, "backprop bench allreduce: unexpected argument \"x\"\n"},
		{[]string{"bench", "gemm"}, "backprop bench gemm: --n must be positive\n"},
		{[]string{"bench", "gemm", "--n", "-3"}, "backprop bench gemm: --n must be positive\n"},
		{[]string{"bench", "gemm", "--n", "4", "--m", "-1"}, "backprop bench gemm: --m and --k must be positive\n"},
		{[]string{"bench", "gemm", "--n", "4", "--threads", "0"}, "backprop bench gemm: --threads must be positive\n"},
		{[]string{"bench", "gemm", "--n", "4", "--dtype", "int8"}, "backprop bench gemm: --dtype must be float32 or float64, not \"int8\"\n"},
		{[]string{"bench", "gemm", "--n", "x"}, "backprop bench gemm: --n x: want a whole number\n"},
		{[]string{"bench", "gemm", "--size", "4"}, "backprop bench gemm: unknown flag --size; run 'backprop help bench gemm' for the flags\n"},
		{[]string{"bench", "gemm", "--n", "4", "extra"}, "backprop bench gemm: unexpected argument \"extra\"\n"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", tc.args, code)
		}
		if stderr.String() != tc.want {
			t.Errorf("%v: stderr %q, want %q", tc.args, stderr.String(), tc.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("%v: stdout %q", tc.args, stdout.String())
		}
	}
}

func TestBenchHelp(t *testing.T) {
	for _, args := range [][]string{{"help", "bench"}, {"bench", "gemm", "--help"}, {"bench", "-h"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 || stdout.String() != benchUsage {
			t.Errorf("%v: exit %d, stdout %q", args, code, stdout.String())
		}
	}
}
