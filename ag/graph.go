package ag

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"backprop/tensor"
)

// A Graph is the context of a computation — one training step, one
// inference request — and the memory it runs in. It travels with the
// data: the Vars that g.Const and g.Param make belong to g, and so does
// every Var computed from them, with its gate and every tensor its gates
// compute, forward and backward. Whether gates are recorded and whether
// values are checked for NaN are properties of the graph (see Flags), so
// goroutines that work on different graphs never see each other, and
// nothing that unrelated code computes is ever captured.
//
// Reset recycles everything the graph made since the last Reset, so a
// training loop that builds the same graph every step allocates nothing
// once it has run a step:
//
//	g := ag.NewGraph()
//	for … {
//		g.Reset() // recycles what the previous step made
//		opt.ZeroGrad()
//		loss := nn.SoftmaxCrossEntropy(model.Forward(g.Const(x)), labels)
//		ag.Backward(loss)
//		opt.Step()
//		total += loss.Item() // valid until the next Reset
//	}
//
// Ownership, in short: what a graph made (its Vars, their values and
// gradients, the tensors computed from them) is valid until the graph's
// next Reset; copy out what you keep (loss.Item(), logits.Value.Clone()).
// What a graph never owns: leaves made by Param and Const (the model's
// parameters), the gradients of leaves (the engine keeps them in ordinary
// memory, so they outlive the step), optimizer state, and tensors made
// from no graph's data. With the PoisonRecycled flag, Reset fills the
// memory it recycles with NaN, so that a use after Reset shows up.
//
// Without a graph — Vars from Param and Const alone, as in the lecture's
// examples — gates are recorded and use ordinary memory that the garbage
// collector frees. A Graph is used by one goroutine at a time; any number
// of graphs can work at once, on shared parameters too, as long as
// nothing trains those. The zero Graph records gates and is ready to use.
type Graph struct {
	flags Flags
	arena tensor.Arena
	slabs []*slab // slabs[:cur+1] hold Vars made since the last Reset
	cur   int
	next  int // the next free Var of slabs[cur]
	pools []gatePoolRef
	last  int    // the pool used last, tried first
	work  []*Var // Backward's work list, kept between steps
	packs *tensor.PackedWeights
}

// UsePackedWeights makes the Linear gates of g's Vars multiply through c
// (see tensor.PackedWeights) while g records no gradients: for inference
// one position at a time, whose products would otherwise pack every
// weight matrix for a single row. The results have the same bits. nil
// turns it off. The weights must not change while c holds them.
func (g *Graph) UsePackedWeights(c *tensor.PackedWeights) { g.packs = c }

// Flags configure a Graph.
type Flags uint8

const (
	// NoGrad records no gates: values are computed but no graph is kept,
	// as for inference. Every Var computed from the graph's Vars requires
	// no gradient.
	NoGrad Flags = 1 << iota
	// DetectAnomaly checks every value as a gate computes it and every
	// gradient as Backward receives it, as PyTorch's detect_anomaly does,
	// and panics with an *AnomalyError at the first NaN or ±Inf (see
	// CatchAnomaly). It makes each gate read its output once more: a mode
	// to debug, not for every run.
	DetectAnomaly
	// PoisonRecycled makes Reset fill the tensors it recycles with NaN: a
	// debugging aid that turns a use after Reset into NaN rather than
	// another step's numbers.
	PoisonRecycled
)

// NewGraph returns a Graph with the given flags (none: gates are recorded,
// values unchecked).
func NewGraph(flags ...Flags) *Graph {
	g := new(Graph)
	for _, f := range flags {
		g.flags |= f
	}
	g.arena.SetPoison(g.flags&PoisonRecycled != 0)
	return g
}

// Flags returns g's flags.
func (g *Graph) Flags() Flags { return g.flags }

// Recording reports whether g records gates (it was not made with NoGrad).
func (g *Graph) Recording() bool { return g.flags&NoGrad == 0 }

// Const returns a Var of g holding t that needs no gradient: the data a
// step computes on. t itself stays the caller's (g never recycles it), but
// everything computed from the Var is made in g. On a nil Graph it is the
// package-level Const, so that code written for a Var's Graph works for
// Vars of none.
func (g *Graph) Const(t *tensor.Tensor) *Var {
	if g == nil {
		return Const(t)
	}
	v := g.newVar()
	v.Value, v.graph = g.arena.View(t), g
	return v
}

// Param returns a Var of g holding t that requires a gradient: an input
// whose gradient a step wants (∂L/∂x), valid like every Var of g until
// Reset; its Grad is in ordinary memory and outlives the Reset. Model
// parameters, which outlive every step, are made by the package-level
// Param instead.
func (g *Graph) Param(t *tensor.Tensor) *Var {
	v := g.Const(t)
	v.requiresGrad = g.flags&NoGrad == 0
	return v
}

// Scalar returns a constant 0-d Var of g holding v (the package-level
// Scalar on a nil Graph).
func (g *Graph) Scalar(dt tensor.DType, v float64) *Var {
	if g == nil {
		return Scalar(dt, v)
	}
	c := g.newVar()
	c.Value, c.graph = g.arena.Scalar(dt, v), g
	return c
}

// Reset recycles every Var, gate and tensor g has made since the last
// Reset: none of them may be used afterwards.
//
// Reset itself costs little: a Var is cleared when it is handed out again,
// and a gate is overwritten by Apply's copy. With PoisonRecycled it clears
// every Var and gate at once, so that a Var used after Reset panics (its
// value is gone) instead of reading stale numbers.
func (g *Graph) Reset() {
	if g.flags&PoisonRecycled != 0 {
		for i := 0; i <= g.cur && i < len(g.slabs); i++ {
			n := slabSize
			if i == g.cur {
				n = g.next
			}
			clear(g.slabs[i].vars[:n])
		}
		for _, p := range g.pools {
			p.pool.clear()
		}
	}
	g.cur, g.next = 0, 0
	for _, p := range g.pools {
		p.pool.reset()
	}
	g.arena.Release()
}

// Live returns how many Vars and tensors g has made since the last Reset.
func (g *Graph) Live() (vars, tensors int) {
	if len(g.slabs) > 0 {
		vars = g.cur*slabSize + g.next
	}
	return vars, g.arena.Live()
}

// newVar returns a zeroed Var of g's slabs, or of the shared slabs for a
// nil Graph.
func (g *Graph) newVar() *Var {
	if g == nil {
		return newVar()
	}
	if g.cur < len(g.slabs) && g.next < slabSize {
		v := &g.slabs[g.cur].vars[g.next]
		g.next++
		*v = Var{} // a Var of an earlier step
		return v
	}
	if len(g.slabs) > 0 {
		g.cur++
	}
	if g.cur == len(g.slabs) {
		g.slabs = append(g.slabs, new(slab))
	}
	g.next = 1
	v := &g.slabs[g.cur].vars[0]
	*v = Var{}
	return v
}

// Vars are made in slabs of slabSize: a graph of a million gates then
// costs a few thousand allocations for its Vars instead of a million, and
// the garbage collector sees fewer, larger objects. A slab of the shared
// slabs lives while any of its Vars does, so a caller who keeps one Var of
// a dead graph keeps at most one slab (about 20 KiB) alive with it.
const slabSize = 128

type slab struct {
	next atomic.Int64 // for the shared slabs only
	vars [slabSize]Var
}

var curSlab atomic.Pointer[slab]

// newVar returns a zeroed Var of the shared slabs, for Vars of no graph.
// It is safe for concurrent use.
func newVar() *Var {
	for {
		s := curSlab.Load()
		if s != nil {
			if i := s.next.Add(1) - 1; i < slabSize {
				return &s.vars[i]
			}
		}
		curSlab.CompareAndSwap(s, new(slab))
	}
}

// Gates are recycled per graph and per type: Apply copies the caller's
// gate into a gatePool of its type, which Reset empties.
type gatePoolRef struct {
	key  unsafe.Pointer // the type of the pool's gates
	pool gateResetter
}

type gateResetter interface {
	reset() // makes every gate available again
	clear() // zeroes the gates handed out
}

// gatePool hands out gates of type T from chunks that Reset reuses.
type gatePool[T any] struct {
	chunks [][]T
	cur    int // chunks[cur] is being filled
	next   int
}

const gateChunk = 64

func (p *gatePool[T]) get() *T {
	if p.cur < len(p.chunks) && p.next < gateChunk {
		g := &p.chunks[p.cur][p.next]
		p.next++
		return g
	}
	if len(p.chunks) > 0 {
		p.cur++
	}
	if p.cur == len(p.chunks) {
		p.chunks = append(p.chunks, make([]T, gateChunk))
	}
	p.next = 1
	return &p.chunks[p.cur][0]
}

// reset makes every gate available again; Apply overwrites a gate whole
// when it hands it out.
func (p *gatePool[T]) reset() { p.cur, p.next = 0, 0 }

// clear zeroes the gates handed out since the last reset, dropping what
// they saved.
func (p *gatePool[T]) clear() {
	for i := 0; i <= p.cur && i < len(p.chunks); i++ {
		n := gateChunk
		if i == p.cur {
			n = p.next
		}
		clear(p.chunks[i][:n])
	}
}

// typeKey returns an identity of type T: the type word of a nil *T in an
// interface, which costs nothing to compute.
func typeKey[T any]() unsafe.Pointer {
	var e any = (*T)(nil)
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&e))[0]
}

// newGate returns a *T from g's pool of T (holding an earlier step's gate,
// which the caller overwrites), or a new one for a nil Graph.
//
//go:noinline
func newGate[T any](g *Graph) *T {
	key := typeKey[T]()
	if g == nil {
		p, ok := sharedGates.Load(key)
		if !ok {
			p, _ = sharedGates.LoadOrStore(key, new(sharedGatePool[T]))
		}
		return p.(*sharedGatePool[T]).get()
	}
	if g.last < len(g.pools) && g.pools[g.last].key == key {
		return g.pools[g.last].pool.(*gatePool[T]).get()
	}
	for i := range g.pools {
		if g.pools[i].key == key {
			g.last = i
			return g.pools[i].pool.(*gatePool[T]).get()
		}
	}
	p := new(gatePool[T])
	g.pools = append(g.pools, gatePoolRef{key, p})
	g.last = len(g.pools) - 1
	return p.get()
}

// Gates of no graph come from chunks shared by all goroutines, one list
// per gate type, so that a gate costs an atomic add rather than an
// allocation (the garbage collector sees one object per gateChunk gates;
// a chunk lives while any of its gates does).
var sharedGates sync.Map // typeKey → *sharedGatePool[T]

type sharedGatePool[T any] struct {
	cur atomic.Pointer[sharedGateChunk[T]]
}

type sharedGateChunk[T any] struct {
	next  atomic.Int64
	gates [gateChunk]T
}

func (p *sharedGatePool[T]) get() *T {
	for {
		c := p.cur.Load()
		if c != nil {
			if i := c.next.Add(1) - 1; i < gateChunk {
				return &c.gates[i]
			}
		}
		p.cur.CompareAndSwap(c, new(sharedGateChunk[T]))
	}
}

// arenaOf returns g's arena, nil for a nil Graph.
func (g *Graph) arenaOf() *tensor.Arena {
	if g == nil {
		return nil
	}
	return &g.arena
}
