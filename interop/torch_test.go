//go:build torch

package interop

import (
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"backprop/nn"
	"backprop/train"
)

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
	args := []string{"pytorch_mlp.py", "check", "testdata/go_mlp.safetensors", "testdata/go_logits.json"}
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
	out, err := exec.Command(py, args...).CombinedOutput()
	if err != nil || strings.Count(string(out), ": ok (tolerance 1e-05)") != 6 {
		t.Errorf("pytorch_mlp.py check: %v\n%s", err, out)
	}
}
