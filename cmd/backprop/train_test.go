package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"backprop/data/mnist"
)

func TestTrainErrors(t *testing.T) {
	dir := t.TempDir()
	spiral := filepath.Join(dir, "spiral.safetensors")
	if code, _, stderr := runArgs("train", "--dataset", "spiral", "--epochs", "2", "--model", spiral); code != 0 {
		t.Fatalf("training the spiral: exit %d: %s", code, stderr)
	}
	notImage := filepath.Join(dir, "notes.png")
	os.WriteFile(notImage, []byte("not an image"), 0o644)
	missing := filepath.Join(dir, "missing.safetensors")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--batch", "0"}, "backprop train: --batch 0: must be positive"},
		{[]string{"train", "--epochs", "-1"}, "backprop train: --epochs -1: must be positive"},
		{[]string{"train", "--dataset", "cifar"}, "backprop train: --dataset cifar: want mnist, fashion, spiral, gosrc or text"},
		{[]string{"train", "--hidden", "5,x"}, "backprop train: --hidden 5,x: want positive widths separated by commas, such as 512,256"},
		{[]string{"train", "--activation", "swish"}, "backprop train: --activation swish: want one of relu, leaky_relu, elu, tanh, sigmoid, maxout"},
		{[]string{"train", "--optimizer", "adagrad"}, "backprop train: --optimizer adagrad: want adam, adamw, sgd, nesterov or rmsprop"},
		{[]string{"train", "--schedule", "exp"}, "backprop train: --schedule exp: want cosine, step or constant"},
		{[]string{"train", "--dropout", "1"}, "backprop train: --dropout 1: want a probability in [0, 1)"},
		{[]string{"train", "--plot", "curves.jpg"}, "backprop train: --plot curves.jpg: want a file name ending in .png or .svg"},
		{[]string{"train", "--patience", "2", "--val", "0"}, "backprop train: --patience 2: needs a validation set, but --val is 0"},
		{[]string{"train", "--patience", "-1"}, "backprop train: --patience -1: must not be negative"},
		{[]string{"train", "--log", "/no/such/folder/log.jsonl"}, "backprop train: --log /no/such/folder/log.jsonl: no folder /no/such/folder to write into"},
		{[]string{"train", "--lr", "x"}, "backprop train: --lr x: want a number"},
		{[]string{"train", "--nope"}, "backprop train: unknown flag --nope; run 'backprop help train' for the flags"},
		{[]string{"train", "extra"}, `backprop train: unexpected argument "extra"`},
		{[]string{"train", "--model", "/no/such/folder/m.safetensors"}, "backprop train: --model /no/such/folder/m.safetensors: no folder /no/such/folder to write into"},
		{[]string{"train", "--model", "none", "--data", dir}, "backprop train: mnist: open " + filepath.Join(dir, "train-images-idx3-ubyte") + ": no such file or directory"},
		{[]string{"eval", "--model", missing}, "backprop eval: --model " + missing + ": no such file; train one with: backprop train --model " + missing},
		{[]string{"eval", "--model", notImage}, "backprop eval: safetensors: " + notImage + ": offset 0: not a safetensors file: it starts with the text \"not an i\", not a header length"},
		{[]string{"eval", "--model", "../../README.md"}, "backprop eval: safetensors: ../../README.md: offset 0: not a safetensors file: it starts with the text \"# backpr\", not a header length"},
		{[]string{"eval", "--model", spiral, "--plot", "m.jpg"}, "backprop eval: --plot m.jpg: want a file name ending in .png or .svg"},
		{[]string{"predict", "--model", spiral}, "backprop predict: want at least one IMAGE argument"},
		{[]string{"predict", "--model", missing, "x.png"}, "backprop predict: --model " + missing + ": no such file; train one with: backprop train --model " + missing},
		{[]string{"predict", "--model", spiral, notImage}, "backprop predict: " + spiral + ": the model takes 2 inputs, not a 28×28 image"},
	} {
		code, stdout, stderr := runArgs(c.args...)
		if code != 2 || stdout != "" || stderr != c.want+"\n" {
			t.Errorf("%q: exit %d, stdout %q, stderr\n%q\nwant\n%q", c.args, code, stdout, stderr, c.want+"\n")
		}
	}
}

func TestTrainSpiral(t *testing.T) {
	dir := t.TempDir()
	model, plot := filepath.Join(dir, "s.safetensors"), filepath.Join(dir, "s.png")
	code, stdout, stderr := runArgs("train", "--dataset", "spiral", "--json", "--model", model, "--plot", plot)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// One line per epoch is too many for 100 epochs: every fifth, after
	// two lines on the run and the table's header. The last epoch's
	// learning rate is the cosine schedule's end.
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 24 || lines[0] != "training 2-100-3 relu on 300 spiral examples (300 for validation)" ||
		lines[1] != "100 epochs of batch 32, adam lr 0.02, cosine schedule after 100 steps of warm-up" ||
		lines[2] != epochTableHeader || !strings.HasPrefix(lines[23], "100/100  0.0") || !strings.Contains(lines[23], " 0 (end) ") {
		t.Errorf("%d log lines:\n%s", len(lines), stderr)
	}
	for _, l := range lines {
		if utf8.RuneCountInString(l) > 80 {
			t.Errorf("line of %d columns: %q", utf8.RuneCountInString(l), l)
		}
	}
	var res struct {
		TestAccuracy     float64 `json:"test_accuracy"`
		TestLoss         float64 `json:"test_loss"`
		Epochs           int     `json:"epochs"`
		Seconds          float64 `json:"seconds"`
		SamplesPerSecond float64 `json:"samples_per_second"`
		Model            string  `json:"model"`
	}
	d := json.NewDecoder(strings.NewReader(stdout))
	d.DisallowUnknownFields()
	if err := d.Decode(&res); err != nil {
		t.Fatalf("%v in %q", err, stdout)
	}
	if res.TestAccuracy < 0.95 || res.Epochs != 100 || res.Model != model || res.SamplesPerSecond <= 0 {
		t.Errorf("result %+v", res)
	}
	f, err := os.Open(plot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if img, err := png.Decode(f); err != nil || img.Bounds().Dx() != 1440 {
		t.Errorf("plot: %v", err)
	}
	code, stdout, stderr = runArgs("eval", "--model", model, "--json")
	var ev struct {
		Accuracy, Loss float64
		Samples        int
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &ev) != nil || ev.Accuracy != res.TestAccuracy || ev.Samples != 300 {
		t.Errorf("eval: exit %d %q %q", code, stdout, stderr)
	}
}

// MNIST end to end on a subset: train, eval, predict.
func TestTrainMNISTSubset(t *testing.T) {
	mdir, err := mnist.DefaultDir()
	if err != nil {
		t.Fatal(err) // GoMNIST is a module dependency: go test has fetched it
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "m.safetensors")
	code, stdout, stderr := runArgs("train", "--limit", "5000", "--val", "1000", "--hidden", "64", "--epochs", "3", "--lr", "0.003", "--model", model, "--threads", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "test accuracy *, loss * on 10000 examples\n3 epochs in *s (* samples/s)\nmodel saved to " + model + "\n"; !match(want, stdout) {
		t.Errorf("stdout %q", stdout)
	}
	if n := strings.Count(stderr, "/3  "); n != 3 {
		t.Errorf("%d epoch lines in %q", n, stderr)
	}
	code, stdout, _ = runArgs("eval", "--model", model)
	var acc float64
	fmt.Sscanf(stdout, "accuracy %f%%", &acc)
	if code != 0 || acc < 85 || !strings.HasPrefix(stdout, "accuracy ") || !strings.Contains(stdout, " on 10000 examples\n\nconfusion matrix") {
		t.Errorf("eval: exit %d, %q", code, stdout)
	}

	// The first test digit, a 7, drawn dark on light at twice the size.
	test, err := mnist.LoadSet(mdir, "t10k")
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 56, 56))
	for y := 0; y < 56; y++ {
		for x := 0; x < 56; x++ {
			img.SetGray(x, y, color.Gray{uint8(255 - 255*test.X.At(0, (y/2)*28+x/2))})
		}
	}
	png7 := filepath.Join(dir, "seven.png")
	f, _ := os.Create(png7)
	png.Encode(f, img)
	f.Close()
	// It and the sample image of the README read as 7.
	sample := filepath.Join("..", "..", "docs", "digit-7.png")
	code, stdout, stderr = runArgs("predict", "--model", model, png7, sample)
	if want := png7 + ": class 7, probability *\n" + sample + ": class 7, probability *\n"; code != 0 || !match(want, stdout) || stderr != "" {
		t.Errorf("predict: exit %d, %q %q", code, stdout, stderr)
	}
	code, stdout, _ = runArgs("predict", "--json", "--model", model, png7)
	var p prediction
	if code != 0 || json.Unmarshal([]byte(stdout), &p) != nil || p.File != png7 || p.Class != 7 || len(p.Probabilities) != 10 {
		t.Errorf("predict --json: %q", stdout)
	}
}

// --data reads any folder in the MNIST layout, such as Fashion-MNIST.
func TestTrainDataFolder(t *testing.T) {
	dir := t.TempDir()
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
	}{{"train", 300}, {"t10k", 100}} {
		imgs, labels := make([]byte, set.n*784), make([]byte, set.n)
		for i := range labels {
			labels[i] = byte(i % 10)
			imgs[i*784+int(labels[i])] = 255 // class k lights pixel k
		}
		write(set.name+"-images-idx3-ubyte", []int{set.n, 28, 28}, imgs)
		write(set.name+"-labels-idx1-ubyte", []int{set.n}, labels)
	}
	code, stdout, stderr := runArgs("train", "--data", dir, "--val", "50", "--hidden", "16", "--epochs", "20", "--batch", "25", "--lr", "0.01", "--model", "none")
	if code != 0 || !strings.HasPrefix(stdout, "test accuracy 100.00%") || !strings.Contains(stdout, "on 100 examples") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.HasPrefix(stderr, "training 784-16-10 relu on 250 mnist examples (50 for validation)\n20 epochs of batch 25, adam lr 0.01, cosine schedule after 100 steps of warm-up\n") {
		t.Errorf("stderr %q", stderr)
	}
}
