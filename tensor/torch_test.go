//go:build torch

package tensor_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"

	"backprop/tensor"
)

// torchScript computes, in float64 with PyTorch, the forward results and
// the gradients (by autograd, for the upstream gradient "r") of the cases
// it reads as JSON on stdin, and writes them as JSON on stdout.
const torchScript = `
import json, sys
import torch
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)
cases = json.load(sys.stdin)
out = []
def T(c, k):
    return torch.tensor(c[k]["data"]).reshape(c[k]["shape"]).requires_grad_(True)
def flat(t):
    return t.detach().reshape(-1).tolist()
for c in cases:
    op, p = c["op"], c.get("p", {})
    res = {}
    if op == "conv":
        x, w, b = T(c, "x"), T(c, "w"), T(c, "b")
        y = F.conv2d(x, w, b, stride=p["stride"], padding=p["pad"], dilation=p["dil"], groups=p["groups"])
        (y * T(c, "r")).sum().backward()
        res = {"y": flat(y), "dx": flat(x.grad), "dw": flat(w.grad), "db": flat(b.grad)}
    elif op == "maxpool":
        x = T(c, "x")
        y, idx = F.max_pool2d(x, p["k"], p["stride"], p["pad"], p["dil"], return_indices=True)
        (y * T(c, "r")).sum().backward()
        res = {"y": flat(y), "idx": idx.reshape(-1).tolist(), "dx": flat(x.grad)}
    elif op == "avgpool":
        x = T(c, "x")
        y = F.avg_pool2d(x, p["k"], p["stride"], p["pad"], count_include_pad=p["include"])
        (y * T(c, "r")).sum().backward()
        res = {"y": flat(y), "dx": flat(x.grad)}
    elif op == "batchnorm":
        x, g, b = T(c, "x"), T(c, "g"), T(c, "b")
        rm, rv = T(c, "rm").detach(), T(c, "rv").detach()
        y = F.batch_norm(x, rm, rv, g, b, training=True, momentum=0.1, eps=1e-5)
        (y * T(c, "r")).sum().backward()
        res = {"y": flat(y), "dx": flat(x.grad), "dg": flat(g.grad), "db": flat(b.grad), "rm": flat(rm), "rv": flat(rv)}
    elif op == "layernorm":
        x, g, b = T(c, "x"), T(c, "g"), T(c, "b")
        y = F.layer_norm(x, c["g"]["shape"], g, b, eps=1e-5)
        (y * T(c, "r")).sum().backward()
        res = {"y": flat(y), "dx": flat(x.grad), "dg": flat(g.grad), "db": flat(b.grad)}
    elif op == "groupnorm":
        x, g, b = T(c, "x"), T(c, "g"), T(c, "b")
        y = F.group_norm(x, p["groups"], g, b, eps=1e-5)
        (y * T(c, "r")).sum().backward()
        res = {"y": flat(y), "dx": flat(x.grad), "dg": flat(g.grad), "db": flat(b.grad)}
    out.append(res)
json.dump(out, sys.stdout)
`

type jt struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func toJ(t *tensor.Tensor) jt { return jt{Shape: t.Shape(), Data: t.Values()} }

// TestAgainstPyTorch compares convolution, pooling and normalisation,
// forward and backward, with PyTorch 1.13 on fixed random cases in
// float64. It fails when /usr/bin/python3 has no torch (test.sh installs
// Debian's python3-torch).
func TestAgainstPyTorch(t *testing.T) {
	rng := newRNG(61)
	dt := tensor.Float64
	R := func(shape ...int) *tensor.Tensor { return randT(rng, dt, -1, 1, shape...) }
	type tcase struct {
		in  map[string]any
		got map[string]*tensor.Tensor
		idx []int32
	}
	var cases []tcase

	// Convolutions: strided, padded, dilated and grouped; plain padded.
	for _, cc := range []struct {
		x, w             []int
		stride, pad, dil [2]int
		groups           int
	}{
		{[]int{2, 4, 7, 9}, []int{6, 2, 3, 3}, [2]int{2, 1}, [2]int{1, 2}, [2]int{1, 2}, 2},
		{[]int{2, 3, 8, 8}, []int{5, 3, 3, 3}, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, 1},
		{[]int{1, 2, 10, 6}, []int{4, 2, 5, 3}, [2]int{1, 2}, [2]int{2, 0}, [2]int{2, 1}, 1},
	} {
		p := tensor.ConvParams{Stride: cc.stride, Padding: cc.pad, Dilation: cc.dil, Groups: cc.groups}
		x, w, b := R(cc.x...), R(cc.w...), R(cc.w[0])
		y := tensor.Conv2dBias(x, w, b, p)
		r := R(y.Shape()...)
		cases = append(cases, tcase{
			in: map[string]any{"op": "conv", "x": toJ(x), "w": toJ(w), "b": toJ(b), "r": toJ(r),
				"p": map[string]any{"stride": cc.stride, "pad": cc.pad, "dil": cc.dil, "groups": cc.groups}},
			got: map[string]*tensor.Tensor{"y": y, "dx": tensor.Conv2dBackwardData(r, w, cc.x, p),
				"dw": tensor.Conv2dBackwardWeight(r, x, cc.w, p), "db": tensor.Conv2dBackwardBias(r)}})
	}
	// Pooling.
	{
		p := tensor.PoolParams{Kernel: [2]int{3, 3}, Stride: [2]int{2, 1}, Padding: [2]int{1, 1}, Dilation: [2]int{1, 2}}
		x := R(2, 3, 9, 10)
		y, idx := tensor.MaxPool2d(x, p)
		r := R(y.Shape()...)
		dx := tensor.MaxPool2dBackwardTo(tensor.Zeros(dt, x.Shape()...), r, idx)
		cases = append(cases, tcase{in: map[string]any{"op": "maxpool", "x": toJ(x), "r": toJ(r),
			"p": map[string]any{"k": p.Kernel, "stride": p.Stride, "pad": p.Padding, "dil": p.Dilation}},
			got: map[string]*tensor.Tensor{"y": y, "dx": dx}, idx: idx})
	}
	for _, include := range []bool{true, false} {
		p := tensor.PoolParams{Kernel: [2]int{3, 2}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, ExcludePad: !include}
		x := R(2, 2, 7, 8)
		y := tensor.AvgPool2d(x, p)
		r := R(y.Shape()...)
		cases = append(cases, tcase{in: map[string]any{"op": "avgpool", "x": toJ(x), "r": toJ(r),
			"p": map[string]any{"k": p.Kernel, "stride": p.Stride, "pad": p.Padding, "include": include}},
			got: map[string]*tensor.Tensor{"y": y, "dx": tensor.AvgPool2dBackwardTo(tensor.Zeros(dt, x.Shape()...), r, p)}})
	}
	// Normalisation.
	{
		x, g, b := randT(rng, dt, -2, 3, 4, 3, 5, 5), R(3), R(3)
		rm, rv := R(3), randT(rng, dt, 0.5, 2, 3)
		rm0, rv0 := rm.Clone(), rv.Clone()
		mean, is := tensor.Zeros(dt, 3), tensor.Zeros(dt, 3)
		y := tensor.BatchNormTrainTo(tensor.ZerosLike(x), mean, is, x, g, b, rm, rv, tensor.BatchNormMomentum, tensor.NormEps)
		r := R(x.Shape()...)
		dx, dg, db := tensor.ZerosLike(x), tensor.Zeros(dt, 3), tensor.Zeros(dt, 3)
		tensor.BatchNormBackwardTo(dx, dg, db, r, x, mean, is, g, false)
		cases = append(cases, tcase{in: map[string]any{"op": "batchnorm", "x": toJ(x), "g": toJ(g), "b": toJ(b), "rm": toJ(rm0), "rv": toJ(rv0), "r": toJ(r)},
			got: map[string]*tensor.Tensor{"y": y, "dx": dx, "dg": dg, "db": db, "rm": rm, "rv": rv}})
	}
	{
		x, g, b := randT(rng, dt, -2, 3, 3, 4, 2, 5), R(2, 5), R(2, 5)
		mean, is := tensor.Zeros(dt, 12), tensor.Zeros(dt, 12)
		y := tensor.LayerNormTo(tensor.ZerosLike(x), mean, is, x, g, b, 10, tensor.NormEps)
		r := R(x.Shape()...)
		dx, dg, db := tensor.ZerosLike(x), tensor.Zeros(dt, 2, 5), tensor.Zeros(dt, 2, 5)
		tensor.LayerNormBackwardTo(dx, dg, db, r, x, mean, is, g, 10, false)
		cases = append(cases, tcase{in: map[string]any{"op": "layernorm", "x": toJ(x), "g": toJ(g), "b": toJ(b), "r": toJ(r)},
			got: map[string]*tensor.Tensor{"y": y, "dx": dx, "dg": dg, "db": db}})
	}
	{
		x, g, b := randT(rng, dt, -2, 3, 2, 6, 4, 3), R(6), R(6)
		mean, is := tensor.Zeros(dt, 6), tensor.Zeros(dt, 6)
		y := tensor.GroupNormTo(tensor.ZerosLike(x), mean, is, x, g, b, 3, tensor.NormEps)
		r := R(x.Shape()...)
		dx, dg, db := tensor.ZerosLike(x), tensor.Zeros(dt, 6), tensor.Zeros(dt, 6)
		tensor.GroupNormBackwardTo(dx, dg, db, r, x, mean, is, g, 3, false)
		cases = append(cases, tcase{in: map[string]any{"op": "groupnorm", "x": toJ(x), "g": toJ(g), "b": toJ(b), "r": toJ(r), "p": map[string]any{"groups": 3}},
			got: map[string]*tensor.Tensor{"y": y, "dx": dx, "dg": dg, "db": db}})
	}

	var ins []map[string]any
	for _, c := range cases {
		ins = append(ins, c.in)
	}
	input, err := json.Marshal(ins)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", "-c", torchScript)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("/usr/bin/python3 with torch: %v\n%s(apt-get install -y python3-torch; test.sh does this)", err, stderr.String())
	}
	var results []map[string][]float64
	if err := json.Unmarshal(out, &results); err != nil || len(results) != len(cases) {
		t.Fatalf("PyTorch output: %v, %d results for %d cases", err, len(results), len(cases))
	}
	for i, c := range cases {
		for name, got := range c.got {
			want, ok := results[i][name]
			if !ok {
				t.Fatalf("case %d (%v): PyTorch gave no %q", i, c.in["op"], name)
			}
			checkVals(t, c.in["op"].(string)+" "+name, got, got.Shape(), want, 1e-10)
		}
		if c.idx != nil {
			for j, v := range results[i]["idx"] {
				if int32(v) != c.idx[j] {
					t.Fatalf("case %d: argmax[%d] = %d, PyTorch %v", i, j, c.idx[j], v)
				}
			}
		}
	}
}
