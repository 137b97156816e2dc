package tensor

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// An Arena recycles tensors. While an arena is active (between Begin and
// End), every tensor this package allocates — the results of Add, MatMul,
// New, Clone and the rest — comes from the arena, which keeps it; Release
// then takes back every tensor handed out since the last Release, header,
// shape and storage, to be handed out again by later allocations of the
// same dtype and length. A loop that allocates the same tensors every
// iteration (a training step) then allocates nothing after the first.
//
// Ownership: a tensor allocated while an arena is active belongs to the
// arena, and is valid only until the arena's next Release. After that the
// same *Tensor may hold another result: copy out what you keep (a loss
// with Item, logits with Clone after End). Tensors allocated while no
// arena is active are never recycled. An arena's tensors are zeroed when
// handed out again, like any new tensor.
//
// The active arena is process-wide, like ag.NoGrad: while one is active,
// tensors allocated by any goroutine come from it. At most one arena is
// active at a time. An Arena is safe for concurrent allocation.
type Arena struct {
	mu   sync.Mutex
	live []*Tensor
	// free holds the recycled tensors by dtype and length, found by a
	// linear search: a step allocates a few distinct sizes, and scanning
	// them is faster than hashing.
	free []arenaBin
	last int // the bin found last, tried first
}

type arenaBin struct {
	dt   DType
	n    int
	list []*Tensor
}

// bin returns the bin of dtype dt and length n, adding it if add is set
// (else returning nil).
func (a *Arena) bin(dt DType, n int, add bool) *arenaBin {
	if a.last < len(a.free) {
		if b := &a.free[a.last]; b.n == n && b.dt == dt {
			return b
		}
	}
	for i := range a.free {
		if b := &a.free[i]; b.n == n && b.dt == dt {
			a.last = i
			return b
		}
	}
	if !add {
		return nil
	}
	a.free = append(a.free, arenaBin{dt: dt, n: n})
	a.last = len(a.free) - 1
	return &a.free[a.last]
}

var activeArena atomic.Pointer[Arena]

// Begin makes a the active arena. It panics if an arena is active.
func (a *Arena) Begin() {
	if !activeArena.CompareAndSwap(nil, a) {
		panic("tensor: Arena.Begin: an arena is already active")
	}
}

// End makes a inactive; its tensors stay valid until Release. It panics
// if a is not the active arena.
func (a *Arena) End() {
	if !activeArena.CompareAndSwap(a, nil) {
		panic("tensor: Arena.End: the arena is not active")
	}
}

// ActiveArena returns the active arena, or nil.
func ActiveArena() *Arena { return activeArena.Load() }

// Release takes back every tensor a handed out since the last Release:
// they must no longer be used.
func (a *Arena) Release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, t := range a.live {
		b := a.bin(t.dtype, t.n, true)
		b.list = append(b.list, t)
		a.live[i] = nil
	}
	a.live = a.live[:0]
}

// Live returns the number of tensors handed out since the last Release.
func (a *Arena) Live() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.live)
}

// get returns a tensor of n elements with the given dtype and shape,
// recycled when one is free (and then zeroed if zero is set), and records
// it as live.
func (a *Arena) get(dt DType, n int, shape []int, zero bool) *Tensor {
	a.mu.Lock()
	var t *Tensor
	if b := a.bin(dt, n, false); b != nil && len(b.list) > 0 {
		k := len(b.list) - 1
		t, b.list[k], b.list = b.list[k], nil, b.list[:k]
	}
	if t == nil {
		a.mu.Unlock()
		t = newTensor(dt, n, shape)
		a.mu.Lock()
	} else {
		if cap(t.shape) >= len(shape) && len(shape) > 0 {
			t.shape = append(t.shape[:0], shape...)
		} else if len(shape) > 0 {
			t.shape = append(make([]int, 0, len(shape)), shape...)
		} else {
			t.shape = nil
		}
		if zero {
			t.Zero()
		}
	}
	a.live = append(a.live, t)
	a.mu.Unlock()
	return t
}

// newTensor allocates a zeroed tensor of n elements.
func newTensor(dt DType, n int, shape []int) *Tensor {
	t := new(Tensor)
	t.dtype, t.n = dt, n
	if len(shape) > 0 {
		t.shape = append(make([]int, 0, len(shape)), shape...)
	}
	switch {
	case n == 1:
		t.data = unsafe.Pointer(&t.one)
	case n > 1 && dt == Float32:
		t.data = unsafe.Pointer(unsafe.SliceData(make([]float32, n)))
	case n > 1:
		t.data = unsafe.Pointer(unsafe.SliceData(make([]float64, n)))
	}
	return t
}
