package text

import (
	"fmt"
	"math/rand/v2"

	"backprop/tensor"
)

// Sampler walks a Split in mini-batches of windows: a window of context+1
// bytes starting at s gives the inputs Data[s : s+context] and the
// next-byte targets Data[s+1 : s+context+1]. An epoch is as many windows
// as the split has non-overlapping targets, ⌊(Len − 1)/context⌋, in
// Batches() batches.
//
// With a *rand.Rand every batch is of size windows, each starting at a
// position drawn uniformly from [0, Len − context) with rng.IntN, one
// draw per window in order, and nothing else draws from it; the draws do
// not depend on the position in the epoch. Without one, window i starts
// at i·context: the split in order, in batches of size but the last,
// which holds the windows left; every byte from the second to the
// (Windows()·context + 1)th is a target once, and the last
// (Len − 1) mod context bytes, too few for a window, are none. Windows
// may span the boundary between two files.
//
// The batch buffers are reused from step to step, so a batch is valid
// only until the next call to Next.
//
//	sm, err := text.NewSampler(c.Train, 32, 128, tensor.Float32, rng)
//	for epoch := range epochs {
//		sm.Reset()
//		for sm.Next() {
//			x, y := sm.Batch() // [32 128] byte values, 32·128 targets
//			…
//		}
//	}
type Sampler struct {
	s             *Split
	size, context int
	rng           *rand.Rand
	windows       int            // per epoch
	pos           int            // windows served this epoch
	x, tail       *tensor.Tensor // full batches, and the last short one
	in, y         []int
	curX          *tensor.Tensor
	curIn, curY   []int
}

// NewSampler returns a Sampler over s with batches of size windows of
// context input bytes each, as tensors of dtype dt, drawn with rng (in
// order when it is nil). A size or context below 1 is a programming error
// and panics; a split too short for one window is an error.
func NewSampler(s *Split, size, context int, dt tensor.DType, rng *rand.Rand) (*Sampler, error) {
	if size <= 0 || context <= 0 {
		panic(fmt.Sprintf("text: NewSampler: batch size %d, context %d", size, context))
	}
	if s.Len() < context+1 {
		return nil, fmt.Errorf("text: a split of %d bytes is shorter than a window of %d", s.Len(), context+1)
	}
	m := &Sampler{s: s, size: size, context: context, rng: rng, windows: (s.Len() - 1) / context}
	b := size
	if rng == nil {
		b = min(size, m.windows)
	}
	m.x = tensor.New(dt, b, context)
	m.in = make([]int, b*context)
	m.y = make([]int, b*context)
	return m, nil
}

// Reset starts a new epoch.
func (m *Sampler) Reset() { m.pos = 0 }

// Windows returns the number of windows of an epoch.
func (m *Sampler) Windows() int { return m.windows }

// Batches returns the number of batches of an epoch.
func (m *Sampler) Batches() int { return (m.windows + m.size - 1) / m.size }

// Position returns how many windows this epoch's batches have served (at
// most Windows(): the last random batch counts only the windows that
// complete the epoch).
// Saved with the state of rng's source before the next batch, it lets a
// run stop and continue with the same batches.
func (m *Sampler) Position() int { return m.pos }

// SetPosition continues an epoch of which pos windows were served: the
// caller restores rng's source alongside. Any pos in [0, Windows()] will
// do, a multiple of the batch size or not (a run may continue with
// another batch size): the following batches are of size windows but,
// in order, the epoch's last, which holds what is left. It returns an
// error, and changes nothing, unless pos lies in [0, Windows()].
func (m *Sampler) SetPosition(pos int) error {
	if pos < 0 || pos > m.windows {
		return fmt.Errorf("text: position %d outside [0, %d]", pos, m.windows)
	}
	m.pos = pos
	return nil
}

// Next fills the next batch and reports whether there was one.
func (m *Sampler) Next() bool {
	if m.pos >= m.windows {
		return false
	}
	n := min(m.size, m.windows-m.pos)
	if m.rng != nil {
		n = m.size
	}
	dst := m.x
	if n != m.x.Dim(0) {
		// A short batch: the end of an epoch, or one continued (SetPosition)
		// at a position that is not a multiple of the batch size.
		if m.tail == nil || m.tail.Dim(0) != n {
			m.tail = tensor.New(m.x.DType(), n, m.context)
		}
		dst = m.tail
	}
	t := m.context
	in, y := m.in[:n*t], m.y[:n*t]
	for i := range n {
		var start int
		if m.rng != nil {
			start = m.rng.IntN(m.s.Len() - t)
		} else {
			start = (m.pos + i) * t
		}
		w := m.s.Data[start : start+t+1]
		for j := range t {
			in[i*t+j] = int(w[j])
			y[i*t+j] = int(w[j+1])
		}
	}
	if dst.DType() == tensor.Float32 {
		fillBytes(dst.Float32s(), in)
	} else {
		fillBytes(dst.Float64s(), in)
	}
	m.curX, m.curIn, m.curY = dst, in, y
	m.pos = min(m.pos+n, m.windows)
	return true
}

func fillBytes[T float32 | float64](dst []T, in []int) {
	for i, v := range in {
		dst[i] = T(v)
	}
}

// Batch returns the inputs of the current batch as byte values [B, T] and
// its B·T next-byte targets, row-major. Both are overwritten by the next
// call to Next.
func (m *Sampler) Batch() (*tensor.Tensor, []int) { return m.curX, m.curY }

// Inputs returns the inputs of the current batch as B·T integers,
// row-major: the indices of an embedding lookup. They are overwritten by
// the next call to Next.
func (m *Sampler) Inputs() []int { return m.curIn }
