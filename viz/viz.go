package viz

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"

	"backprop/ag"
	"backprop/expr"
	"backprop/tensor"
)

// DefaultMaxGates is the number of gates above which Build refuses a graph
// when Options.MaxGates is 0: beyond a few hundred boxes a picture is no
// longer legible.
const DefaultMaxGates = 500

// The colours of the forward values and of the gradients on the wires.
const (
	ValueColor = "#1a7f37"
	GradColor  = "#cf222e"
)

// Options configures Build.
type Options struct {
	// Names names the input Vars; an unnamed input that requires a
	// gradient is called p1, p2 … in the order they are reached, and an
	// unnamed constant is drawn as its value. Naming the output labels
	// the end of its wire (else "out").
	Names map[*ag.Var]string
	// MaxGates is the largest number of gates drawn; 0 means
	// DefaultMaxGates.
	MaxGates int
	// MaxLayout is the largest layout cost (see Graph.LayoutCost) of a
	// graph drawn; 0 means DefaultMaxLayout, a negative value no limit.
	MaxLayout int
}

// Kind tells what a Node of a Graph is.
type Kind int

const (
	// Input is a leaf that requires a gradient: a variable or weight.
	Input Kind = iota
	// Const is a leaf that needs no gradient: a literal or data.
	Const
	// Op is the output of a gate.
	Op
)

// Node is one Var of a graph.
type Node struct {
	// ID is unique in the graph: "v" and the node's index.
	ID   string
	Kind Kind
	// Label is the input's name, the constant's value, or the gate's
	// symbol (see Symbol).
	Label string
	// Gate is ag.GateName of the gate for an Op, else "".
	Gate string
	// Pattern describes how the gate routes the gradient (see Pattern),
	// or "".
	Pattern string
	// Inputs are the indices of the gate's inputs in Graph.Nodes: always
	// smaller than the node's own index.
	Inputs []int
	// Var is the node's Var.
	Var *ag.Var
}

// Graph is a computational graph ready to draw: its Vars in topological
// order, every input before the gates that use it.
type Graph struct {
	Nodes []Node
	// Output is the index of the output, the last node.
	Output int
	// OutName labels the end of the output's wire.
	OutName string
}

// Build collects the graph that computes y, walking back from y through
// Var.Inputs. Run ag.Backward(y, ag.KeepGraph()) first: without KeepGraph
// the graph is freed by the backward pass and only y is left. Build
// returns an error if the graph has more than opt.MaxGates gates, or if
// laying it out would cost more than opt.MaxLayout (see LayoutCost). opt
// may be nil.
func Build(y *ag.Var, opt *Options) (*Graph, error) {
	if y == nil {
		return nil, fmt.Errorf("viz: Build: output is nil")
	}
	if y.Gate() == nil && !y.IsLeaf() {
		return nil, fmt.Errorf("viz: Build: the graph of the output was freed by ag.Backward; pass ag.KeepGraph() to it")
	}
	var o Options
	if opt != nil {
		o = *opt
	}
	max := o.MaxGates
	if max <= 0 {
		max = DefaultMaxGates
	}

	// Iterative depth-first search from y; post-order gives a
	// topological order, and visiting inputs in argument order keeps it
	// deterministic.
	index := map[*ag.Var]int{}
	g := &Graph{}
	gates := 0
	type frame struct {
		v    *ag.Var
		next int
	}
	onStack := map[*ag.Var]bool{y: true}
	stack := []frame{{v: y}}
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		ins := f.v.Inputs()
		if f.next < len(ins) {
			in := ins[f.next]
			f.next++
			if _, done := index[in]; !done && !onStack[in] {
				onStack[in] = true
				stack = append(stack, frame{v: in})
			}
			continue
		}
		v := f.v
		stack = stack[:len(stack)-1]
		n := Node{ID: "v" + strconv.Itoa(len(g.Nodes)), Var: v}
		switch {
		case v.Gate() != nil:
			gates++
			if gates > max {
				return nil, fmt.Errorf("viz: graph has more than %d gates; draw a smaller one or raise Options.MaxGates", max)
			}
			n.Kind = Op
			n.Gate = ag.GateName(v.Gate())
			n.Label = Symbol(v.Gate())
			n.Pattern = Pattern(v.Gate())
			for _, in := range ins {
				n.Inputs = append(n.Inputs, index[in])
			}
		case v.RequiresGrad():
			n.Kind = Input
		default:
			n.Kind = Const
		}
		index[v] = len(g.Nodes)
		g.Nodes = append(g.Nodes, n)
	}
	params := 0
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Kind == Op {
			continue
		}
		if name, ok := o.Names[n.Var]; ok {
			n.Label = name
		} else if n.Kind == Input {
			params++
			n.Label = "p" + strconv.Itoa(params)
		} else {
			n.Label = Format(n.Var.Value)
		}
	}
	g.Output = len(g.Nodes) - 1
	g.OutName = "out"
	if name, ok := o.Names[y]; ok && g.Nodes[g.Output].Kind == Op {
		g.OutName = name
	}
	maxLayout := o.MaxLayout
	if maxLayout == 0 {
		maxLayout = DefaultMaxLayout
	}
	if c := g.LayoutCost(); maxLayout > 0 && c > maxLayout {
		return nil, &LayoutError{Cost: c, Max: maxLayout, FanOut: g.widestFanOut()}
	}
	return g, nil
}

// Symbol returns the label of g's box, as the gate describes itself
// (ag.Describe): an operator such as +, *, @ or ^, a function name such
// as σ, exp or max, or, for a gate without an Info method, its type name.
func Symbol(g ag.Gate) string { return ag.Describe(g).Symbol }

// Pattern returns how g routes the gradient back, in the lecture's words
// (add distributes, max routes, mul swaps), as the gate describes itself;
// "" for a gate without an Info method.
func Pattern(g ag.Gate) string { return ag.Describe(g).Pattern }

// Format writes a value for a label: a one-element tensor as its number
// with four significant digits, a small one (a vector of up to 4
// elements or a matrix of up to 4×4) as its elements in nested lists,
// such as "[[1, 2], [3, 4]]", and a larger one as its shape with its
// mean, minimum and maximum, such as "5×3 μ=0.5 [-1, 2]". A nil tensor
// is "".
func Format(t *tensor.Tensor) string {
	if t == nil {
		return ""
	}
	if t.Len() == 1 {
		return Number(t.Item())
	}
	shape := t.Shape()
	if small(shape) {
		return expr.Nested(t.As(tensor.Float64), Number)
	}
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	if t.Len() == 0 {
		return strings.Join(dims, "×") + " empty"
	}
	w := t.As(tensor.Float64)
	sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for i := 0; i < w.Len(); i++ {
		v := w.Flat(i)
		sum += v
		lo = math.Min(lo, v)
		hi = math.Max(hi, v)
	}
	return fmt.Sprintf("%s μ=%s [%s, %s]", strings.Join(dims, "×"),
		Number(sum/float64(w.Len())), Number(lo), Number(hi))
}

// small reports whether a tensor of shape is shown element by element:
// at most two axes of at most 4 each.
func small(shape []int) bool {
	if len(shape) > 2 {
		return false
	}
	for _, d := range shape {
		if d > 4 || d == 0 {
			return false
		}
	}
	return true
}

// Number writes v with four significant digits and no trailing zeros:
// -12, 0.7311, 1.5e-05, NaN, +Inf.
func Number(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == 0:
		return "0" // also for -0
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// esc escapes s for an HTML-like Graphviz label.
func esc(s string) string { return html.EscapeString(s) }

// DOT returns the graph in Graphviz's language, left to right: a
// plain-text node for every input (its name) and constant (its value), a
// box for every gate, and for every input and gate a wire whose label
// carries the value above the line and the gradient below it. Gate boxes
// carry the gradient pattern as their tooltip. Node identifiers follow
// the order of Graph.Nodes: "v3" is a gate or leaf, "w3" the wire out of
// it. The text depends only on the graph, so it can be compared with a
// golden file.
func (g *Graph) DOT() []byte {
	var b strings.Builder
	b.WriteString("digraph backprop {\n")
	b.WriteString("\trankdir=LR;\n\tordering=in;\n\tbgcolor=\"white\";\n\tpad=0.2;\n\tnodesep=0.25;\n\tranksep=0.3;\n")
	b.WriteString("\tnode [fontname=\"Helvetica\", fontsize=14];\n")
	b.WriteString("\tedge [arrowsize=0.6, color=\"#444444\"];\n")
	for i, n := range g.Nodes {
		switch n.Kind {
		case Input:
			fmt.Fprintf(&b, "\t%s [id=%q, class=\"input\", shape=plaintext, fontsize=16, label=<<b>%s</b>>];\n", n.ID, n.ID, esc(n.Label))
		case Const:
			fmt.Fprintf(&b, "\t%s [id=%q, class=\"const\", shape=plaintext, fontcolor=\"#555555\", label=<%s>];\n", n.ID, n.ID, esc(n.Label))
			if i != g.Output {
				continue // a constant has no wire of its own: it is its value
			}
		case Op:
			tip := n.Pattern
			if tip == "" {
				tip = n.Gate
			}
			fmt.Fprintf(&b, "\t%s [id=%q, class=\"gate\", shape=box, style=\"rounded,filled\", fillcolor=\"#eef2f7\", color=\"#556070\", fontsize=18, margin=\"0.12,0.06\", tooltip=%q, label=<%s>];\n",
				n.ID, n.ID, tip, esc(n.Label))
			for _, in := range n.Inputs {
				src := g.Nodes[in]
				if src.Kind == Const {
					fmt.Fprintf(&b, "\t%s -> %s;\n", src.ID, n.ID)
				} else {
					fmt.Fprintf(&b, "\tw%s:o:e -> %s;\n", src.ID[1:], n.ID)
				}
			}
		}
		w := "w" + n.ID[1:]
		fmt.Fprintf(&b, "\t%s [id=%q, class=\"wire\", shape=plaintext, fontsize=12, label=%s];\n", w, w, wireLabel(n.Var))
		fmt.Fprintf(&b, "\t%s -> %s:i:w [arrowhead=none];\n", n.ID, w)
		if i == g.Output {
			fmt.Fprintf(&b, "\tout [id=\"out\", class=\"output\", shape=plaintext, fontsize=16, label=<<b>%s</b>>];\n", esc(g.OutName))
			fmt.Fprintf(&b, "\t%s:o:e -> out;\n", w)
		}
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// wireLabel is an HTML-like label: the value over a rule over the
// gradient, between two empty cells the wire's edges attach to, so that
// the line runs through the middle of the label.
func wireLabel(v *ag.Var) string {
	grad := Format(v.Grad)
	if grad == "" {
		grad = " "
	}
	return fmt.Sprintf(`<<table border="0" cellborder="0" cellspacing="0" cellpadding="0">`+
		`<tr><td rowspan="3" port="i" width="2"></td><td cellpadding="2"><font color="%s">%s</font></td><td rowspan="3" port="o" width="2"></td></tr>`+
		`<tr><td height="1" bgcolor="#444444"></td></tr>`+
		`<tr><td cellpadding="2"><font color="%s">%s</font></td></tr></table>>`,
		ValueColor, esc(Format(v.Value)), GradColor, esc(grad))
}
