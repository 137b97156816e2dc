// Package interop holds the round trip between backprop's saved models and
// PyTorch; it has no code of its own, only tests and fixtures.
//
// The script pytorch_model.py (torch, numpy, json and struct; no safetensors
// package) turns any model file backprop writes into a torch.nn.Sequential
// with the same state_dict — MLPs, convolutional networks with batch,
// group and layer normalisation, buffers included, and sequence models of
// LSTM, GRU and RNN layers (torch.nn.LSTM, GRU and RNN with batch_first) —
// by reading the architecture language in the file's metadata. Its
// "write" command saves three PyTorch models into testdata/ with their
// logits for a fixed input: an MLP, nn.Sequential(Linear(784, 32), ReLU(),
// Linear(32, 10)), a small CNN with every normalisation whose running
// statistics have moved, and stacked LSTM, GRU and RNN layers over
// sequences [7, 3]. The tests load them with nn.Load and match the logits
// to 1e-5.
//
// The other way: "go test ./interop -run GoFixture -update" writes
// testdata/go_mlp.safetensors and testdata/go_logits.json from Go, and
//
//	python3 interop/pytorch_model.py check interop/testdata/go_mlp.safetensors interop/testdata/go_logits.json
//
// loads the Go model into PyTorch and compares its logits with Go's. Any
// model from "backprop train --model FILE" loads the same way
// ("python3 interop/pytorch_model.py check FILE"). With the torch build
// tag, TestPyTorchLoadsGoModel runs that check for MLPs of every activation
// for convolutional networks (LeNet-5, the mnistcnn preset and others with
// every layer kind) and for recurrent ones as part of go test, and
// TestRecurrentMatchesPyTorch compares two-layer LSTM, GRU and RNN layers
// with torch's in float64 (recurrent.py): outputs, final states and the
// gradients with respect to the input, the initial states and every
// weight, to 1e-10.
package interop
