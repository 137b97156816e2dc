package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"backprop/data/mnist"
	"backprop/nn"
	"backprop/train"
)

// A model file is a ready predictor: nn.Load and train.Evaluate on the raw
// MNIST test set give exactly the accuracy that eval reports, because the
// model applies the standardisation stored in its file; the bare network
// fed the same raw digits, as a caller who forgot the standardisation
// would have it, does not.
func TestLoadedModelEvaluatesAsEval(t *testing.T) {
	model := filepath.Join(t.TempDir(), "m.safetensors")
	if code, _, stderr := runArgs("train", "--hidden", "32", "--epochs", "2", "--limit", "8000", "--val", "0", "--model", model); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	code, stdout, stderr := runArgs("eval", "--json", "--model", model)
	if code != 0 {
		t.Fatalf("eval: %s", stderr)
	}
	var out struct{ Accuracy float64 }
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	m, err := nn.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := mnist.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	test, err := mnist.LoadSet(dir, "t10k")
	if err != nil {
		t.Fatal(err)
	}
	_, acc := train.Evaluate(m, test, 1000)
	_, bare := train.Evaluate(m.Net, test, 1000)
	if acc != out.Accuracy || acc < 0.85 {
		t.Errorf("nn.Load and train.Evaluate: accuracy %v, eval reports %v", acc, out.Accuracy)
	}
	if bare >= acc {
		t.Errorf("the bare network on raw digits reaches %v, the model %v: the standardisation changes nothing?", bare, acc)
	}
	t.Logf("accuracy %.4f (eval %.4f); the bare network on raw digits %.4f", acc, out.Accuracy, bare)
}
