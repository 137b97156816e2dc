package tensor

import (
	"math"
	"unsafe"
)

// An Arena recycles tensors: a loop that computes the same tensors every
// iteration (a training step) allocates nothing once it has run an
// iteration.
//
// Memory travels with the data. A tensor that an arena made belongs to it
// and knows it (Arena), and every result computed from it — the result of
// Add, MatMul, Exp, Sum, Reshape and the rest — is made in the same arena:
// an operation takes its memory from the arena of its first operand that
// has one. Tensors that belong to no arena (those from New, FromSlice,
// Clone and every constructor, and results computed only from such
// tensors) are ordinary memory that the garbage collector frees. So code
// that does not touch an arena's tensors never sees it, on any goroutine.
//
// Release takes back every tensor the arena made since the last Release,
// to be handed out again. Ownership: a tensor of an arena is valid until
// the arena's next Release; copy out what you keep (Item, or Clone, which
// always copies into ordinary memory). With SetPoison, Release fills the
// storage it takes back with NaN, so that a use after Release shows up as
// NaN rather than as another iteration's numbers.
//
// An Arena is used by one goroutine at a time, like the tensors it makes;
// any number of arenas may be used at once. The zero Arena is ready to use.
// Package ag gives each graph its own arena; most programs never use one
// directly.
type Arena struct {
	live  []*Tensor // tensors with storage of their own, made since Release
	views []*Tensor // headers sharing another tensor's storage (Reshape, View)
	// free holds the recycled tensors by dtype and length, found by a
	// linear search: a step allocates a few distinct sizes, and scanning
	// them is faster than hashing.
	free      []arenaBin
	last      int       // the bin found last, tried first
	freeViews []*Tensor // recycled view headers
	poison    bool
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

// SetPoison sets whether Release fills the storage it takes back with NaN:
// a debugging aid that makes a use after Release visible.
func (a *Arena) SetPoison(on bool) { a.poison = on }

// Release takes back every tensor a made since the last Release: none of
// them may be used afterwards.
func (a *Arena) Release() {
	// Last made, first put back: the next iteration then gets the same
	// tensors in the same order, which keeps their roles (and caches)
	// stable from step to step.
	for i := len(a.live) - 1; i >= 0; i-- {
		t := a.live[i]
		if a.poison {
			t.Fill(math.NaN())
		}
		b := a.bin(t.dtype, t.n, true)
		b.list = append(b.list, t)
		a.live[i] = nil
	}
	a.live = a.live[:0]
	for i := len(a.views) - 1; i >= 0; i-- {
		v := a.views[i]
		v.data, v.n = nil, 0 // a stale view reads nothing
		a.freeViews = append(a.freeViews, v)
		a.views[i] = nil
	}
	a.views = a.views[:0]
}

// Live returns the number of tensors a has made since the last Release,
// views included.
func (a *Arena) Live() int { return len(a.live) + len(a.views) }

// New returns a zero tensor of the given dtype and shape made in a; a nil
// Arena makes it in ordinary memory, as the package-level New does.
func (a *Arena) New(dt DType, shape ...int) *Tensor { return allocIn(a, "Arena.New", dt, shape, true) }

// Scalar returns a 0-d tensor holding v, made in a (ordinary memory for a
// nil Arena).
func (a *Arena) Scalar(dt DType, v float64) *Tensor {
	t := allocIn(a, "Arena.Scalar", dt, nil, false)
	t.set(0, v)
	return t
}

// View returns a tensor of a sharing t's storage and shape: computing with
// it makes results in a, while t's storage is never recycled by a. For a
// nil Arena, or a tensor of a already, it returns t.
func (a *Arena) View(t *Tensor) *Tensor {
	if a == nil || t.arena == a {
		return t
	}
	return a.view(t, t.shape)
}

// view returns a header of a that shares t's storage with the given shape.
func (a *Arena) view(t *Tensor, shape []int) *Tensor {
	var v *Tensor
	if n := len(a.freeViews); n > 0 {
		v = a.freeViews[n-1]
		a.freeViews[n-1] = nil
		a.freeViews = a.freeViews[:n-1]
	} else {
		v = new(Tensor)
		v.arena = a
	}
	v.dtype, v.data, v.n = t.dtype, t.data, t.n
	setShape(v, shape)
	a.views = append(a.views, v)
	return v
}

// Arena returns the arena t belongs to, or nil for ordinary memory.
func (t *Tensor) Arena() *Arena { return t.arena }

// setShape copies shape into t's shape, reusing its backing array.
func setShape(t *Tensor, shape []int) {
	switch {
	case len(shape) == 0:
		t.shape = nil
	case cap(t.shape) >= len(shape):
		t.shape = append(t.shape[:0], shape...)
	default:
		t.shape = append(make([]int, 0, len(shape)), shape...)
	}
}

// get returns a tensor of n elements with the given dtype and shape from
// a, recycled when one is free (and then zeroed if zero is set), and
// records it as live.
func (a *Arena) get(dt DType, n int, shape []int, zero bool) *Tensor {
	var t *Tensor
	if b := a.bin(dt, n, false); b != nil && len(b.list) > 0 {
		k := len(b.list) - 1
		t, b.list[k], b.list = b.list[k], nil, b.list[:k]
		setShape(t, shape)
		if zero {
			t.Zero()
		}
	} else {
		t = newTensor(dt, n, shape)
		t.arena = a
	}
	a.live = append(a.live, t)
	return t
}

// newTensor allocates a zeroed tensor of n elements in ordinary memory.
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

// arenaOf returns the arena of the first of a and b that has one: where
// the result of an operation on them is made.
func arenaOf(a, b *Tensor) *Arena {
	if a.arena != nil {
		return a.arena
	}
	return b.arena
}

// arenaOfAll is arenaOf for any number of operands.
func arenaOfAll(ts []*Tensor) *Arena {
	for _, t := range ts {
		if t.arena != nil {
			return t.arena
		}
	}
	return nil
}
