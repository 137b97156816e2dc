package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"backprop/nn"
)

func TestBenchTrainJSON(t *testing.T) {
	for _, c := range []struct {
		args  []string
		net   string
		batch int
		sizes string
	}{
		{[]string{"--batch", "8", "--hidden", "16,8", "--threads", "1"}, "mlp", 8, "[784 16 8 10]"},
		{[]string{"--tiny", "--threads", "2"}, "tiny", 100, "[2 16 16 1]"},
		{[]string{"--arch", "lenet5", "--batch", "4", "--threads", "1"}, "lenet5", 4, "[]"},
		{[]string{"--arch", "embed(8) lstm(8) linear(256)", "--batch", "2", "--context", "5"}, "embed(8) lstm(8) linear(256)", 2, "[]"},
		{[]string{"--arch", "conv(4,3) batchnorm relu maxpool(2) dropout(0.5) flatten linear(10)", "--batch", "3"}, "conv(4,3) batchnorm relu maxpool(2) dropout(0.5) flatten linear(10)", 3, "[]"},
	} {
		args := append([]string{"bench", "train", "--time", "1ms", "--json"}, c.args...)
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 || stderr.Len() != 0 {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
		if strings.Count(stdout.String(), "\n") != 1 {
			t.Errorf("%v: output is not one line: %q", args, stdout.String())
		}
		var res benchTrainResult
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Fatalf("%v: %v in %q", args, err, stdout.String())
		}
		if res.Net != c.net || res.Batch != c.batch || fmt.Sprint(res.Sizes) != c.sizes ||
			!(res.MsPerStep > 0) || !(res.InferenceMs > 0) || res.Steps < 5 {
			t.Errorf("%v: got %+v", args, res)
		}
		// With --arch the JSON spells the network out, a preset's too.
		wantArch := ""
		if c.net == "lenet5" {
			wantArch, _ = nn.Preset("lenet5")
		} else if c.net != "mlp" && c.net != "tiny" {
			wantArch = c.net
		}
		if res.Arch != wantArch {
			t.Errorf("%v: arch %q, want %q", args, res.Arch, wantArch)
		}
		if wantContext := map[bool]int{true: 5}[strings.HasPrefix(c.net, "embed")]; res.Context != wantContext {
			t.Errorf("%v: context %d, want %d", args, res.Context, wantContext)
		}
	}
}

func TestBenchTrainErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "train", "--batch", "0"}, "backprop bench train: --batch must be in [1, 65536]\n"},
		{[]string{"bench", "train", "--threads", "0"}, "backprop bench train: --threads must be positive\n"},
		{[]string{"bench", "train", "--hidden", "5,x"}, "backprop bench train: "},
		{[]string{"bench", "train", "extra"}, "backprop bench train: unexpected argument \"extra\"\n"},
		{[]string{"bench", "train", "--arch", "lenet5", "--hidden", "5"}, "backprop bench train: --arch and --hidden: give the network one way\n"},
		{[]string{"bench", "train", "--arch", "lstm", "--context", "0"}, "backprop bench train: --context must be in [1, 65536]\n"},
		{[]string{"bench", "train", "--arch", "embed(8) lstm(8) linear(10)", "--context", "4"}, "backprop bench train: --arch \"embed(8) lstm(8) linear(10)\": the network's output is [4 10] per window, but a next-byte model gives 256 logits per byte, [4 256]: end it with linear(256)\n"},
		{[]string{"bench", "train", "--arch", "lenet5", "--tiny"}, "backprop bench train: --arch and --tiny: give the network one way\n"},
		{[]string{"bench", "train", "--arch", "flatten linear(5)"}, "backprop bench train: --arch \"flatten linear(5)\": the network's output is [5] per example, but the bench has 10 classes: end it with linear(10)\n"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != 2 || !strings.HasPrefix(stderr.String(), c.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr.String(), c.want)
		}
	}
}

// BenchmarkTrainBench runs the steps of backprop bench train: the tiny
// network of micrograd's demo and the MNIST network at batch 64.
func BenchmarkTrainBench(b *testing.B) {
	for _, c := range []struct {
		name string
		tiny bool
	}{{"tiny", true}, {"mlp64", false}} {
		b.Run(c.name, func(b *testing.B) {
			tb := newTrainBench(c.tiny, 64, []int{512, 256})
			tb.step()
			b.ReportAllocs()
			for b.Loop() {
				tb.step()
			}
		})
	}
}

// BenchmarkTextStep runs the training step of bench train --arch for the
// next-byte presets at batch 32 × context 128, for profiles
// (-cpuprofile) of the sequence models' steps.
func BenchmarkTextStep(b *testing.B) {
	for _, preset := range []string{"lstm", "gpt"} {
		b.Run(preset, func(b *testing.B) {
			p, err := planText(preset, 128)
			if err != nil {
				b.Fatal(err)
			}
			tb := newArchBench(p, 32)
			tb.step()
			b.ReportAllocs()
			for b.Loop() {
				tb.step()
			}
		})
	}
}
