package interop

import (
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/nn"
	"backprop/tensor"
	"backprop/train"
)

var update = flag.Bool("update", false, "rewrite testdata/go_mlp.safetensors and testdata/go_logits.json")

// fixedInput is the script's input: x[i][j] = ((i·784 + j)·37 mod 101)/100
// in float32.
func fixedInput(rows, features int) *tensor.Tensor {
	x := tensor.New(tensor.Float32, rows, features)
	for i := 0; i < rows; i++ {
		for j := 0; j < features; j++ {
			x.Set(float64((i*features+j)*37%101)/100, i, j)
		}
	}
	return x
}

func readLogits(t *testing.T, path string) [][]float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Logits [][]float64 }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f.Logits
}

// writeLogits writes the logits of evaluation mode, y, and, if train is
// not nil, those of training mode (batch statistics in batch
// normalisation), which the script compares too.
func writeLogits(t *testing.T, path string, y *tensor.Tensor, train ...*tensor.Tensor) {
	t.Helper()
	rowsOf := func(y *tensor.Tensor) [][]float64 {
		rows := make([][]float64, y.Dim(0))
		for i := range rows {
			rows[i] = y.Values()[i*y.Dim(1) : (i+1)*y.Dim(1)]
		}
		return rows
	}
	f := map[string]any{"backprop": "go", "logits": rowsOf(y)}
	if len(train) > 0 {
		f["train_logits"] = rowsOf(train[0])
	}
	b, _ := json.MarshalIndent(f, "", " ")
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func logitsOf(m nn.Module, features int) *tensor.Tensor {
	m.SetTraining(false) // dropout off, as in torch's eval()
	return m.Forward(ag.NewGraph(ag.NoGrad).Const(fixedInput(4, features))).Value
}

func compare(t *testing.T, got *tensor.Tensor, want [][]float64, tol float64) {
	t.Helper()
	if len(want) != got.Dim(0) || len(want[0]) != got.Dim(1) {
		t.Fatalf("logits %v, want %d×%d", got.Shape(), len(want), len(want[0]))
	}
	worst := 0.0
	for i, row := range want {
		for j, w := range row {
			worst = max(worst, math.Abs(got.At(i, j)-w))
		}
	}
	if !(worst <= tol) {
		t.Errorf("logits differ by up to %g (tolerance %g)", worst, tol)
	}
}

// A model written by PyTorch loads here and gives PyTorch's logits.
func TestTorchModelLoads(t *testing.T) {
	m, err := nn.Load("testdata/torch_mlp.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	d, err := train.DataOf(m)
	if err != nil || m.Arch != "linear(32) relu linear(10)" || m.Input != (nn.Standardization{Std: 1}) || d.Name != "mnist" {
		t.Errorf("metadata %+v, data %+v, %v", m.Description, d, err)
	}
	var names []string
	for _, p := range m.Parameters() {
		names = append(names, p.Name)
	}
	if strings.Join(names, " ") != "0.weight 0.bias 2.weight 2.bias" {
		t.Errorf("parameters %v", names)
	}
	compare(t, logitsOf(m, 784), readLogits(t, "testdata/torch_logits.json"), 1e-5)
}

// The Go fixture for the reverse direction: a model written by SaveModel
// and the logits Go computes for it.
func TestGoFixture(t *testing.T) {
	model, logits := filepath.Join("testdata", "go_mlp.safetensors"), filepath.Join("testdata", "go_logits.json")
	if *update {
		spec := nn.Spec{Sizes: []int{784, 32, 10}, Activation: "relu"}
		m := nn.MLP(spec, rand.New(rand.NewPCG(2026, 4)))
		if err := train.SaveModel(model, m, train.Meta{Spec: spec, Std: 1, Data: train.DataInfo{Name: "mnist"}}); err != nil {
			t.Fatal(err)
		}
		writeLogits(t, logits, logitsOf(m, 784))
	}
	m, err := nn.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	// Not bit-exact: the matrix kernels (AVX-512, AVX2, pure Go) round
	// differently, and the fixture was written by one of them.
	compare(t, logitsOf(m, 784), readLogits(t, logits), 1e-5)
}

// A convolutional network with batch, group and layer normalisation
// written by PyTorch (its running statistics moved by training-mode
// batches) loads here, buffers included, and gives PyTorch's logits.
func TestTorchCNNLoads(t *testing.T) {
	m, err := nn.Load("testdata/torch_cnn.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Shape, []int{1, 28, 28}) || !strings.HasPrefix(m.Plan().Arch().String(), "unflatten(1,28,28) conv(6,5,pad=2) batchnorm") {
		t.Errorf("shape %v, architecture %q", m.Shape, m.Plan().Arch())
	}
	var moved bool
	for _, b := range m.Buffers() {
		if b.Name == "2.running_mean" {
			moved = b.Value.Flat(0) != 0
		}
	}
	if !moved {
		t.Error("2.running_mean was not loaded: it is still 0")
	}
	compare(t, logitsOf(m, 784), readLogits(t, "testdata/torch_cnn_logits.json"), 1e-5)
}

// A sequence model of LSTM, GRU and RNN layers written by PyTorch
// (torch.nn.LSTM, GRU and RNN with batch_first) loads here under
// PyTorch's names and gives PyTorch's logits.
func TestTorchRecurrentLoads(t *testing.T) {
	m, err := nn.Load("testdata/torch_rnn.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if want := "unflatten(7,3) lstm(8,2) gru(6,1) rnn(5,1) linear(4) tanh flatten linear(10)"; !slices.Equal(m.Shape, []int{7, 3}) || m.Plan().Arch().String() != want {
		t.Errorf("shape %v, architecture %q, want %q", m.Shape, m.Plan().Arch(), want)
	}
	if _, ok := m.Net.Layers[1].(*nn.LSTM); !ok {
		t.Errorf("layer 1 is %T, want *nn.LSTM", m.Net.Layers[1])
	}
	compare(t, logitsOf(m, 21), readLogits(t, "testdata/torch_rnn_logits.json"), 1e-5)
}
