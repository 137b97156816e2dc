package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"backprop/nn"
	"backprop/train"
)

// train --arch builds any network of the architecture language for the
// data set's images, prints its plan, and saves a model that eval and
// predict use as they use an MLP's: a convolutional network with batch
// normalisation (whose running statistics eval must use), trained on
// augmented MNIST digits. Interrupted after its first step and resumed,
// it ends with the model file of the uninterrupted run, byte for byte —
// the buffers and the augmentation's random draws included.
func TestTrainArch(t *testing.T) {
	dir := t.TempDir()
	plainArgs := []string{"train", "--arch", "conv(4,5) batchnorm relu maxpool(2) flatten linear(10)",
		"--limit", "512", "--val", "128", "--batch", "64", "--epochs", "2", "--lr", "0.01", "--threads", "1"}
	args := append(plainArgs[:len(plainArgs):len(plainArgs)], "--augment")
	model := filepath.Join(dir, "cnn.safetensors")
	code, stdout, stderr := runArgs(append(args, "--model", model)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"0      unflatten(1,28,28)",
		"1      conv(4,5)",
		"total: 5882 parameters and 9 buffer values",
		"training conv(4,5) batchnorm relu maxpool(2) flatten linear(10) on 512 mnist\n  examples (128 for validation)",
		"augmented\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no %q in the standard error:\n%s", want, stderr)
		}
	}
	var trainAcc float64
	if _, err := fmt.Sscanf(stdout, "test accuracy %f%%", &trainAcc); err != nil || trainAcc < 50 {
		t.Errorf("stdout %q: test accuracy %v, want ≥ 50%%", stdout, trainAcc)
	}
	want, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if m.Arch != "unflatten(1,28,28) conv(4,5) batchnorm relu maxpool(2) flatten linear(10)" || len(m.Buffers()) != 3 {
		t.Errorf("the model file holds %q with %d buffers", m.Arch, len(m.Buffers()))
	}
	// Eval, in evaluation mode from the file, gets the accuracy train
	// reported.
	code, out, _ := runArgs("eval", "--model", model)
	var evalAcc float64
	fmt.Sscanf(out, "accuracy %f%%", &evalAcc)
	if code != 0 || evalAcc != trainAcc {
		t.Errorf("eval: exit %d, accuracy %v%%, train said %v%%", code, evalAcc, trainAcc)
	}
	sample := filepath.Join("..", "..", "docs", "digit-7.png")
	if code, out, errOut := runArgs("predict", "--model", model, sample); code != 0 || !match(sample+": class *, probability *\n", out) {
		t.Errorf("predict: exit %d, %q %q", code, out, errOut)
	}

	// Without --augment the same run makes another model.
	plain := filepath.Join(dir, "plain.safetensors")
	if code, _, stderr := runArgs(append(plainArgs, "--model", plain)...); code != 0 {
		t.Fatalf("without --augment: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(plain); bytes.Equal(got, want) {
		t.Error("--augment changed nothing")
	}

	ck := filepath.Join(dir, "ck")
	resumed := filepath.Join(dir, "resumed.safetensors")
	interrupt(t)
	if code, _, stderr := runArgs(append(args, "--model", resumed, "--checkpoint-dir", ck)...); code != 130 {
		t.Fatalf("interrupted: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runArgs("train", "--resume", ck); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(resumed); !bytes.Equal(got, want) {
		t.Errorf("the resumed run's model (%d bytes) differs from the uninterrupted run's (%d bytes)", len(got), len(want))
	}
	// Another architecture cannot resume it.
	code, _, stderr = runArgs("train", "--resume", ck, "--arch", "conv(4,5) relu maxpool(2) flatten linear(10)")
	if want := "backprop train: --resume " + ck + ": the checkpoint's network is unflatten(1,28,28) conv(4,5) batchnorm relu maxpool(2) flatten linear(10), the flags ask for unflatten(1,28,28) conv(4,5) relu maxpool(2) flatten linear(10)\n"; code != 2 || stderr != want {
		t.Errorf("another architecture: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(ck, train.CheckpointFile)); err != nil {
		t.Error(err)
	}
}

// The errors of --arch name the column at fault under the text, and
// the flags that cannot go with it.
func TestTrainArchErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--arch", "conv(32,3) relu linear(10)"}, "backprop train: --arch \"conv(32,3) relu linear(10)\": col 17: linear(10): input [32 26 26]: linear wants flat examples [D]: put flatten (or gap) before it\n  conv(32,3) relu linear(10)\n                  ^"},
		{[]string{"--arch", "linear(5)"}, "backprop train: --arch linear(5): the network's output is [5] per example, but the data set has 10 classes: end it with linear(10)"},
		{[]string{"--arch", "lenet6"}, "backprop train: --arch lenet6: col 1: unknown layer \"lenet6\" (layers: conv, maxpool, avgpool, gap, flatten, unflatten, linear, relu, tanh, sigmoid, gelu, leakyrelu, elu, maxout, dropout, batchnorm, layernorm, groupnorm, embed, posembed, sinpos, lstm, gru, rnn, block); the presets are mlp, lenet5, mnistcnn, fast, lstm or gpt\n  lenet6\n  ^"},
		{[]string{"--arch", "lenet5", "--hidden", "100"}, "backprop train: --arch and --hidden: give the network one way, --arch for any architecture or --hidden, --activation and --dropout for an MLP"},
		{[]string{"--arch", "conv(64,3) flatten linear(3)", "--dataset", "spiral"}, "backprop train: --arch \"conv(64,3) flatten linear(3)\": col 1: conv(64,3): input [2]: conv wants images [C H W]\n  conv(64,3) flatten linear(3)\n  ^"},
		{[]string{"--augment", "--dataset", "spiral"}, "backprop train: --augment: the spiral's examples are points, not images: augment mnist or fashion"},
		{[]string{"--arch", "conv(100000,3) flatten linear(10)", "--max-memory", "1GiB"}, "backprop train: --arch \"conv(100000,3) flatten linear(10)\": training conv(100000,3) flatten linear(10) with adam on batches of 128 needs *, limit 1.00 GiB"},
	} {
		code, stdout, stderr := runArgs(append([]string{"train", "--model", "none"}, c.args...)...)
		if code != 2 || stdout != "" || !match(c.want+"\n", stderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr\n%q\nwant\n%q", c.args, code, stdout, stderr, c.want+"\n")
		}
	}
}
