package nn_test

import (
	"fmt"
	"math/rand/v2"

	"backprop/ag"
	"backprop/nn"
	"backprop/tensor"
)

// An LSTM of two layers over 5 sequences of 7 steps of 3 values: the
// output sequence of the top layer, and the final states of both layers,
// as PyTorch's nn.LSTM(3, 4, 2, batch_first=True) returns them, with its
// parameters' names and shapes.
func ExampleLSTM() {
	rng := rand.New(rand.NewPCG(1, 2))
	lstm := nn.NewLSTM(rng, 3, 4, 2, true)
	x := ag.Const(tensor.Randn(rng, tensor.Float32, 5, 7, 3))
	y, hn, cn := lstm.ForwardState(x, nil, nil)
	fmt.Println("output", y.Shape(), "h_n", hn.Shape(), "c_n", cn.Shape())
	for _, p := range lstm.Parameters() {
		fmt.Println(p.Name, p.Var.Shape())
	}
	// Output:
	// output [5 7 4] h_n [2 5 4] c_n [2 5 4]
	// weight_ih_l0 [16 3]
	// weight_hh_l0 [16 4]
	// bias_ih_l0 [16]
	// bias_hh_l0 [16]
	// weight_ih_l1 [16 4]
	// weight_hh_l1 [16 4]
	// bias_ih_l1 [16]
	// bias_hh_l1 [16]
}

// Recurrent layers in the architecture language: sequences of 32 steps
// of 16 values, a two-layer LSTM, and a linear layer on every step.
func ExampleArch_Plan_sequences() {
	a := nn.MustParseArch("lstm(64,2) linear(10)")
	p, err := a.Plan([]int{32, 16})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(p)
	for _, s := range p.StateDict()[:4] {
		fmt.Println(s.Name, s.Shape)
	}
	// Output:
	// layer  words             output   params
	// 0      unflatten(32,16)  [32 16]       0
	// 1      lstm(64,2)        [32 64]   54272
	// 2      linear(10)        [32 10]     650
	// total: 54922 parameters, 3.45 MFLOP per example; input [32 16], output [32 10]
	// 1.weight_ih_l0 [256 16]
	// 1.weight_hh_l0 [256 64]
	// 1.bias_ih_l0 [256]
	// 1.bias_hh_l0 [256]
}

// A cell steps one input at a time, carrying its state, as a sampler
// does: three steps of a batch of 2.
func ExampleLSTMCell() {
	rng := rand.New(rand.NewPCG(1, 2))
	cell := nn.NewLSTMCell(rng, 3, 4)
	g := ag.NewGraph(ag.NoGrad) // inference: record nothing
	var h, c *ag.Var
	for step := range 3 {
		x := g.Const(tensor.Randn(rng, tensor.Float32, 2, 3))
		h, c = cell.Step(x, h, c)
		fmt.Println("step", step, "h", h.Shape(), "c", c.Shape())
	}
	for _, p := range cell.Parameters() {
		fmt.Println(p.Name, p.Var.Shape())
	}
	// Output:
	// step 0 h [2 4] c [2 4]
	// step 1 h [2 4] c [2 4]
	// step 2 h [2 4] c [2 4]
	// weight_ih [16 3]
	// weight_hh [16 4]
	// bias_ih [16]
	// bias_hh [16]
}
