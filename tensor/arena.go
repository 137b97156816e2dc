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
	// bins hold every tensor the arena ever made, by dtype and length, in
	// the order made; the first used of each are out since the last
	// Release. Release only rewinds the counts, so it costs nothing per
	// tensor, and the next iteration gets the same tensors in the same
	// order, which keeps their roles (and caches) stable from step to
	// step. A step makes a few distinct sizes, and scanning them is faster
	// than hashing.
	bins   []arenaBin
	last   int       // the bin used last, tried first
	views  []*Tensor // headers sharing another tensor's storage (Reshape, View)
	nview  int       // views[:nview] are out
	live   int       // tensors out, views excluded
	poison bool
}

type arenaBin struct {
	dt   DType
	n    int
	all  []*Tensor
	used int
}

// bin returns the bin of dtype dt and length n, adding it if it is new.
func (a *Arena) bin(dt DType, n int) *arenaBin {
	if a.last < len(a.bins) {
		if b := &a.bins[a.last]; b.n == n && b.dt == dt {
			return b
		}
	}
	for i := range a.bins {
		if b := &a.bins[i]; b.n == n && b.dt == dt {
			a.last = i
			return b
		}
	}
	a.bins = append(a.bins, arenaBin{dt: dt, n: n})
	a.last = len(a.bins) - 1
	return &a.bins[a.last]
}

// SetPoison sets whether Release fills the storage it takes back with NaN:
// a debugging aid that makes a use after Release visible.
func (a *Arena) SetPoison(on bool) { a.poison = on }

// Release takes back every tensor a made since the last Release: none of
// them may be used afterwards.
func (a *Arena) Release() {
	for i := range a.bins {
		b := &a.bins[i]
		if a.poison {
			for _, t := range b.all[:b.used] {
				t.Fill(math.NaN())
			}
		}
		b.used = 0
	}
	for _, v := range a.views[:a.nview] {
		v.data, v.n = nil, 0 // a stale view reads nothing
	}
	a.nview, a.live = 0, 0
}

// Live returns the number of tensors a has made since the last Release,
// views included.
func (a *Arena) Live() int { return a.live + a.nview }

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
	if a.nview < len(a.views) {
		v = a.views[a.nview]
	} else {
		v = new(Tensor)
		v.arena = a
		a.views = append(a.views, v)
	}
	a.nview++
	v.dtype, v.data, v.n = t.dtype, t.data, t.n
	setShape(v, shape)
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
// a: the next one of its bin, zeroed if zero is set, or a new one.
func (a *Arena) get(dt DType, n int, shape []int, zero bool) *Tensor {
	b := a.bin(dt, n)
	var t *Tensor
	if b.used < len(b.all) {
		t = b.all[b.used]
		setShape(t, shape)
		if zero {
			t.Zero()
		}
	} else {
		t = newTensor(dt, n, shape)
		t.arena = a
		b.all = append(b.all, t)
	}
	b.used++
	a.live++
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
