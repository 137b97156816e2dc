package viz

import "fmt"

// The cost of a layout. Graphviz's dot puts every node on a rank (a
// column, left to right) and replaces every edge that spans k ranks by a
// chain of k−1 virtual nodes; network simplex (ranking and positioning)
// and crossing minimisation then work on all of them, real and virtual,
// and their time grows faster than linearly with that count. A graph of
// few gates can have a great many virtual nodes: in x^x^…^x every power
// reads x, whose wire reaches from the first rank to every later one, so
// n powers make about n² virtual nodes, and 160 of them (fewer than 500
// bytes of expression) about 25,000 — an hour of layout, which the
// WebAssembly Graphviz cannot be stopped in.
//
// LayoutCost counts them before the layout: the nodes of Graph.DOT plus
// the virtual nodes of a ranking computed here (longest path from the
// inputs, then every node with at least as many edges out as in moved as
// far right as its successors allow, which brings an input or a constant
// next to the gate that reads it). That ranking is feasible, so its total
// edge length is at least that of the optimal one dot computes: the count
// is an upper bound on dot's virtual nodes. The measurements of the
// layout time against it are in BENCHMARKS.md (BenchmarkLayout); every
// family of graphs measured, with fan-out or without, takes about the
// same time for the same cost.

// DefaultMaxLayout is the layout cost (see Graph.LayoutCost) above which
// Build refuses a graph when Options.MaxLayout is 0. Graphs of this cost
// took 2 to 19 s to lay out in the measurements, on a loaded machine
// (BENCHMARKS.md, "Graph layout"); the time grows much faster than the
// cost (60 powers of x, cost 3543, took 20 s), and the WebAssembly layout
// cannot be interrupted.
const DefaultMaxLayout = 2500

// LayoutCost returns the number of nodes Graphviz's dot lays out for
// g.DOT(), real and virtual, by the upper bound described above. It takes
// time linear in the size of g.
func (g *Graph) LayoutCost() int {
	// The nodes and edges of DOT: node i is v_i, its wire w_i = len+i,
	// "out" the last.
	n := len(g.Nodes)
	out := 2 * n
	total := 2*n + 1
	hasWire := make([]bool, n)
	var edges [][2]int
	for i, nd := range g.Nodes {
		switch nd.Kind {
		case Input:
			hasWire[i] = true
		case Const:
			hasWire[i] = i == g.Output
		case Op:
			hasWire[i] = true
			for _, in := range nd.Inputs {
				src := in
				if g.Nodes[in].Kind != Const {
					src = n + in
				}
				edges = append(edges, [2]int{src, i})
			}
		}
		if hasWire[i] {
			edges = append(edges, [2]int{i, n + i})
		}
	}
	if g.Output >= 0 && g.Output < n {
		edges = append(edges, [2]int{n + g.Output, out})
	}
	// A topological order: v_i, then w_i, then "out" (inputs come before
	// the gates that read them).
	order := make([]int, 0, total)
	for i := range n {
		order = append(order, i)
		if hasWire[i] {
			order = append(order, n+i)
		}
	}
	order = append(order, out)
	succ := make([][]int, total)
	pred := make([][]int, total)
	for _, e := range edges {
		succ[e[0]] = append(succ[e[0]], e[1])
		pred[e[1]] = append(pred[e[1]], e[0])
	}
	rank := make([]int, total)
	for _, v := range order {
		for _, p := range pred[v] {
			rank[v] = max(rank[v], rank[p]+1)
		}
	}
	for k := len(order) - 1; k >= 0; k-- {
		v := order[k]
		if len(succ[v]) == 0 || len(succ[v]) < len(pred[v]) {
			continue
		}
		r := rank[succ[v][0]]
		for _, s := range succ[v][1:] {
			r = min(r, rank[s])
		}
		rank[v] = max(rank[v], r-1)
	}
	cost := len(order)
	for _, e := range edges {
		cost += rank[e[1]] - rank[e[0]] - 1
	}
	return cost
}

// LayoutError is the error of Build for a graph whose layout would cost
// more than Options.MaxLayout.
type LayoutError struct {
	Cost, Max int
	// FanOut names the value read by the most gates, and how many.
	FanOut struct {
		Label string
		Gates int
	}
}

func (e *LayoutError) Error() string {
	msg := fmt.Sprintf("viz: the graph is too tangled to lay out: %d nodes with the long wires' bends, more than %d", e.Cost, e.Max)
	if e.FanOut.Gates > 2 {
		msg += fmt.Sprintf(" (%s feeds %d gates)", e.FanOut.Label, e.FanOut.Gates)
	}
	return msg + "; draw a smaller graph"
}

// widestFanOut returns the node read by the most gates, and how many.
func (g *Graph) widestFanOut() (f struct {
	Label string
	Gates int
}) {
	readers := make([]int, len(g.Nodes))
	for _, n := range g.Nodes {
		seen := map[int]bool{}
		for _, in := range n.Inputs {
			if !seen[in] {
				seen[in] = true
				readers[in]++
			}
		}
	}
	for i, r := range readers {
		if r > f.Gates {
			f.Label, f.Gates = g.Nodes[i].Label, r
			if g.Nodes[i].Kind == Op {
				f.Label = "the output of " + g.Nodes[i].Label
			}
		}
	}
	return f
}
