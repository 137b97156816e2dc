//go:build torch

package interop

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/nn"
	"backprop/tensor"
)

// prefixed returns m's parameters named prefix + their own names.
func prefixed(prefix string, m nn.Module) []nn.Parameter {
	var ps []nn.Parameter
	for _, p := range m.Parameters() {
		ps = append(ps, nn.Parameter{Name: prefix + p.Name, Var: p.Var})
	}
	return ps
}

// TestPyTorchMatchesGoAttention writes a Go MultiheadAttention and Block
// with random weights, an input and their outputs and gradients, and has
// attention.py load them into torch.nn.MultiheadAttention
// (batch_first=True) and the explicit PyTorch block and compare: causal,
// unmasked and with a key padding mask, within 1e-5.
func TestPyTorchMatchesGoAttention(t *testing.T) {
	py := torchPython(t)
	const n, tt, e, heads, hidden = 3, 6, 16, 4, 40
	rng := rand.New(rand.NewPCG(21, 1))
	mha := nn.NewMultiheadAttention(rng, e, heads, true, 0)
	block := nn.NewBlock(rng, e, heads, hidden, true, 0)
	// Non-zero biases and a non-trivial affine transform, so that their
	// names and layout are checked too.
	for _, p := range append(mha.Parameters(), block.Parameters()...) {
		if strings.HasSuffix(p.Name, "bias") || strings.HasSuffix(p.Name, "_bias") {
			p.Var.Value = tensor.Scale(tensor.Randn(rng, tensor.Float32, p.Var.Value.Shape()...), 0.1)
		}
	}
	block.LN1.Weight.Value = tensor.AddScalar(tensor.Scale(tensor.Randn(rng, tensor.Float32, e), 0.1), 1)
	mha.SetTraining(false)
	block.SetTraining(false)

	x := tensor.Randn(rng, tensor.Float32, n, tt, e)
	u := tensor.Randn(rng, tensor.Float32, n, tt, e)
	out := map[string]*tensor.Tensor{}
	grad := func(f func(*ag.Var) *ag.Var, name string, params ...nn.Parameter) {
		for _, p := range params {
			p.Var.Grad = nil
		}
		xv := ag.Param(x.Clone())
		y := f(xv)
		ag.Backward(y, ag.Seed(u))
		out[name+".y"], out[name+".dx"] = y.Value, xv.Grad
		for _, p := range params {
			out[name+".d_"+p.Name] = p.Var.Grad
		}
	}
	mhaParams := mha.Parameters()
	grad(mha.Forward, "mha.causal", mhaParams[0], mhaParams[2])
	grad(block.Forward, "block")
	mha.Causal = false
	out["mha.full.y"] = mha.Forward(ag.Const(x)).Value
	pad := make([]bool, n*tt)
	flags := make([]int, n*tt)
	for i := range pad {
		// Some keys of every example hidden, never all.
		if pad[i] = i%tt != 0 && rng.IntN(3) == 0; pad[i] {
			flags[i] = 1
		}
	}
	out["mha.pad.y"] = mha.ForwardMask(ag.Const(x), pad).Value
	mha.Causal = true

	ps := append(prefixed("mha.", mha), prefixed("block.", block)...)
	ps = append(ps, nn.Parameter{Name: "x", Var: ag.Const(x)}, nn.Parameter{Name: "u", Var: ag.Const(u)})
	for _, name := range []string{"mha.causal.y", "mha.causal.dx", "mha.causal.d_in_proj_weight", "mha.causal.d_out_proj.weight",
		"mha.full.y", "mha.pad.y", "block.y", "block.dx"} {
		if out[name] == nil {
			t.Fatalf("no %s", name)
		}
		ps = append(ps, nn.Parameter{Name: "out." + name, Var: ag.Const(out[name])})
	}
	fl, _ := json.Marshal(flags)
	md := map[string]string{"embed": strconv.Itoa(e), "heads": strconv.Itoa(heads), "hidden": strconv.Itoa(hidden), "key_padding": string(fl)}
	path := filepath.Join(t.TempDir(), "attention.safetensors")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := nn.WriteSafetensors(f, ps, md); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res, err := exec.Command(py, "attention.py", "check", path).CombinedOutput()
	if err != nil || strings.Count(string(res), ": ok (") != 8 {
		t.Errorf("attention.py check: %v\n%s", err, res)
	}
	t.Logf("attention.py check:\n%s", res)
}

// TestGoMatchesPyTorchAttention loads the weights of a PyTorch
// MultiheadAttention and block (PyTorch's own initialisation) into Go and
// compares the outputs, within 1e-5.
func TestGoMatchesPyTorchAttention(t *testing.T) {
	py := torchPython(t)
	path := filepath.Join(t.TempDir(), "torch_attention.safetensors")
	if res, err := exec.Command(py, "attention.py", "write", path).CombinedOutput(); err != nil {
		t.Fatalf("attention.py write: %v\n%s", err, res)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := nn.ReadSafetensors(f, path)
	if err != nil {
		t.Fatal(err)
	}
	atoi := func(k string) int {
		v, err := strconv.Atoi(st.Metadata[k])
		if err != nil {
			t.Fatalf("metadata %s: %v", k, err)
		}
		return v
	}
	e, heads, hidden := atoi("embed"), atoi("heads"), atoi("hidden")
	rng := rand.New(rand.NewPCG(0, 0))
	mha := nn.NewMultiheadAttention(rng, e, heads, true, 0)
	block := nn.NewBlock(rng, e, heads, hidden, true, 0)
	for _, m := range []struct {
		prefix string
		m      nn.Module
	}{{"mha.", mha}, {"block.", block}} {
		for _, p := range m.m.Parameters() {
			v, ok := st.Tensors[m.prefix+p.Name]
			if !ok || !tensor.SameShape(v.Shape(), p.Var.Value.Shape()) {
				t.Fatalf("%s%s: the file has %v, the layer wants %v", m.prefix, p.Name, v, p.Var.Value.Shape())
			}
			p.Var.Value = v.As(tensor.Float32)
		}
		m.m.SetTraining(false)
	}
	x := ag.Const(st.Tensors["x"].As(tensor.Float32))
	for name, y := range map[string]*tensor.Tensor{"mha.causal.y": mha.Forward(x).Value, "block.y": block.Forward(x).Value} {
		if want := st.Tensors["out."+name].As(tensor.Float32); !tensor.AllClose(y, want, 0, 1e-5) {
			t.Errorf("%s: Go computes %v, PyTorch %v", name, y, want)
		}
	}
}
