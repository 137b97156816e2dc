package tensor

import (
	"sync"
	"unsafe"

	"backprop/internal/parallel"
)

// A pass is one parallel loop of the pooling and normalisation
// functions, run by parallel.Do without allocating: its state lives in a
// pooled struct, its body is named by a constant and called directly (a
// generic function value made in generic code would be allocated on
// every call), and the task handed to the workers is bound once per
// struct.
// Chunks are fixed by the caller, so results do not depend on the number
// of workers.
type pass[T Float] struct {
	n, chunk int
	body     body
	// Operands and parameters, as each body needs them.
	a, b, c, d, e, f, g, h []T
	idx                    []int32
	f64                    []float64
	geo                    pool
	ints                   [4]int
	fl                     [4]float64
	flag                   bool
	task                   func(int)
}

var passPools [2]sync.Pool

func passPool[T Float]() *sync.Pool {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return &passPools[0]
	}
	return &passPools[1]
}

// newPass returns a pooled pass that runs body over [0, n) in chunks.
func newPass[T Float](n, chunk int, body body) *pass[T] {
	p, _ := passPool[T]().Get().(*pass[T])
	if p == nil {
		p = new(pass[T])
		p.task = p.run
	}
	p.n, p.chunk, p.body = n, chunk, body
	return p
}

// body names the loop body of a pass.
type body uint8

const (
	bodyBnTrainChannels body = iota
	bodyBnEvalChannels
	bodyBnEvalBackwardChannels
	bodyBnBackwardChannels
	bodyLnForwardRows
	bodyLnParamGradCols
	bodyLnBackwardRows
	bodyGnForwardBlocks
	bodyGnBackwardBlocks
	bodyMaxPoolPlanes
	bodyMaxPoolBackwardPlanes
	bodyAvgPoolPlanes
	bodyGlobalAvgPlanes
)

func (p *pass[T]) run(i int) {
	lo := i * p.chunk
	hi := min(lo+p.chunk, p.n)
	switch p.body {
	case bodyBnTrainChannels:
		bnTrainChannels(p, lo, hi)
	case bodyBnEvalChannels:
		bnEvalChannels(p, lo, hi)
	case bodyBnEvalBackwardChannels:
		bnEvalBackwardChannels(p, lo, hi)
	case bodyBnBackwardChannels:
		bnBackwardChannels(p, lo, hi)
	case bodyLnForwardRows:
		lnForwardRows(p, lo, hi)
	case bodyLnParamGradCols:
		lnParamGradCols(p, lo, hi)
	case bodyLnBackwardRows:
		lnBackwardRows(p, lo, hi)
	case bodyGnForwardBlocks:
		gnForwardBlocks(p, lo, hi)
	case bodyGnBackwardBlocks:
		gnBackwardBlocks(p, lo, hi)
	case bodyMaxPoolPlanes:
		maxPoolPlanes(p, lo, hi)
	case bodyMaxPoolBackwardPlanes:
		maxPoolBackwardPlanes(p, lo, hi)
	case bodyAvgPoolPlanes:
		avgPoolPlanes(p, lo, hi)
	case bodyGlobalAvgPlanes:
		if q, ok := any(p).(*pass[float32]); ok {
			globalAvgPlanes(q, lo, hi)
		}
	default:
		panic("tensor: unknown pass")
	}
}

// do runs the pass and returns it to its pool.
func (p *pass[T]) do() {
	if p.n > 0 {
		parallel.Do(parallel.Chunks(p.n, p.chunk), p.task)
	}
	p.a, p.b, p.c, p.d, p.e, p.f, p.g, p.h, p.idx, p.f64 = nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
	passPool[T]().Put(p)
}
