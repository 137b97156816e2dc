package tensor

import "sync/atomic"

// Tensor headers come from slabs of slabSize, handed out with one atomic
// add each, so that the many small tensors of a scalar graph cost a
// fraction of an allocation apiece. A slab lives while any of its headers
// does: keeping one tensor keeps at most one slab (8 KiB) alive. The
// element storage of tensors with more than one element is allocated on
// its own.
const slabSize = 128

type slab struct {
	next atomic.Int64
	ts   [slabSize]Tensor
}

var curSlab atomic.Pointer[slab]

// newHeader returns a zeroed Tensor header. It is safe for concurrent use.
func newHeader() *Tensor {
	for {
		s := curSlab.Load()
		if s != nil {
			if i := s.next.Add(1) - 1; i < slabSize {
				return &s.ts[i]
			}
		}
		curSlab.CompareAndSwap(s, new(slab))
	}
}
