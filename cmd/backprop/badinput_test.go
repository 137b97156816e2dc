package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"backprop/nn"
	"backprop/train"
)

// Every kind of bad input from a person gets one line on standard error
// naming the problem and the value, and a non-zero status; never a stack
// trace.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	j := func(names ...string) string { return filepath.Join(append([]string{dir}, names...)...) }
	spiral := j("spiral.safetensors")
	ck := j("ck")
	if code, _, stderr := runArgs("train", "--dataset", "spiral", "--epochs", "2", "--model", spiral, "--checkpoint-dir", ck); code != 0 {
		t.Fatalf("training the spiral: exit %d: %s", code, stderr)
	}
	good, err := os.ReadFile(spiral)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := j(name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	truncated := write("truncated.safetensors", good[:len(good)-100])
	flipped := bytes.Clone(good)
	flipped[len(flipped)-1] ^= 1
	corrupt := write("corrupt.safetensors", flipped)
	// A file whose architecture says 2-50-3 but whose tensors are 2-100-3.
	var mis bytes.Buffer
	m := nn.MLP(nn.Spec{Sizes: []int{2, 100, 3}}, rand.New(rand.NewPCG(1, 1)))
	nn.WriteSafetensors(&mis, m.Parameters(), map[string]string{"architecture": nn.Spec{Sizes: []int{2, 50, 3}}.String()})
	mismatch := write("mismatch.safetensors", mis.Bytes())
	badCk := j("badck")
	ckb, _ := os.ReadFile(filepath.Join(ck, train.CheckpointFile))
	write("badck/"+train.CheckpointFile, ckb[:len(ckb)/2])
	noCk := j("nock")
	os.Mkdir(noCk, 0o755)
	// MNIST folder with a truncated image file.
	mn := j("mnist")
	write("mnist/train-images-idx3-ubyte", []byte{0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3})
	bigPNG := write("big.png", withIHDR(pngBytes(28, 28), 20000, 20000))
	nopng := j("missing.png")
	// An untrained model of MNIST's shape, for predict.
	digits := j("digits.safetensors")
	if err := train.SaveModel(digits, nn.MLP(nn.Spec{Sizes: []int{784, 4, 10}}, rand.New(rand.NewPCG(1, 1))), train.Meta{Spec: nn.Spec{Sizes: []int{784, 4, 10}}, Std: 1}); err != nil {
		t.Fatal(err)
	}
	// A checkpoint holds a model that eval can read.
	if code, stdout, stderr := runArgs("eval", "--model", filepath.Join(ck, train.CheckpointFile)); code != 0 || !strings.HasPrefix(stdout, "accuracy ") {
		t.Errorf("eval of a checkpoint: exit %d: %s%s", code, stdout, stderr)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train", "--epochs", "0"}, 2, "backprop train: --epochs 0: must be positive"},
		{[]string{"train", "--epochs", "-3"}, 2, "backprop train: --epochs -3: must be positive"},
		{[]string{"train", "--batch", "0"}, 2, "backprop train: --batch 0: must be positive"},
		{[]string{"train", "--batch", "-1"}, 2, "backprop train: --batch -1: must be positive"},
		{[]string{"train", "--lr", "0"}, 2, "backprop train: --lr 0: want a positive learning rate"},
		{[]string{"train", "--lr", "-0.1"}, 2, "backprop train: --lr -0.1: want a positive learning rate"},
		{[]string{"train", "--lr", "NaN"}, 2, "backprop train: --lr NaN: want a positive learning rate"},
		{[]string{"train", "--optimizer", "adagrad"}, 2, "backprop train: --optimizer adagrad: want adam, adamw, sgd, nesterov or rmsprop"},
		{[]string{"train", "--activation", "swish"}, 2, "backprop train: --activation swish: want one of relu, leaky_relu, elu, tanh, sigmoid, maxout"},
		{[]string{"train", "--checkpoint-every", "-1", "--checkpoint-dir", ck}, 2, "backprop train: --checkpoint-every -1: must not be negative"},
		{[]string{"train", "--checkpoint-every", "5"}, 2, "backprop train: --checkpoint-every 5: needs --checkpoint-dir"},
		{[]string{"train", "--checkpoint-dir", spiral + "/x"}, 2, "backprop train: --checkpoint-dir " + spiral + "/x: not a directory"},
		{[]string{"train", "--resume", noCk}, 2, "backprop train: --resume " + noCk + ": no checkpoint " + filepath.Join(noCk, train.CheckpointFile)},
		{[]string{"train", "--resume", badCk}, 2, "backprop train: --resume " + badCk + ": safetensors: " + filepath.Join(badCk, train.CheckpointFile) + ": offset *: truncated data of tensor \"2.weight\": *"},
		{[]string{"train", "--resume", ck, "--hidden", "7"}, 2, "backprop train: --resume " + ck + ": the checkpoint's network is 2-100-3 relu, the flags ask for 2-7-3 relu"},
		{[]string{"train", "--resume", ck, "--activation", "tanh"}, 2, "backprop train: --resume " + ck + ": the checkpoint's network is 2-100-3 relu, the flags ask for 2-100-3 tanh"},
		{[]string{"train", "--resume", ck, "--points", "50", "--model", "none"}, 2, "backprop train: --resume " + ck + ": the checkpoint was made with 300 training examples, the flags give 150"},
		{[]string{"train", "--resume", ck, "--optimizer", "sgd", "--model", "none"}, 2, "backprop train: --resume " + ck + ": " + filepath.Join(ck, train.CheckpointFile) + ": the checkpoint holds the state of optimizer optim.Adam, not optim.SGD"},
		{[]string{"train", "--data", mn, "--model", "none"}, 2, "backprop train: mnist: train-images-idx3-ubyte: offset 19: truncated data: 3 of 7840 bytes [10 28 28] after the header at offset 16"},
		{[]string{"eval", "--model", truncated}, 2, "backprop eval: safetensors: " + truncated + ": offset *: truncated data of tensor \"2.weight\": * of 1200 bytes"},
		{[]string{"eval", "--model", corrupt}, 2, "backprop eval: safetensors: " + corrupt + ": offset *: the data does not match its checksum: crc32c:*, the metadata says crc32c:* (the file is corrupt)"},
		{[]string{"eval", "--model", mismatch}, 2, "backprop eval: " + mismatch + `: tensor "0.weight" has shape [100 2], the architecture wants [50 2]`},
		{[]string{"eval", "--model", dir}, 2, "backprop eval: safetensors: " + dir + ": offset 0: read " + dir + ": is a directory"},
		{[]string{"predict", "--model", digits, bigPNG}, 2, "backprop predict: " + bigPNG + ": 20000×20000 pixels: too large (at most 8192 a side and 16777216 in all)"},
		{[]string{"predict", "--model", digits, nopng}, 2, "backprop predict: open " + nopng + ": no such file or directory"},
		{[]string{"predict", "--model", digits, spiral}, 2, "backprop predict: " + spiral + ": image: unknown format (want a PNG, JPEG or GIF image)"},
		{[]string{"eval", "--model", j("none.safetensors")}, 2, "backprop eval: --model " + j("none.safetensors") + ": no such file; train one with: backprop train --model " + j("none.safetensors")},
		{[]string{"predict", "--model", spiral, nopng}, 2, "backprop predict: " + spiral + ": the model takes 2 inputs, not a 28×28 image"},
	} {
		code, stdout, stderr := runArgs(c.args...)
		if c.want == "" {
			t.Logf("%q: %d %q", c.args, code, stderr)
			continue
		}
		if code != c.code || stdout != "" || !match(c.want+"\n", stderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr\n%q\nwant\n%q", c.args, code, stdout, stderr, c.want+"\n")
		}
		if strings.Contains(stderr, "goroutine ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: not one line: %q", c.args, stderr)
		}
	}
}

// match reports whether s matches the pattern p, in which each * stands
// for any run of characters other than a newline.
func match(p, s string) bool {
	parts := strings.Split(p, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, part := range parts[1:] {
		last := i == len(parts)-2
		k := strings.Index(s, part)
		if last {
			k = strings.LastIndex(s, part)
			if k < 0 || k+len(part) != len(s) {
				return false
			}
		}
		if k < 0 || strings.Contains(s[:k], "\n") {
			return false
		}
		s = s[k+len(part):]
	}
	return true
}

// Train stops at the first non-finite loss, saves the last good state and
// suggests a lower learning rate; resuming with one finishes the run.
func TestTrainDiverges(t *testing.T) {
	dir := t.TempDir()
	ck, model := filepath.Join(dir, "ck"), filepath.Join(dir, "m.safetensors")
	args := []string{"train", "--dataset", "spiral", "--optimizer", "sgd", "--lr", "1e30", "--epochs", "5", "--model", model}
	last := func(s string) string {
		lines := strings.Split(strings.TrimSpace(s), "\n")
		return lines[len(lines)-1]
	}
	code, stdout, stderr := runArgs(append(args, "--checkpoint-dir", ck)...)
	want := "backprop train: the loss is NaN at epoch 1, step 2 (learning rate 7.99e+28): training diverged; try a lower learning rate, such as --lr 1e+29 (the last good checkpoint, after step 0: backprop train --resume " + ck + " --lr 1e+29)"
	if code != 1 || stdout != "" || last(stderr) != want {
		t.Errorf("exit %d, stdout %q, last line\n%q\nwant\n%q", code, stdout, last(stderr), want)
	}
	if _, err := os.Stat(model); err == nil {
		t.Error("a diverged run saved its model")
	}
	if code, _, stderr := runArgs("train", "--resume", ck, "--lr", "0.5"); code != 0 {
		t.Errorf("resume with a lower rate: exit %d: %s", code, stderr)
	}
	code, _, stderr = runArgs(append(args, "--model", "none")...)
	if want := "backprop train: the loss is NaN at epoch 1, step 2 (learning rate 7.99e+28): training diverged; try a lower learning rate, such as --lr 1e+29"; code != 1 || last(stderr) != want {
		t.Errorf("without checkpoints: exit %d, %q", code, last(stderr))
	}
	code, _, stderr = runArgs(append(args, "--model", "none", "--detect-anomaly")...)
	if code != 1 || !strings.HasPrefix(last(stderr), "backprop train: ag: anomaly: the output of linear [32 3] has 96 non-finite values") ||
		!strings.Contains(last(stderr), "nn/linear.go:") || !strings.HasSuffix(last(stderr), "; try a lower learning rate, such as --lr 1e+29") {
		t.Errorf("--detect-anomaly: exit %d, %q", code, last(stderr))
	}
}
