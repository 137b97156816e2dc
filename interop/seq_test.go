//go:build torch

package interop

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/nn"
	"backprop/tensor"
	"backprop/train"
)

// seqVals are seq.py's vals: n exact small rationals.
func seqVals(n, mod int, scale float64, shape ...int) *tensor.Tensor {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64((i*37+11)%mod-mod/2) / scale
	}
	return tensor.FromSlice(v, shape...)
}

type seqAnswer struct {
	Value []num
	Grad  []num
}

// checkSame compares got with PyTorch's want, element by element.
func checkSame(t *testing.T, name, what string, got []float64, want []num, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d %s values, PyTorch %d", name, len(got), what, len(want))
		return
	}
	for i := range got {
		if !same(got[i], float64(want[i]), rel) && math.Abs(got[i]-float64(want[i])) > rel {
			t.Errorf("%s: %s %d is %v, PyTorch's %v", name, what, i, got[i], float64(want[i]))
			return
		}
	}
}

// TestPyTorchSequenceInputs compares the embedding lookup (padding_idx
// included), cross-entropy over sequences with ignore_index and the
// sinusoidal encoding with PyTorch 1.13's in float64, and loads a Go
// sequence model into torch.nn modules to compare its logits.
func TestPyTorchSequenceInputs(t *testing.T) {
	py := torchPython(t)
	out, err := exec.Command(py, "seq.py").Output()
	if err != nil {
		t.Fatalf("seq.py: %v", err)
	}
	var want map[string]json.RawMessage
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("seq.py output: %v\n%s", err, out)
	}
	answer := func(name string) seqAnswer {
		var a seqAnswer
		if err := json.Unmarshal(want[name], &a); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return a
	}

	idx := []int{2, 4, 2, 0, 6, 3, 3, 2}
	for name, pad := range map[string]int{"embedding": 0, "embedding_pad": 3, "embedding_pad_neg": -2} {
		w := ag.Param(seqVals(35, 23, 8, 7, 5))
		var y *ag.Var
		if name == "embedding" {
			y = ag.Embedding(w, idx, 2, 4)
		} else {
			y = ag.EmbeddingPadded(w, idx, pad, 2, 4)
		}
		ag.Backward(y, ag.Seed(seqVals(40, 19, 4, 2, 4, 5)))
		a := answer(name)
		checkSame(t, name, "value", y.Value.Values(), a.Value, 0)
		checkSame(t, name, "gradient", w.Grad.Values(), a.Grad, 0)
	}

	targets := []int{3, -100, 10, 0, 2, -100, -100, 7, 2, 2, 5, 1, -100, 9, 4}
	classIgnored := make([]int, len(targets))
	for i, v := range targets {
		classIgnored[i] = v
		if v < 0 {
			classIgnored[i] = 2 // ignore_index 2, a class
		}
	}
	allIgnored := make([]int, len(targets))
	for i := range allIgnored {
		allIgnored[i] = -100
	}
	for name, c := range map[string]struct {
		targets []int
		ignore  int
	}{"ce_ignore": {targets, -100}, "ce_ignore_class": {classIgnored, 2}, "ce_all_ignored": {allIgnored, -100}} {
		x := ag.Param(seqVals(165, 29, 5, 3, 5, 11))
		loss := ag.SoftmaxCrossEntropyIgnore(x, c.targets, c.ignore)
		ag.Backward(loss)
		a := answer(name)
		checkSame(t, name, "loss", []float64{loss.Value.Item()}, a.Value, 1e-14)
		checkSame(t, name, "gradient", x.Grad.Values(), a.Grad, 1e-14)
	}

	for name, s := range map[string][2]int{"sinpos_9x6": {9, 6}, "sinpos_130x64": {130, 64}} {
		var w []num
		if err := json.Unmarshal(want[name], &w); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pe := nn.SinusoidalPositions{}.Forward(ag.Const(tensor.New(tensor.Float64, s[0], s[1]))).Value
		// The tutorial computes 10000^(−2i/D) as exp(−2i·ln 10000/D).
		checkSame(t, name, "encoding", pe.Values(), w, 1e-12)
	}

	// A sequence model from Go in torch.nn modules.
	const arch = "embed(8,vocab=50) posembed(16) sinpos dropout(0.1) flatten linear(5)"
	net, err := nn.MustParseArch(arch).Build([]int{12}, rand.New(rand.NewPCG(4, 4)))
	if err != nil {
		t.Fatal(err)
	}
	net.SetTraining(false)
	dir := t.TempDir()
	model, ref := filepath.Join(dir, "seq.safetensors"), filepath.Join(dir, "seq.json")
	if err := train.SaveModel(model, net, train.Meta{Shape: []int{12}, Std: 1}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	x := tensor.New(tensor.Float32, 3, 12)
	ids := make([][]int, 3)
	for i := range 3 {
		for j := range 12 {
			v := rng.IntN(50)
			ids[i] = append(ids[i], v)
			x.SetFlat(i*12+j, float64(v))
		}
	}
	logits := net.Forward(ag.NewGraph(ag.NoGrad).Const(x)).Value
	rows := make([][]float64, 3)
	for i := range 3 {
		rows[i] = logits.Values()[i*5 : (i+1)*5]
	}
	b, _ := json.Marshal(map[string]any{"indices": ids, "logits": rows})
	if err := os.WriteFile(ref, b, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command(py, "seq.py", model, ref).CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(res)), "ok") {
		t.Errorf("seq.py %s: %v\n%s", model, err, res)
	}
	t.Logf("%s", strings.TrimSpace(string(res)))
}
