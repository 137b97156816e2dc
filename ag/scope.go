package ag

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"backprop/tensor"
)

// A Scope recycles the memory of the graphs built while it is open, so
// that a training loop that builds the same graph every step allocates
// nothing once it has run a step:
//
//	var s ag.Scope
//	for … {
//		s.Begin() // recycles what the previous step built
//		opt.ZeroGrad()
//		loss := nn.SoftmaxCrossEntropy(model.Forward(x), labels)
//		ag.Backward(loss)
//		opt.Step()
//		s.End()
//		total += loss.Item() // valid until the next Begin
//	}
//
// Between Begin and End, the Vars that gates make, the built-in gates
// themselves, and every tensor the tensor package allocates (values,
// gradients, the saved tensors of gates; through a tensor.Arena) belong to
// the scope.
//
// Ownership: what was made in a scope stays valid after End until the
// scope's next Begin (or Release), which recycles all of it at once. Do not
// use such a Var or tensor after that: the memory holds another step's
// results. Copy out what you keep — loss.Item(), logits.Value.Clone()
// after End. What the scope never owns: leaves made with Param or Const
// (and their values, when made outside the scope), the gradient buffers of
// leaves (the engine allocates them outside the scope, so parameters'
// gradients live on), optimizer state, and anything allocated while no
// scope is open. Gates of your own are not recycled (they are ordinary
// garbage) but the tensors they allocate are.
//
// Like NoGrad, an open scope is process-wide: tensors allocated by any
// goroutine while it is open belong to it. One scope is open at a time.
// The zero Scope is ready to use.
type Scope struct {
	arena tensor.Arena
	mu    sync.Mutex
	slabs []*slab // slabs[:cur+1] hold this round's Vars
	cur   int
	// open is slabs[cur] while it has room: newVar's lock-free fast path.
	open  atomic.Pointer[slab]
	gates []pooledGate
}

var activeScope atomic.Pointer[Scope]

// Begin recycles everything the scope made before (as Release does) and
// opens it. It panics if a scope or tensor.Arena is open.
func (s *Scope) Begin() {
	s.Release()
	if !activeScope.CompareAndSwap(nil, s) {
		panic("ag: Scope.Begin: a scope is already open")
	}
	s.arena.Begin()
}

// End closes the scope. What it made stays valid until the next Begin or
// Release.
func (s *Scope) End() {
	if !activeScope.CompareAndSwap(s, nil) {
		panic("ag: Scope.End: the scope is not open")
	}
	s.arena.End()
}

// Release recycles everything the scope has made: none of it may be used
// afterwards. It panics if the scope is open.
func (s *Scope) Release() {
	if activeScope.Load() == s {
		panic("ag: Scope.Release: the scope is open")
	}
	s.arena.Release()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sl := range s.slabs {
		if i > s.cur {
			break
		}
		n := min(int(sl.next.Load()), slabSize)
		clear(sl.vars[:n])
		sl.next.Store(0)
	}
	s.cur = 0
	s.open.Store(nil)
	poolMu.Lock()
	defer poolMu.Unlock()
	for i, g := range s.gates {
		g.pool.put(g.p)
		s.gates[i] = pooledGate{}
	}
	s.gates = s.gates[:0]
}

// poolMu guards the free lists of every gatePool and the gates list of
// every Scope, so that handing out a recycled gate takes one lock.
var poolMu sync.Mutex

// newVar returns a zeroed Var from the scope's slabs: one atomic add, and
// the lock only when a slab runs out.
func (s *Scope) newVar() *Var {
	if sl := s.open.Load(); sl != nil {
		if i := sl.next.Add(1) - 1; i < slabSize {
			return &sl.vars[i]
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.cur < len(s.slabs) {
			sl := s.slabs[s.cur]
			if i := sl.next.Add(1) - 1; i < slabSize {
				s.open.Store(sl)
				return &sl.vars[i]
			}
			if s.cur+1 < len(s.slabs) {
				s.cur++
				continue
			}
		}
		s.slabs = append(s.slabs, new(slab))
		s.cur = len(s.slabs) - 1
	}
}

// A gatePool holds free gates of one type for scopes to reuse.
type gatePool[T any] struct {
	free []*T // guarded by poolMu
}

// pooledGate is a gate a scope handed out, with the pool it goes back to.
type pooledGate struct {
	p    unsafe.Pointer
	pool gateReleaser
}

type gateReleaser interface{ put(p unsafe.Pointer) }

// get returns a zeroed *T: a recycled one, owned by the open scope, if a
// scope is open, else a new one.
func (gp *gatePool[T]) get() *T {
	s := activeScope.Load()
	if s == nil {
		return new(T)
	}
	poolMu.Lock()
	var g *T
	if n := len(gp.free); n > 0 {
		g = gp.free[n-1]
		gp.free[n-1] = nil
		gp.free = gp.free[:n-1]
	} else {
		g = new(T)
	}
	s.gates = append(s.gates, pooledGate{unsafe.Pointer(g), gp})
	poolMu.Unlock()
	return g
}

// put zeroes the gate at p and returns it to the free list; poolMu is held.
func (gp *gatePool[T]) put(p unsafe.Pointer) {
	g := (*T)(p)
	var zero T
	*g = zero
	gp.free = append(gp.free, g)
}

// withoutArena runs f with the open scope's tensor arena (if any) paused,
// so that what f allocates is not recycled: the gradient buffers of leaves.
func withoutArena(f func()) {
	a := tensor.ActiveArena()
	if a == nil {
		f()
		return
	}
	a.End()
	defer a.Begin()
	f()
}

// with returns a gate from get set to v.
func (gp *gatePool[T]) with(v T) *T {
	g := gp.get()
	*g = v
	return g
}

// Discard closes the scope if it is open and releases what it made: the
// cleanup for a loop that may stop in the middle of a step.
func (s *Scope) Discard() {
	if activeScope.Load() == s {
		s.End()
	}
	s.Release()
}
