package data

import (
	"fmt"
	"math/rand/v2"

	"backprop/tensor"
)

// Loader walks a Dataset in mini-batches. Each call to Reset starts an
// epoch, reshuffling the order with the Loader's *rand.Rand (none keeps
// the data set's order). The batch tensors are reused from step to step,
// so a batch is valid only until the next call to Next.
//
//	ld := data.NewLoader(train, 64, rng)
//	for epoch := range epochs {
//		ld.Reset()
//		for ld.Next() {
//			x, y := ld.Batch()
//			…
//		}
//	}
type Loader struct {
	ds   *Dataset
	size int
	rng  *rand.Rand
	perm []int
	pos  int
	x    *tensor.Tensor // the full-size batch buffer
	tail *tensor.Tensor // the buffer of the last, shorter batch
	y    []int
	curX *tensor.Tensor
	curY []int
	row  int // features per example
}

// NewLoader returns a Loader over ds with batches of size examples (the
// last batch of an epoch may be shorter), shuffled with rng unless it is
// nil.
func NewLoader(ds *Dataset, size int, rng *rand.Rand) *Loader {
	if size <= 0 {
		panic(fmt.Sprintf("data: NewLoader: batch size %d", size))
	}
	l := &Loader{ds: ds, size: size, rng: rng, row: ds.Features()}
	l.perm = make([]int, ds.Len())
	for i := range l.perm {
		l.perm[i] = i
	}
	b := min(size, ds.Len())
	l.x = tensor.New(ds.X.DType(), b, l.row)
	if r := ds.Len() % size; r != 0 && ds.Len() > size {
		l.tail = tensor.New(ds.X.DType(), r, l.row)
	}
	l.y = make([]int, b)
	l.Reset()
	return l
}

// Reset starts a new epoch, drawing a new order when the Loader shuffles.
func (l *Loader) Reset() {
	if l.rng != nil {
		l.rng.Shuffle(len(l.perm), func(i, j int) { l.perm[i], l.perm[j] = l.perm[j], l.perm[i] })
	}
	l.pos = 0
}

// Batches returns the number of batches in an epoch.
func (l *Loader) Batches() int { return (l.ds.Len() + l.size - 1) / l.size }

// Next fills the next batch and reports whether there was one.
func (l *Loader) Next() bool {
	n := min(l.size, l.ds.Len()-l.pos)
	if n <= 0 {
		return false
	}
	dst := l.x
	if n < l.x.Dim(0) {
		dst = l.tail
	}
	src := l.ds.X
	d := l.row
	switch dst.DType() {
	case tensor.Float32:
		out, in := dst.Float32s(), src.Float32s()
		for i := 0; i < n; i++ {
			j := l.perm[l.pos+i]
			copy(out[i*d:(i+1)*d], in[j*d:(j+1)*d])
		}
	default:
		out, in := dst.Float64s(), src.Float64s()
		for i := 0; i < n; i++ {
			j := l.perm[l.pos+i]
			copy(out[i*d:(i+1)*d], in[j*d:(j+1)*d])
		}
	}
	for i := 0; i < n; i++ {
		l.y[i] = l.ds.Y[l.perm[l.pos+i]]
	}
	l.curX, l.curY = dst, l.y[:n]
	l.pos += n
	return true
}

// Batch returns the examples [B, D] and labels of the current batch. Both
// are overwritten by the next call to Next.
func (l *Loader) Batch() (*tensor.Tensor, []int) { return l.curX, l.curY }
