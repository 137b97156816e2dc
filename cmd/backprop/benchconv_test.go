package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchConvJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "conv", "--c", "4", "--h", "9", "--w", "7", "--k", "6", "--r", "3", "--s", "2", "--stride", "2", "--pad", "1", "--groups", "2",
		"--batch", "3", "--dtype", "float64", "--threads", "1", "--time", "1ms", "--json"}
	if code := run(args, &stdout, &stderr); code != 0 || stderr.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3: %q", len(lines), stdout.String())
	}
	for i, prod := range []string{"forward", "data", "weight"} {
		var res benchConvResult
		if err := json.Unmarshal([]byte(lines[i]), &res); err != nil {
			t.Fatalf("%v in %q", err, lines[i])
		}
		want := benchConvResult{Op: "conv", Layer: "custom", Product: prod, DType: "float64", Batch: 3, C: 4, H: 9, W: 7, K: 6, R: 3, S: 2,
			Stride: 2, Pad: 1, Dilation: 1, Groups: 2, Threads: 1}
		got := res
		got.Calls, got.Seconds, got.GFLOPS = 0, 0, 0
		if got != want || res.Calls < 5 || !(res.Seconds > 0) || !(res.GFLOPS > 0) {
			t.Errorf("line %d: %+v", i, res)
		}
		// 2·N·K·OH·OW·(C/G)·R·S with OH = 5, OW = 4.
		if g := 2 * 3 * 6 * 5 * 4 * 2 * 3 * 2 / res.Seconds / 1e9; abs(g-res.GFLOPS) > 1e-9*g {
			t.Errorf("line %d: gflops %v, want %v", i, res.GFLOPS, g)
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestBenchConvText(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "conv", "--layer", "lenet2", "--batch", "2", "--op", "forward", "--threads", "2", "--time", "0"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if got := stdout.String(); !strings.HasPrefix(got, "conv lenet2 float32 batch=2 forward threads=2: ") || !strings.Contains(got, "GFLOP/s") || strings.Count(got, "\n") != 1 {
		t.Errorf("got %q", got)
	}
}

func TestBenchConvErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "conv"}, "backprop bench conv: give --layer or positive --c, --h, --w, --k and --r\n"},
		{[]string{"bench", "conv", "--layer", "vgg"}, "backprop bench conv: unknown layer \"vgg\" (want lenet1, lenet2, mnist1 or mnist2)\n"},
		{[]string{"bench", "conv", "--layer", "lenet1", "--k", "3"}, "backprop bench conv: --layer and --k exclude each other\n"},
		{[]string{"bench", "conv", "--layer", "lenet1", "--op", "both"}, "backprop bench conv: --op must be forward, data, weight or all, not \"both\"\n"},
		{[]string{"bench", "conv", "--layer", "lenet1", "--batch", "0"}, "backprop bench conv: --batch must be in [1, 65536]\n"},
		{[]string{"bench", "conv", "--layer", "lenet1", "--threads", "0"}, "backprop bench conv: --threads must be positive\n"},
		{[]string{"bench", "conv", "--layer", "lenet1", "--stride", "0"}, "backprop bench conv: --s, --stride, --dilation and --groups must be positive, --pad not negative\n"},
		{[]string{"bench", "conv", "--layer", "lenet1", "--dtype", "int8"}, "backprop bench conv: --dtype must be float32 or float64, not \"int8\"\n"},
		{[]string{"bench", "conv", "--layer", "lenet2", "--groups", "4"}, "backprop bench conv: --groups 4 must divide --c 6 and --k 16\n"},
		{[]string{"bench", "conv", "--c", "1", "--h", "2", "--w", "9", "--k", "1", "--r", "3"}, "backprop bench conv: shapes [64 1 2 9] and [1 1 3 3] with {Stride:[1 1] Padding:[0 0] Dilation:[1 1] Groups:1}: kernel 3×3 (dilation 1×1) larger than the padded input 2×9\n"},
		{[]string{"bench", "conv", "--layer", "lenet1", "x"}, "backprop bench conv: unexpected argument \"x\"\n"},
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
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "conv", "--help"}, &stdout, &stderr); code != 0 || stdout.String() != benchConvUsage {
		t.Errorf("--help: exit %d, stdout %q", code, stdout.String())
	}
}
