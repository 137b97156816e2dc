package viz_test

import (
	"fmt"
	"strings"

	"backprop/ag"
	"backprop/tensor"
	"backprop/viz"
)

// Build a picture of x·y after the backward pass: the graph must be kept.
func ExampleGraph_DOT() {
	x := ag.Param(tensor.Scalar(tensor.Float64, 3))
	y := ag.Param(tensor.Scalar(tensor.Float64, -2))
	f := ag.Mul(x, y)
	ag.Backward(f, ag.KeepGraph())
	g, err := viz.Build(f, &viz.Options{Names: map[*ag.Var]string{x: "x", y: "y", f: "f"}})
	if err != nil {
		panic(err)
	}
	for _, n := range g.Nodes {
		fmt.Printf("%s %s value %s grad %s\n", n.ID, n.Label, viz.Format(n.Var.Value), viz.Format(n.Var.Grad))
	}
	// The wires of the DOT text: inputs to their wires, wires to the
	// gate, the gate to its wire and that to the output's name.
	for line := range strings.Lines(string(g.DOT())) {
		if strings.Contains(line, "->") {
			fmt.Print(strings.TrimSpace(line), "\n")
		}
	}
	// Output:
	// v0 x value 3 grad -2
	// v1 y value -2 grad 3
	// v2 * value -6 grad 1
	// v0 -> w0:i:w [arrowhead=none];
	// v1 -> w1:i:w [arrowhead=none];
	// w0:o:e -> v2;
	// w1:o:e -> v2;
	// v2 -> w2:i:w [arrowhead=none];
	// w2:o:e -> out;
}
