//go:build torch

package interop

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/nn"
	"backprop/tensor"
	"backprop/train"
)

// fixedIndices is pytorch_model.py's fixed input of a model that starts
// with embed: x[i][j] = (i·n + j)·37 mod 101 mod vocab.
func fixedIndices(rows, n, vocab int) *tensor.Tensor {
	x := tensor.New(tensor.Float32, rows, n)
	for i := range rows {
		for j := range n {
			x.Set(float64((i*n+j)*37%101%vocab), i, j)
		}
	}
	return x
}

// The script checks models written here in PyTorch. It needs Debian's
// python3-torch and python3-numpy, which test.sh installs when missing.
func TestPyTorchLoadsGoModel(t *testing.T) {
	// Debian's python3-torch is installed for /usr/bin/python3, which
	// need not be the python3 on PATH.
	py := ""
	for _, c := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(c); err == nil && exec.Command(p, "-c", "import torch, numpy").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Fatal("no python3 with torch and numpy: apt-get install -y python3-torch python3-numpy (test.sh does this)")
	}
	args := []string{"pytorch_model.py", "check", "testdata/go_mlp.safetensors", "testdata/go_logits.json"}
	// Other activations, dropout (off in evaluation) and maxout, written
	// here and now.
	dir := t.TempDir()
	for i, spec := range []nn.Spec{
		{Sizes: []int{784, 20, 15, 10}, Activation: "elu", Alpha: 0.7, Dropout: 0.3},
		{Sizes: []int{784, 12, 10}, Activation: "maxout", K: 3},
		{Sizes: []int{784, 16, 10}, Activation: "leaky_relu", Slope: 0.2},
		{Sizes: []int{784, 16, 10}, Activation: "tanh"},
		{Sizes: []int{784, 16, 10}, Activation: "sigmoid"},
	} {
		m := nn.MLP(spec, rand.New(rand.NewPCG(uint64(i), 9)))
		model, logits := filepath.Join(dir, spec.Activation+".safetensors"), filepath.Join(dir, spec.Activation+".json")
		if err := train.SaveModel(model, m, train.Meta{Spec: spec, Std: 1}); err != nil {
			t.Fatal(err)
		}
		writeLogits(t, logits, logitsOf(m, 784))
		args = append(args, model, logits)
	}
	// Convolutional networks, with every layer that has weights or
	// buffers, in training mode for a few batches first so that the
	// running statistics are not their initial values.
	archs := []struct {
		text  string
		shape []int
	}{
		{"lenet5", []int{1, 28, 28}},
		{"mnistcnn", []int{1, 28, 28}},
		{"conv(6,5,pad=2) batchnorm relu maxpool(3,stride=2,pad=1,dilation=2) conv(8,3,stride=2,groups=2,bias=false) groupnorm(4) tanh avgpool(2,pad=1,count_pad=false) flatten linear(16) layernorm leakyrelu(0.1) linear(10)", []int{1, 28, 28}},
		{"conv(4,3x2,pad=1x0) layernorm(axes=3) elu(0.5) gap linear(5)", []int{3, 9, 7}},
		{"linear(32) batchnorm(momentum=0.3) relu dropout(0.2) linear(10)", []int{784}},
		// Recurrent layers: torch.nn.LSTM, GRU and RNN (batch_first)
		// loading the same state_dict, linear on every step.
		{"lstm(8,2) gru(6,1) rnn(5,2) linear(4) tanh flatten linear(10)", []int{7, 3}},
		{"gru(16,1) lstm(12,2,dropout=0.3) flatten linear(10)", []int{28, 28}},
		// Transformer blocks on sequences of 7 positions of width 8.
		{"block(2) gelu(tanh=true) block(4,hidden=20,causal=false) layernorm(axes=1) linear(5) gelu flatten linear(10)", []int{7, 8}},
	}
	trained := 0 // the models whose training-mode logits are compared too
	for i, a := range archs {
		text := a.text
		if p, ok := nn.Preset(text); ok {
			text = p
		}
		arch, err := nn.ParseArch(text)
		if err != nil {
			t.Fatal(err)
		}
		net, err := arch.Build(a.shape, rand.New(rand.NewPCG(uint64(i), 10)))
		if err != nil {
			t.Fatal(err)
		}
		net.SetTraining(true)
		n := 1
		for _, d := range a.shape {
			n *= d
		}
		rng := rand.New(rand.NewPCG(uint64(i), 11))
		for range 3 {
			net.Forward(ag.NewGraph(ag.NoGrad).Const(tensor.Rand(rng, tensor.Float32, 8, n)))
		}
		for _, b := range nn.Buffers(net) {
			if strings.HasSuffix(b.Name, "running_var") && b.Value.Flat(0) == 1 {
				t.Errorf("%s: %s did not move in training mode", a.text, b.Name)
			}
		}
		model, logits := filepath.Join(dir, fmt.Sprintf("cnn%d.safetensors", i)), filepath.Join(dir, fmt.Sprintf("cnn%d.json", i))
		if err := train.SaveModel(model, net, train.Meta{Shape: a.shape, Std: 1}); err != nil {
			t.Fatal(err)
		}
		// Training mode too, where nothing random runs: batch
		// normalisation by the batch's statistics.
		eval := logitsOf(net, n)
		if strings.Contains(text, "dropout") {
			writeLogits(t, logits, eval)
		} else {
			net.SetTraining(true)
			trainMode := net.Forward(ag.NewGraph(ag.NoGrad).Const(fixedInput(4, n))).Value
			writeLogits(t, logits, eval, trainMode)
			trained++
		}
		args = append(args, model, logits)
	}
	// Next-byte models of text, the presets and positions of either
	// kind, for windows of 16 bytes: indices in, logits [N, T, 256] out,
	// compared flat.
	seqs := []string{"lstm", "gpt", "embed(12,vocab=101) sinpos block(3,hidden=20) gru(5) linear(7)"}
	for i, text := range seqs {
		if p, ok := nn.Preset(text); ok {
			text = p
		}
		arch, err := nn.ParseArch(text)
		if err != nil {
			t.Fatal(err)
		}
		shape := []int{16}
		net, err := arch.Build(shape, rand.New(rand.NewPCG(uint64(i), 12)))
		if err != nil {
			t.Fatal(err)
		}
		net.SetTraining(false)
		model, logits := filepath.Join(dir, fmt.Sprintf("seq%d.safetensors", i)), filepath.Join(dir, fmt.Sprintf("seq%d.json", i))
		if err := train.SaveModel(model, net, train.Meta{Shape: shape, Std: 1}); err != nil {
			t.Fatal(err)
		}
		vocab := net.Layers[0].(*nn.Embedding).Num
		y := net.Forward(ag.NewGraph(ag.NoGrad).Const(fixedIndices(4, 16, vocab))).Value
		writeLogits(t, logits, y.Reshape(4, -1))
		args = append(args, model, logits)
	}
	out, err := exec.Command(py, args...).CombinedOutput()
	if err != nil || strings.Count(string(out), ": ok (tolerance 1e-05)") != 6+len(archs)+trained+len(seqs) {
		t.Errorf("pytorch_model.py check: %v\n%s", err, out)
	}
}
