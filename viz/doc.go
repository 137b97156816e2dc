// Package viz draws computational graphs the way the lecture does: a
// circuit of gates laid out left to right, one box per gate labelled with
// its operation (+, −, *, /, max, σ, exp, @, ^ …), and on every wire the
// forward value above it (green) and the gradient of the output with
// respect to that value below it (red).
//
// Build walks an ag graph from its output through Var.Inputs, so the graph
// must still be there: run the backward pass with ag.KeepGraph(), which
// otherwise frees it.
//
//	y := ag.Mul(ag.Add(x, y), z)
//	ag.Backward(y, ag.KeepGraph())
//	g, err := viz.Build(y, &viz.Options{Names: map[*ag.Var]string{x: "x", y: "y", z: "z"}})
//	dot := g.DOT()
//
// Inputs are named after their variables (Options.Names), constants are
// drawn as their values, scalars as numbers with four significant digits
// and tensors as their shape with their mean, minimum and maximum. A graph
// with more than Options.MaxGates gates (DefaultMaxGates unless set) is
// refused with an error rather than drawn illegibly.
//
// DOT is plain Graphviz text, deterministic for a given graph. SVG and PNG
// lay it out with Graphviz itself, compiled to WebAssembly and run in pure
// Go by github.com/goccy/go-graphviz, so nothing needs to be installed.
// SVG is Graphviz's own output; PNG is drawn here from the layout Graphviz
// computes (its xdot drawing operations), because the PNG renderer of
// go-graphviz fills edges as solid shapes and drops some strokes.
//
// The layout's time grows with Graph.LayoutCost, the nodes dot lays out
// including the bends of long wires, much faster than with the gates:
// Build refuses a graph above Options.MaxLayout. A layout cannot be
// interrupted in this process and holds up its garbage collections while
// it runs; Graph.SVGApart runs it in a worker process (a copy of the
// program, see WorkerEnv) that is killed when the context ends, which is
// what a server wants.
package viz
