package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"backprop/nn"
	"backprop/tensor"
	"backprop/train"
)

// fashionNames are Fashion-MNIST's classes, as its classes.txt lists them.
var fashionNames = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// writeIDX writes a data folder in the MNIST layout whose example i is of
// class i%10 and lights only pixel class, n training and m test examples.
func writeIDX(t *testing.T, dir string, n, m int) {
	t.Helper()
	write := func(name string, dims []int, data []byte) {
		b := []byte{0, 0, 8, byte(len(dims))}
		for _, d := range dims {
			b = append(b, byte(d>>24), byte(d>>16), byte(d>>8), byte(d))
		}
		if err := os.WriteFile(filepath.Join(dir, name), append(b, data...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, set := range []struct {
		name string
		n    int
	}{{"train", n}, {"t10k", m}} {
		imgs, labels := make([]byte, set.n*784), make([]byte, set.n)
		for i := range labels {
			labels[i] = byte(i % 10)
			imgs[i*784+int(labels[i])] = 255
		}
		write(set.name+"-images-idx3-ubyte", []int{set.n, 28, 28}, imgs)
		write(set.name+"-labels-idx1-ubyte", []int{set.n}, labels)
	}
}

// Eval prints the confusion matrix and the per-class measures, with the
// class names of the data folder, in text and in JSON, and draws the
// matrix. The model is made by hand: it reads pixel k as class k, except
// that it takes every Dress (3) for a Sandal (5).
func TestEvalReport(t *testing.T) {
	dir := t.TempDir()
	writeIDX(t, dir, 10, 100)
	os.WriteFile(filepath.Join(dir, "classes.txt"), []byte(strings.Join(fashionNames, "\n")+"\n"), 0o644)
	spec := nn.Spec{Sizes: []int{784, 10}, Activation: "relu"}
	m := nn.MLP(spec, rand.New(rand.NewPCG(1, 1)))
	w := m.Parameters()[0].Var.Value // [10, 784]
	tensor.ScaleTo(w, w, 0)
	tensor.ScaleTo(m.Parameters()[1].Var.Value, m.Parameters()[1].Var.Value, 0)
	for k := range 10 {
		to := k
		if k == 3 {
			to = 5
		}
		w.Set(1, to, k)
	}
	model := filepath.Join(dir, "fashion.safetensors")
	if err := train.SaveModel(model, m, train.Meta{Spec: spec, Std: 1, Data: train.DataInfo{Name: "mnist", Names: fashionNames}}); err != nil {
		t.Fatal(err)
	}
	plot := filepath.Join(dir, "confusion.png")
	code, stdout, stderr := runArgs("eval", "--model", model, "--data", dir, "--plot", plot)
	want := `accuracy 90.00%, loss 1.5612 on 100 examples

confusion matrix (a row per true class, a column per predicted class):
                 0    1    2    3    4    5    6    7    8    9
0 T-shirt/top   10    0    0    0    0    0    0    0    0    0
1 Trouser        0   10    0    0    0    0    0    0    0    0
2 Pullover       0    0   10    0    0    0    0    0    0    0
3 Dress          0    0    0    0    0   10    0    0    0    0
4 Coat           0    0    0    0   10    0    0    0    0    0
5 Sandal         0    0    0    0    0   10    0    0    0    0
6 Shirt          0    0    0    0    0    0   10    0    0    0
7 Sneaker        0    0    0    0    0    0    0   10    0    0
8 Bag            0    0    0    0    0    0    0    0   10    0
9 Ankle boot     0    0    0    0    0    0    0    0    0   10

class          precision  recall      f1  support
0 T-shirt/top     1.0000  1.0000  1.0000       10
1 Trouser         1.0000  1.0000  1.0000       10
2 Pullover        1.0000  1.0000  1.0000       10
3 Dress           0.0000  0.0000  0.0000       10
4 Coat            1.0000  1.0000  1.0000       10
5 Sandal          0.5000  1.0000  0.6667       10
6 Shirt           1.0000  1.0000  1.0000       10
7 Sneaker         1.0000  1.0000  1.0000       10
8 Bag             1.0000  1.0000  1.0000       10
9 Ankle boot      1.0000  1.0000  1.0000       10
macro avg         0.8500  0.9000  0.8667      100

plot saved to ` + plot + "\n"
	if code != 0 || stdout != want || stderr != "" {
		t.Errorf("exit %d, stderr %q, output\n%s\nwant\n%s", code, stderr, stdout, want)
	}
	if b, err := os.ReadFile(plot); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("the plot: %v", err)
	}
	code, stdout, _ = runArgs("eval", "--model", model, "--data", dir, "--json")
	var ev struct {
		Accuracy  float64
		Loss      float64
		Samples   int
		Classes   []string
		Confusion [][]int
		PerClass  []struct {
			Class                 string
			Precision, Recall, F1 float64
			Support               int
		} `json:"per_class"`
		MacroAvg struct {
			Precision, Recall, F1 float64
			Support               int
		} `json:"macro_avg"`
	}
	d := json.NewDecoder(strings.NewReader(stdout))
	d.DisallowUnknownFields()
	if err := d.Decode(&ev); code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s", code, err, stdout)
	}
	if ev.Accuracy != 0.9 || ev.Samples != 100 || ev.Classes[3] != "Dress" || ev.Confusion[3][5] != 10 ||
		ev.PerClass[5].Class != "Sandal" || ev.PerClass[5].Precision != 0.5 || ev.MacroAvg.Recall != 0.9 || ev.MacroAvg.Support != 100 {
		t.Errorf("JSON %s", stdout)
	}
}

// --log writes a line per step and per epoch; a run stopped by a signal
// and resumed writes the same lines, the log continuing where the
// checkpoint was made.
func TestTrainLogAndInterrupt(t *testing.T) {
	dir := t.TempDir()
	log, ck := filepath.Join(dir, "log.jsonl"), filepath.Join(dir, "ck")
	args := []string{"train", "--dataset", "spiral", "--epochs", "3", "--model", "none", "--threads", "1", "--log", log}
	code, _, stderr := runArgs(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want, _ := os.ReadFile(log)
	var types []string
	sc := bufio.NewScanner(bytes.NewReader(want))
	for sc.Scan() {
		var l struct{ Type string }
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		types = append(types, l.Type)
	}
	if len(types) != 33 || types[9] != "step" || types[10] != "epoch" || types[32] != "epoch" {
		t.Errorf("%d lines: %v", len(types), types)
	}

	// Ctrl-C after the first step: with --checkpoint-dir it saves, and
	// resuming ends with the same log, apart from times and speeds.
	interrupt(t)
	code, _, stderr = runArgs(append(args, "--checkpoint-dir", ck)...)
	last := lastLine(stderr)
	if code != 130 || last != "backprop train: interrupted at epoch 1, step 1; checkpoint saved in "+filepath.Join(ck, train.CheckpointFile)+"; resume with: backprop train --resume "+ck {
		t.Errorf("exit %d, %q", code, last)
	}
	if code, _, stderr := runArgs("train", "--resume", ck); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	got, _ := os.ReadFile(log)
	if a, b := stripSpeeds(got), stripSpeeds(want); a != b {
		t.Errorf("resumed log\n%s\nwant\n%s", a, b)
	}

	// Without --checkpoint-dir, nothing is saved, and train says so.
	interrupt(t)
	code, _, stderr = runArgs("train", "--dataset", "spiral", "--model", filepath.Join(dir, "m.safetensors"))
	if want := "backprop train: interrupted at epoch 1, step 1; nothing was saved: train with --checkpoint-dir DIR to make a run that can be resumed"; code != 130 || lastLine(stderr) != want {
		t.Errorf("exit %d, %q", code, lastLine(stderr))
	}
	if _, err := os.Stat(filepath.Join(dir, "m.safetensors")); err == nil {
		t.Error("an interrupted run saved its model")
	}
}

// interrupt makes the next training run receive SIGINT as it starts: it
// finishes its first step and stops.
func interrupt(t *testing.T) {
	old := trainSignals
	t.Cleanup(func() { trainSignals = old })
	trainSignals = func(c chan<- os.Signal) {
		c <- os.Interrupt
		trainSignals = old
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// stripSpeeds drops the fields of a log that depend on the clock.
func stripSpeeds(b []byte) string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		json.Unmarshal([]byte(line), &m)
		delete(m, "samples_per_second")
		delete(m, "seconds")
		s, _ := json.Marshal(m)
		out = append(out, string(s))
	}
	return strings.Join(out, "\n")
}

// --patience stops when the validation loss stops improving, keeps the
// best epoch's weights, and a run interrupted and resumed ends with the
// same model file, byte for byte.
func TestTrainPatience(t *testing.T) {
	dir := t.TempDir()
	ref, model, ck := filepath.Join(dir, "ref.safetensors"), filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "ck")
	args := []string{"train", "--dataset", "spiral", "--epochs", "200", "--patience", "3", "--threads", "1", "--json"}
	code, stdout, stderr := runArgs(append(args, "--model", ref)...)
	var res struct{ Epochs int }
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil {
		t.Fatalf("exit %d, %q: %s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if res.Epochs >= 200 || !strings.HasPrefix(lines[len(lines)-2], "stopped early after epoch ") ||
		!strings.Contains(stderr, ", early stopping after 3 epochs without improvement\n") {
		t.Fatalf("%d epochs:\n%s", res.Epochs, stderr)
	}
	// The table marks the epochs that improved; the kept one is the last
	// marked.
	if !strings.Contains(stderr, " *\n") {
		t.Errorf("no epoch marked as the best:\n%s", stderr)
	}
	interrupt(t)
	if code, _, _ := runArgs(append(args, "--model", model, "--checkpoint-dir", ck, "--checkpoint-every", "7")...); code != 130 {
		t.Fatalf("interrupted run: exit %d", code)
	}
	if code, _, stderr := runArgs("train", "--resume", ck); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	a, _ := os.ReadFile(ref)
	b, _ := os.ReadFile(model)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the resumed run's model differs from the uninterrupted one's")
	}
}

// Each data set has its own default model file, so that training the
// spiral does not replace the MNIST model; "1 epoch" is singular.
func TestTrainDefaultModel(t *testing.T) {
	t.Chdir(t.TempDir())
	os.WriteFile("model.safetensors", []byte("the MNIST model"), 0o644)
	code, stdout, stderr := runArgs("train", "--dataset", "spiral", "--epochs", "1")
	if code != 0 || !strings.Contains(stdout, "\n1 epoch in ") || !strings.HasSuffix(stdout, "model saved to spiral.safetensors\n") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "\n1 epoch of batch 32, ") {
		t.Errorf("stderr %q", stderr)
	}
	if b, _ := os.ReadFile("model.safetensors"); string(b) != "the MNIST model" {
		t.Error("training the spiral replaced model.safetensors")
	}
	if code, stdout, _ := runArgs("eval", "--model", "spiral.safetensors"); code != 0 || !strings.HasPrefix(stdout, "accuracy ") {
		t.Errorf("eval: exit %d, %q", code, stdout)
	}
}

// A checkpoint that cannot be written stops the run with one line naming
// --checkpoint-dir.
func TestTrainCheckpointUnwritable(t *testing.T) {
	ck := filepath.Join(t.TempDir(), "ck")
	os.MkdirAll(filepath.Join(ck, train.CheckpointFile), 0o755) // a folder where the file goes
	code, stdout, stderr := runArgs("train", "--dataset", "spiral", "--epochs", "1", "--model", "none", "--checkpoint-dir", ck)
	last := lastLine(stderr)
	if code != 2 || stdout != "" || !strings.HasPrefix(last, "backprop train: --checkpoint-dir "+ck+": rename ") || strings.Count(stderr, "\n") != 3 {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
