// Package interop holds the round trip between backprop's saved models and
// PyTorch; it has no code of its own, only tests and fixtures.
//
// The script pytorch_mlp.py (torch, numpy, json and struct; no safetensors
// package) writes a PyTorch nn.Sequential(Linear(784, 32), ReLU(),
// Linear(32, 10)) in the safetensors format with PyTorch's state_dict names
// and the architecture in the metadata, together with its logits for a
// fixed input, into testdata/. The tests load that model with
// nn.Load and match the logits to 1e-5.
//
// The other way: "go test ./interop -run GoFixture -update" writes
// testdata/go_mlp.safetensors and testdata/go_logits.json from Go, and
//
//	python3 interop/pytorch_mlp.py check interop/testdata/go_mlp.safetensors interop/testdata/go_logits.json
//
// loads the Go model into PyTorch and compares its logits with Go's. Any
// model from "backprop train --model FILE" loads the same way
// ("python3 interop/pytorch_mlp.py check FILE"). When python3 with torch
// is installed, TestPyTorchLoadsGoModel runs that check as part of go test.
package interop
