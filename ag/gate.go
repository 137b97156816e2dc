package ag

import (
	"fmt"
	"sync/atomic"

	"backprop/tensor"
)

// Gate is one operation of a graph: it knows how to compute its output from
// its inputs, and how to turn the gradient of the loss with respect to its
// output into gradients with respect to its inputs.
//
// Apply calls Forward once with the input values; the gate keeps what its
// Backward will need (an input, or better its own output). Backward receives
// ∂L/∂out, with the output's shape, and returns one gradient per input: the
// vector-Jacobian product dout·∂out/∂in, never the Jacobian itself. need[i]
// tells whether input i wants a gradient; return nil where it does not.
//
// A gradient may have the output's shape where the input was broadcast to
// it: the engine sums it back to the input's shape. Backward must not
// modify dout or the saved tensors, and must not write any Var's Grad: the
// engine accumulates. A gate may return dout itself as a gradient.
//
// Users define their own gates the same way; see the package example.
type Gate interface {
	Forward(in ...*tensor.Tensor) *tensor.Tensor
	Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor
}

// Apply runs g forward on the inputs' values and returns the output as a
// Var. Unless recording is off (NoGrad) or no input requires a gradient,
// the Var remembers g and the inputs so that Backward can reach them.
func Apply(g Gate, inputs ...*Var) *Var {
	v := newVar()
	n := len(inputs)
	var vals []*tensor.Tensor
	if n <= len(v.valBuf) {
		vals = v.valBuf[:n]
	} else {
		vals = make([]*tensor.Tensor, n)
	}
	record := false
	for i, in := range inputs {
		if in == nil {
			panic(fmt.Sprintf("ag: %s: input %d is nil", GateName(g), i))
		}
		vals[i] = in.Value
		record = record || in.requiresGrad
	}
	out := g.Forward(vals...)
	clear(vals)
	if out == nil {
		panic(fmt.Sprintf("ag: %s: Forward returned nil", GateName(g)))
	}
	v.Value = out
	if anomaly.Load() != 0 {
		checkForward(g, v, inputs) // see anomaly.go
	}
	if record && noGrad.Load() == 0 {
		v.requiresGrad = true
		v.seq = seq.Add(1)
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
	seed *tensor.Tensor
	keep bool
}

// Seed starts Backward from the gradient g (∂L/∂y, with y's shape and dtype)
// instead of ones.
func Seed(g *tensor.Tensor) Option { return func(c *backwardConfig) { c.seed = g } }

// KeepGraph keeps the graph after Backward so that it can be run again.
// Without it the gates and their saved tensors are released as soon as
// their gradients have been propagated.
func KeepGraph() Option { return func(c *backwardConfig) { c.keep = true } }

var (
	epoch atomic.Uint32 // numbers Backward passes, for Var.mark
	seq   atomic.Uint64 // numbers recorded Vars in creation order
)

// scratch is the work list of one Backward, kept between calls so that a
// training loop does not grow a new one every step. A Backward that finds
// it in use (another goroutine's) makes its own.
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
		panic("ag: Backward: the output does not depend on any Var that requires a gradient (use ag.Param for the variables to differentiate)")
	}
	seed := cfg.seed
	if seed == nil {
		seed = tensor.Ones(y.Value.DType(), y.Value.Shape()...)
	} else if seed.DType() != y.Value.DType() || !tensor.SameShape(seed.Shape(), y.Value.Shape()) {
		panic(fmt.Sprintf("ag: Backward: seed is %v%v, output is %v%v",
			seed.DType(), seed.Shape(), y.Value.DType(), y.Value.Shape()))
	}
	if y.gate == nil { // a leaf: its gradient is the seed
		accumulate(y, seed, false)
		return
	}

	var work []*Var
	if scratchBusy.CompareAndSwap(false, true) {
		work = scratch[:0]
		defer func() {
			clear(work[:cap(work)]) // keep no graph alive
			scratch = work[:0]
			scratchBusy.Store(false)
		}()
	}

	// The work list is a max-heap on creation order. A Var is created
	// after its inputs, so popping the latest-created Var first visits
	// every Var after all the Vars that consume it: a reverse topological
	// order, found in a single pass without a separate graph walk.
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
			propagate(v, need)
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

// varHeap is a binary max-heap of Vars ordered by seq.
type varHeap []*Var

func (h *varHeap) push(v *Var) {
	a := append(*h, v)
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p].seq >= a[i].seq {
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
		if r := l + 1; r < n && a[r].seq > a[l].seq {
			c = r
		}
		if a[i].seq >= a[c].seq {
			break
		}
		a[i], a[c] = a[c], a[i]
		i = c
	}
	*h = a
	return top
}

// propagate runs v's gate backward and hands each input its gradient.
func propagate(v *Var, need []bool) {
	var grads, acc []*tensor.Tensor
	if ag, ok := v.gate.(accGate); ok && anomaly.Load() == 0 { // see accumulate.go
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
	if anomaly.Load() != 0 {
		checkBackward(v, grads) // see anomaly.go
	}
	for i, in := range v.inputs {
		g := grads[i]
		if !need[i] || g == nil || (acc != nil && g == acc[i]) {
			continue
		}
		owned := false
		if g.DType() != in.Value.DType() {
			panic(fmt.Sprintf("ag: %s: gradient %d is %v, input is %v",
				GateName(v.gate), i, g.DType(), in.Value.DType()))
		}
		if !tensor.SameShape(g.Shape(), in.Value.Shape()) {
			// The one place where broadcasting is undone: sum the
			// gradient over the axes the input was stretched along.
			s, ok := tensor.BroadcastShapes(in.Value.Shape(), g.Shape())
			if !ok || !tensor.SameShape(s, g.Shape()) {
				panic(fmt.Sprintf("ag: %s: gradient %d has shape %v, input has shape %v",
					GateName(v.gate), i, g.Shape(), in.Value.Shape()))
			}
			g = tensor.ReduceTo(tensor.New(g.DType(), in.Value.Shape()...), g)
			owned = true
		}
		accumulate(in, g, owned)
	}
}

// accumulate adds g to v.Grad. owned says whether g was allocated by the
// engine, so that it may later be updated in place; a gradient a gate
// returned may be shared (Add hands dout to both inputs) and is copied
// before it is ever written.
func accumulate(v *Var, g *tensor.Tensor, owned bool) {
	if v.gate == nil && (v.Grad == nil || !v.gradOwned) && (!owned || tensor.ActiveArena() != nil) {
		// A leaf keeps its gradient after the pass: give it its own
		// buffer so that no two leaves share one, allocated outside any
		// Scope, since a parameter's gradient outlives the step.
		withoutArena(func() {
			if v.Grad != nil {
				g = tensor.Add(v.Grad, g)
			} else {
				g = g.Clone()
			}
		})
		v.Grad, v.gradOwned = g, true
		return
	}
	switch {
	case v.Grad == nil:
		v.Grad, v.gradOwned = g, owned
	case v.gradOwned:
		tensor.AddTo(v.Grad, v.Grad, g)
	default:
		v.Grad, v.gradOwned = tensor.Add(v.Grad, g), true
	}
}
