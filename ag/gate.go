package ag

import (
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"

	"backprop/tensor"
)

// Gate is one operation of a graph: it knows how to compute its output from
// its inputs, and how to turn the gradient of the loss with respect to its
// output into gradients with respect to its inputs.
//
// Forward is called once with the input values; the gate keeps what its
// Backward will need (an input, or better its own output). Backward
// receives ∂L/∂out, with the output's shape, and returns one gradient per
// input: the vector-Jacobian product dout·∂out/∂in, never the Jacobian
// itself. need[i] tells whether input i wants a gradient; return nil where
// it does not.
//
// A gradient may have the output's shape where the input was broadcast to
// it: the engine sums it back to the input's shape. Backward must not
// modify dout or the saved tensors, and must not write any Var's Grad: the
// engine accumulates. A gate may return dout itself as a gradient. The
// engine reads the returned slice before it calls the gate again, so a
// gate may return storage of its own.
//
// Memory, recording and anomaly checks are the engine's business: the
// tensors a gate computes from its inputs and from dout are made where
// those live (the graph's memory, when there is one), so a gate computes
// with plain tensor functions. A tensor made from nothing is made like an
// operand: tensor.NewLike(dout, shape...), not tensor.New.
//
// Built-in gates and users' gates are written the same way; see the
// package example. A gate may also describe itself with a method
// Info() Info, for pictures and messages.
type Gate interface {
	Forward(in ...*tensor.Tensor) *tensor.Tensor
	Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor
}

// Info describes a gate for pictures and messages.
type Info struct {
	// Name is a short name, such as "mul" or "matMul".
	Name string
	// Symbol is the label of the gate's box in a picture, such as "*", "@"
	// or "σ".
	Symbol string
	// Pattern says how the gate routes the gradient back, in the lecture's
	// words: "add distributes", "max routes", "mul swaps", ….
	Pattern string
}

// Describe returns g's Info: the result of its Info method where it has
// one, else its type name (without a trailing "Gate") as Name and Symbol.
func Describe(g Gate) Info {
	if d, ok := g.(interface{ Info() Info }); ok {
		return d.Info()
	}
	t := reflect.TypeOf(g)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := strings.TrimSuffix(t.Name(), "Gate")
	return Info{Name: name, Symbol: name}
}

// GateName returns g's short name, Describe(g).Name.
func GateName(g Gate) string { return Describe(g).Name }

// Apply runs the gate *g forward on the inputs' values and returns the
// output as a Var of the inputs' Graph (nil where none of them has one).
// The output remembers its gate and inputs, so that Backward can reach
// them, when an input requires a gradient and the graph records gates.
//
// Apply copies *g into memory of the graph, which Reset recycles, and
// keeps the copy: g itself can live on the caller's stack, so that
// applying a built-in gate costs no allocation. Inputs from two different
// graphs are a programming error.
func Apply[T any, G interface {
	*T
	Gate
}](g G, inputs ...*Var) *Var {
	// Small enough to be inlined where it is called, so that the escape
	// analysis there sees that g and inputs do not escape.
	gr := graphOf(inputs)
	p := newGate[T](gr)
	*p = *(*T)(g)
	return apply(gr, G(p), inputs)
}

// graphOf returns the graph of the first input that has one.
//
//go:noinline
func graphOf(inputs []*Var) *Graph {
	for _, in := range inputs {
		if in != nil && in.graph != nil {
			return in.graph
		}
	}
	return nil
}

func apply(gr *Graph, g Gate, inputs []*Var) *Var {
	v := gr.newVar()
	v.graph = gr
	n := len(inputs)
	var vals []*tensor.Tensor
	if n <= len(v.valBuf) {
		vals = v.valBuf[:n]
	} else {
		vals = make([]*tensor.Tensor, n)
	}
	record := false
	var top uint64
	for i, in := range inputs {
		if in == nil {
			panic(fmt.Sprintf("ag: %s: input %d is nil", GateName(g), i))
		}
		if in.Value == nil {
			panic(fmt.Sprintf("ag: %s: input %d has no value (a Var used after its graph's Reset?)", GateName(g), i))
		}
		if in.graph != gr && in.graph != nil {
			panic(fmt.Sprintf("ag: %s: inputs belong to different graphs", GateName(g)))
		}
		vals[i] = in.Value
		record = record || in.requiresGrad
		top = max(top, in.level)
	}
	out := g.Forward(vals...)
	clear(vals)
	if out == nil {
		panic(fmt.Sprintf("ag: %s: Forward returned nil", GateName(g)))
	}
	v.Value = out
	if gr != nil && gr.flags&DetectAnomaly != 0 {
		checkForward(g, v, inputs) // see anomaly.go
	}
	if record && (gr == nil || gr.flags&NoGrad == 0) {
		v.requiresGrad = true
		v.level = top + 1
		v.gate = g
		if n <= len(v.inBuf) {
			v.inputs = v.inBuf[:n]
			copy(v.inputs, inputs)
		} else {
			v.inputs = append([]*Var(nil), inputs...)
		}
	}
	return v
}

// Option configures Backward.
type Option func(*backwardConfig)

type backwardConfig struct {
	seed  *tensor.Tensor
	keep  bool
	trace func(Visit)
	after func(*Var) // see AfterGate
}

// Seed starts Backward from the gradient g (∂L/∂y, with y's shape and dtype)
// instead of ones.
func Seed(g *tensor.Tensor) Option { return func(c *backwardConfig) { c.seed = g } }

// KeepGraph keeps the graph after Backward so that it can be run again.
// Without it the gates and their saved tensors are released as soon as
// their gradients have been propagated.
func KeepGraph() Option { return func(c *backwardConfig) { c.keep = true } }

// A Visit is what Trace reports of one gate that Backward ran.
type Visit struct {
	// Var is the gate's output: its Gate, its Inputs and its Grad, the
	// upstream gradient ∂L/∂out.
	Var *Var
	// Grads holds what the gate sent back to each input, summed to the
	// input's shape where it was broadcast; nil where an input needs no
	// gradient. Each input's Grad is, at that moment, the sum of what it
	// has received so far.
	Grads []*tensor.Tensor
}

// Trace calls f for every gate Backward runs, in the order it runs them,
// right after the gate's gradients were added to its inputs'. What f
// receives is valid during the call only (the engine may update the
// tensors in place later): clone what you keep.
func Trace(f func(Visit)) Option { return func(c *backwardConfig) { c.trace = f } }

var epoch atomic.Uint32 // numbers Backward passes, for Var.mark

// scratch is the work list of Backward for Vars of no graph, kept between
// calls; a Backward that finds it in use (another goroutine's) makes its
// own. A graph keeps its own work list.
var (
	scratch     []*Var
	scratchBusy atomic.Bool
)

// options applies opts to a new config; a separate function, so that a
// Backward without options keeps its config on the stack.
func options(opts []Option) backwardConfig {
	c := new(backwardConfig)
	for _, o := range opts {
		o(c)
	}
	return *c
}

// Backward computes the gradient of y with respect to every Var it depends
// on that requires one, by reverse-mode differentiation: it visits the
// gates in reverse topological order, and each multiplies the upstream
// gradient by its local gradient. Where a Var feeds several gates, the
// gradients flowing back from them are summed.
//
// The pass starts from ones of y's shape (∂y/∂y = 1 for a scalar loss; for
// a tensor, the gradient of sum(y)) unless Seed gives another gradient.
// Leaves add to their Grad, so call ZeroGrad between steps; intermediate
// Vars hold this pass's gradient. The graph is freed afterwards unless
// KeepGraph is given, and a second Backward through it panics.
//
// Backward needs no recursion, so graphs of any depth work.
func Backward(y *Var, opts ...Option) {
	var cfg backwardConfig
	if len(opts) > 0 {
		cfg = options(opts)
	}
	if y.freed {
		panic(freedMsg)
	}
	if !y.requiresGrad {
		panic("ag: Backward: the output does not depend on any Var that requires a gradient (use ag.Param for the variables to differentiate; a NoGrad graph records nothing)")
	}
	gr := y.graph
	seed := cfg.seed
	if seed == nil {
		seed = gr.arenaOf().New(y.Value.DType(), y.Value.Shape()...).Fill(1)
	} else if seed.DType() != y.Value.DType() || !tensor.SameShape(seed.Shape(), y.Value.Shape()) {
		panic(fmt.Sprintf("ag: Backward: seed is %v%v, output is %v%v",
			seed.DType(), seed.Shape(), y.Value.DType(), y.Value.Shape()))
	}
	if y.gate == nil { // a leaf: its gradient is the seed
		accumulate(y, seed, false)
		return
	}

	var work []*Var
	if gr != nil {
		work = gr.work[:0]
		defer func() {
			clear(work[:cap(work)]) // keep no graph alive
			gr.work = work[:0]
		}()
	} else if scratchBusy.CompareAndSwap(false, true) {
		work = scratch[:0]
		defer func() {
			clear(work[:cap(work)])
			scratch = work[:0]
			scratchBusy.Store(false)
		}()
	}
	anomaly := gr != nil && gr.flags&DetectAnomaly != 0

	// The work list is a max-heap on level, one more than the highest
	// level of a Var's inputs (0 for leaves). Every consumer of a Var has
	// a higher level than the Var, so popping the highest level first
	// visits every Var after all the Vars that consume it: a reverse
	// topological order, found in a single pass without a separate graph
	// walk. Levels depend on the graph alone (not on when, or beside what
	// other work, its Vars were made), so the order in which gradients are
	// summed, and so their bits, are the same on every run.
	ep := epoch.Add(1)
	y.mark = ep
	y.Grad, y.gradOwned = nil, false
	accumulate(y, seed, false)
	h := varHeap(work)
	h.push(y)
	for len(h) > 0 {
		v := h.pop()
		need := v.needBuf[:0] // in the Var: a local array would escape
		for _, in := range v.inputs {
			if in.freed {
				panic(freedMsg)
			}
			if in.gate != nil && in.mark != ep {
				// First reached in this pass: its gradient starts afresh
				// (only leaves accumulate across passes).
				in.mark = ep
				in.Grad, in.gradOwned = nil, false
				h.push(in)
			}
			need = append(need, in.requiresGrad)
		}
		if v.Grad != nil {
			propagate(v, need, anomaly, cfg.trace)
		}
		if cfg.after != nil {
			cfg.after(v)
		}
		if !cfg.keep {
			v.gate = nil
			v.inputs = nil
			v.inBuf = [3]*Var{}
			v.freed = true
		}
	}
	work = h
}

const freedMsg = "ag: Backward: the graph was already freed by an earlier Backward; pass ag.KeepGraph() to that call to run Backward through it again"

// varHeap is a binary max-heap of Vars ordered by level.
type varHeap []*Var

func (h *varHeap) push(v *Var) {
	a := append(*h, v)
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p].level >= a[i].level {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
	*h = a
}

func (h *varHeap) pop() *Var {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a[n] = nil
	a = a[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		c := l
		if r := l + 1; r < n && a[r].level > a[l].level {
			c = r
		}
		if a[i].level >= a[c].level {
			break
		}
		a[i], a[c] = a[c], a[i]
		i = c
	}
	*h = a
	return top
}

// propagate runs v's gate backward and hands each input its gradient.
func propagate(v *Var, need []bool, anomaly bool, trace func(Visit)) {
	var grads, acc []*tensor.Tensor
	if ag, ok := v.gate.(accGate); ok && !anomaly && trace == nil { // see accumulate.go
		acc = accBuffers(v, need, v.valBuf[:0])
		defer clear(v.valBuf[:])
		grads = ag.backwardAcc(v.Grad, need, acc)
	} else {
		grads = v.gate.Backward(v.Grad, need)
	}
	if len(grads) != len(v.inputs) {
		panic(fmt.Sprintf("ag: %s: Backward returned %d gradients for %d inputs",
			GateName(v.gate), len(grads), len(v.inputs)))
	}
	if anomaly {
		checkBackward(v, grads) // see anomaly.go
	}
	for i, in := range v.inputs {
		g := grads[i]
		if !need[i] || g == nil || (acc != nil && g == acc[i]) {
			continue
		}
		g, owned := reduceGrad(v.gate, i, g, in)
		grads[i] = g
		accumulate(in, g, owned)
	}
	if trace != nil {
		for i := range grads {
			if !need[i] {
				grads[i] = nil
			}
		}
		trace(Visit{Var: v, Grads: grads})
	}
}

// reduceGrad checks the gradient g a gate returned for input i and sums
// it back to the input's shape where the input was broadcast: the one
// place where broadcasting is undone. owned reports whether the result is
// a new tensor of the engine's.
func reduceGrad(gate Gate, i int, g *tensor.Tensor, in *Var) (_ *tensor.Tensor, owned bool) {
	if g.DType() != in.Value.DType() {
		panic(fmt.Sprintf("ag: %s: gradient %d is %v, input is %v",
			GateName(gate), i, g.DType(), in.Value.DType()))
	}
	if tensor.SameShape(g.Shape(), in.Value.Shape()) {
		return g, false
	}
	s, ok := tensor.BroadcastShapes(in.Value.Shape(), g.Shape())
	if !ok || !tensor.SameShape(s, g.Shape()) {
		panic(fmt.Sprintf("ag: %s: gradient %d has shape %v, input has shape %v",
			GateName(gate), i, g.Shape(), in.Value.Shape()))
	}
	return tensor.ReduceTo(tensor.NewLike(g, in.Value.Shape()...), g), true
}

// LocalGradients returns, for each input of v's gate, the gate's Backward
// applied to an upstream gradient of ones, summed to the input's shape
// (nil where an input needs no gradient): the local gradient ∂out/∂in of
// the lecture for a scalar gate. v's graph must have been kept (see
// KeepGraph); the result is v's graph's memory.
func LocalGradients(v *Var) []*tensor.Tensor {
	if v.gate == nil {
		return nil
	}
	need := make([]bool, len(v.inputs))
	for i, in := range v.inputs {
		need[i] = in.requiresGrad
	}
	ones := tensor.NewLike(v.Value, v.Value.Shape()...).Fill(1)
	gs := append([]*tensor.Tensor(nil), v.gate.Backward(ones, need)...)
	for i, g := range gs {
		if !need[i] || g == nil {
			gs[i] = nil
			continue
		}
		gs[i], _ = reduceGrad(v.gate, i, g, v.inputs[i])
	}
	return gs
}
