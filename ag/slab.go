package ag

import "sync/atomic"

// Vars made by Apply come from slabs of slabSize, handed out with one
// atomic add each: a graph of a million gates then costs a few thousand
// allocations for its Vars instead of a million, and the garbage collector
// sees fewer, larger objects. A slab lives while any of its Vars does, so a
// caller who keeps one Var of a dead graph keeps at most one slab (about
// 14 KiB) alive with it.
const slabSize = 128

type slab struct {
	next atomic.Int64
	vars [slabSize]Var
}

var curSlab atomic.Pointer[slab]

// newVar returns a zeroed Var from the current slab, starting a new slab
// when it is used up. It is safe for concurrent use.
func newVar() *Var {
	if sc := activeScope.Load(); sc != nil {
		return sc.newVar()
	}
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
