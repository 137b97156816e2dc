package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goText writes a small corpus of Go-like text into a new folder: a few
// files, so that the split by file leaves some for validation.
func goText(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for i, name := range []string{"a.go", "b.go", "c.go", "d.go", "e.go", "f.go", "g.go", "h.go"} {
		var b strings.Builder
		b.WriteString("package main\n\nimport \"fmt\"\n\n")
		for j := range 6 {
			b.WriteString("// sum adds the numbers of a slice.\nfunc sum(xs []int) int {\n\ts := 0\n\tfor _, x := range xs {\n\t\ts += x\n\t}\n\treturn s\n}\n\n")
			b.WriteString("func main() {\n\tfmt.Println(sum([]int{1, 2, 3}))\n}\n")
			_ = i + j
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runOK runs the command line and fails the test unless it exits 0.
func runOK(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	if code := run(args, &o, &e); code != 0 {
		t.Fatalf("%q: exit %d\nstderr: %s", args, code, e.String())
	}
	return o.String(), e.String()
}

// A next-byte model trained from the command line on text reports its
// validation loss in nats and in bits per byte, saves a model file that
// sample reads back, and sample continues the prompt with the bytes
// asked for, the same ones for the same seed.
func TestTrainAndSampleText(t *testing.T) {
	corpus := goText(t)
	for _, c := range []struct{ name, arch string }{
		{"lstm", "embed(16) lstm(32) linear(256)"},
		{"gpt", "embed(16) posembed(16) block(2) block(2) layernorm(axes=1) linear(256)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			model := filepath.Join(t.TempDir(), "m.safetensors")
			out, errOut := runOK(t, "train", "--text", corpus, "--arch", c.arch, "--context", "16", "--batch", "8",
				"--epochs", "2", "--steps-per-epoch", "15", "--val", "12", "--lr", "0.01", "--warmup", "5", "--threads", "1",
				"--model", model, "--json")
			var res map[string]any
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("--json: %v: %q", err, out)
			}
			loss, _ := res["val_loss"].(float64)
			bits, _ := res["val_bits_per_byte"].(float64)
			if !(loss > 0 && loss < math.Log(256)) || math.Abs(bits-loss/math.Ln2) > 1e-9 {
				t.Errorf("val_loss %v, val_bits_per_byte %v: want a loss below ln 256 and its bits", res["val_loss"], res["val_bits_per_byte"])
			}
			if res["epochs"] != 2.0 || res["steps"] != 30.0 || res["model"] != model {
				t.Errorf("summary %v", res)
			}
			for _, want := range []string{"training embed(16) ", "on text: 8.3 kB of text in 8 files", "2 epochs of 15 steps, batches of 8 windows of 16 bytes",
				"  epoch    loss  val loss  val bits/byte  val acc", "    2/2 "} {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
			sample := func(seed string, extra ...string) string {
				out, errOut := runOK(t, append([]string{"sample", "--model", model, "--prompt", "func main() {", "--tokens", "40", "--seed", seed}, extra...)...)
				if !strings.HasPrefix(errOut, "40 bytes in ") {
					t.Errorf("stderr %q", errOut)
				}
				return out
			}
			a, b, other := sample("1"), sample("1"), sample("2")
			if !strings.HasPrefix(a, "func main() {") || len(a) != len("func main() {")+40 {
				t.Errorf("sample %q: want the prompt and 40 bytes", a)
			}
			if a != b {
				t.Errorf("the same seed sampled %q and %q", a, b)
			}
			if a == other {
				t.Errorf("seeds 1 and 2 sampled the same %q", a)
			}
			// Temperature 0 takes the most likely byte, whatever the seed.
			if x, y := sample("1", "--temperature", "0"), sample("5", "--temperature", "0"); x != y {
				t.Errorf("temperature 0: %q and %q", x, y)
			}
			// Without the caches, the whole window runs for every byte,
			// and the most likely bytes are the same as long as the text
			// fits the context of 16 (past it, the window slides by a
			// byte, while the transformer's caches start again from the
			// last half).
			greedy := []string{"sample", "--model", model, "--prompt", "func", "--tokens", "12", "--temperature", "0"}
			x, _ := runOK(t, greedy...)
			y, _ := runOK(t, append(greedy, "--no-cache")...)
			if x != y || len(x) != 16 {
				t.Errorf("temperature 0: %q with the caches, %q without", x, y)
			}
			// Without a prompt, the model starts from a newline it does
			// not print.
			if out, _ := runOK(t, "sample", "--model", model, "--tokens", "7"); len(out) != 7 {
				t.Errorf("no prompt: %q, want 7 bytes", out)
			}
		})
	}
}

// The errors of text runs and of sample, one line each.
func TestTextErrors(t *testing.T) {
	corpus := goText(t)
	dir := t.TempDir()
	spiral := filepath.Join(dir, "spiral.safetensors")
	runOK(t, "train", "--dataset", "spiral", "--points", "20", "--epochs", "1", "--hidden", "4", "--model", spiral)
	textModel := filepath.Join(dir, "text.safetensors")
	runOK(t, "train", "--text", corpus, "--arch", "embed(4) linear(256)", "--context", "8", "--epochs", "1", "--steps-per-epoch", "1", "--val", "1", "--model", textModel)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--text", filepath.Join(dir, "missing")}, "backprop train: --text " + filepath.Join(dir, "missing") + ": no such file or directory"},
		{[]string{"train", "--dataset", "text"}, "backprop train: --dataset text: give the text with --text FILE|DIR"},
		{[]string{"train", "--dataset", "gosrc", "--text", corpus}, "backprop train: --text " + corpus + ": --dataset gosrc is the Go source: give --text alone for other text"},
		{[]string{"train", "--text", corpus, "--arch", "lenet5"}, "backprop train: --arch lenet5: not a model of text: a next-byte model starts with embed, such as the presets lstm and gpt"},
		{[]string{"train", "--text", corpus, "--arch", "embed(8) lstm(8) linear(10)", "--context", "4"}, "backprop train: --arch \"embed(8) lstm(8) linear(10)\": the network's output is [4 10] per window, but a next-byte model gives 256 logits per byte, [4 256]: end it with linear(256)"},
		{[]string{"train", "--text", corpus, "--arch", "gpt", "--context", "256"}, "backprop train: --arch gpt: col 12: posembed(128): input [256 128]: 256 positions, more than the context 128 (gpt is \"embed(128) posembed(128) block(4) block(4) block(4) block(4) layernorm(axes=1) linear(256)\")\n  embed(128) posembed(128) block(4) block(4) block(4) block(4) layernorm(axes=1) linear(256)\n             ^"},
		{[]string{"train", "--text", corpus, "--context", "0"}, "backprop train: --context 0: must be positive"},
		{[]string{"train", "--text", corpus, "--steps-per-epoch", "-1"}, "backprop train: --steps-per-epoch -1: must be positive"},
		{[]string{"train", "--text", corpus, "--hidden", "10"}, "backprop train: --hidden: not a flag of text data: a text run's network is --arch, such as lstm or gpt"},
		{[]string{"train", "--text", corpus, "--arch", "embed(4) linear(256)", "--context", "9000"}, "backprop train: --context 9000: the training text of " + corpus + " has 7252 bytes, fewer than a window of 9001"},
		{[]string{"train", "--text", corpus, "--context", "100000", "--max-memory", "1GB"}, "backprop train: --context 100000: training lstm with adam on batches of 32 needs 149 GiB, limit 954 MiB"},
		{[]string{"train", "--arch", "lstm"}, "backprop train: --arch lstm: a next-byte model of text (it starts with embed), not of mnist's examples: train it with --dataset gosrc or --text FILE|DIR"},
		{[]string{"train", "--dataset", "spiral", "--context", "64"}, "backprop train: --context: a flag of text data, not of spiral: train text with --dataset gosrc or --text FILE|DIR"},
		{[]string{"sample", "--model", spiral}, "backprop sample: --model " + spiral + ": not a model of text (its output is [3] per example): sample needs a next-byte model, trained with --dataset gosrc or --text"},
		{[]string{"sample", "--model", filepath.Join(dir, "none.safetensors")}, "backprop sample: --model " + filepath.Join(dir, "none.safetensors") + ": no such file; train one with: backprop train --dataset gosrc --model " + filepath.Join(dir, "none.safetensors")},
		{[]string{"eval", "--model", textModel}, "backprop eval: --model " + textModel + ": a next-byte model of text: train reports its validation loss; generate text with: backprop sample --model " + textModel},
		{[]string{"serve", "--model", textModel}, "backprop serve: --model " + textModel + ": a next-byte model of text: serve predicts with image and spiral models; generate text with: backprop sample --model " + textModel},
		{[]string{"predict", "--model", textModel, "x.png"}, "backprop predict: --model " + textModel + ": a next-byte model of text: predict classifies images; generate text with: backprop sample --model " + textModel},
		{[]string{"sample", "--tokens", "-3"}, "backprop sample: --tokens -3: must not be negative"},
		{[]string{"sample", "--temperature", "-1"}, "backprop sample: --temperature -1: want 0 (always the most likely byte) or more"},
		{[]string{"sample", "--top-k", "-1"}, "backprop sample: --top-k -1: must not be negative (0 for every byte)"},
		{[]string{"sample", "--tokens", "x"}, "backprop sample: --tokens x: want a whole number"},
		{[]string{"sample", "extra"}, "backprop sample: unexpected argument \"extra\""},
	} {
		var out, errOut bytes.Buffer
		code := run(c.args, &out, &errOut)
		if code != 2 || errOut.String() != c.want+"\n" || out.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr\n%q\nwant\n%q", c.args, code, out.String(), errOut.String(), c.want+"\n")
		}
	}
}
