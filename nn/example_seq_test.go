package nn_test

import (
	"fmt"
	"math/rand/v2"

	"backprop/ag"
	"backprop/nn"
	"backprop/tensor"
)

// The input layers of a byte-level sequence model: every byte of a window
// of 6 becomes a vector of 4, plus a learned vector for its position.
func ExampleEmbedding() {
	a := nn.MustParseArch("embed(4) posembed(8)")
	p, err := a.Plan([]int{6})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(p)
	net := p.Build(rand.New(rand.NewPCG(1, 2)))
	x := tensor.FromSlice([]float32{'f', 'u', 'n', 'c', ' ', 'm'}, 1, 6)
	fmt.Println(net.Forward(ag.Const(x)).Shape())
	// Output:
	// layer  words        output  params
	// 0      embed(4)     [6 4]     1024
	// 1      posembed(8)  [6 4]       32
	// total: 1056 parameters, 2.4e-05 MFLOP per example; input [6], output [6 4]
	// [1 6 4]
}

// The sinusoidal encoding of the first two positions of vectors of 4:
// sines on the even dimensions, cosines on the odd ones.
func ExampleSinusoidalPositions() {
	pe := nn.SinusoidalPositions{}.Forward(ag.Const(tensor.New(tensor.Float64, 2, 4))).Value
	for t := range 2 {
		fmt.Printf("%.4f %.4f %.4f %.4f\n", pe.Flat(t*4), pe.Flat(t*4+1), pe.Flat(t*4+2), pe.Flat(t*4+3))
	}
	// Output:
	// 0.0000 1.0000 0.0000 1.0000
	// 0.8415 0.5403 0.0100 1.0000
}
