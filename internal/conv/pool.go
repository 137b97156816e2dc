package conv

import (
	"backprop/internal/gemm"
	"sync"
	"unsafe"
)

// A scratch holds the buffers of one worker for one chunk of work: the
// unfolded block, packed operands, a tile for kernels that cannot store a
// partial one. Scratches are pooled, so that a warm call allocates
// nothing and concurrent calls each get their own.
type scratch[T Float] struct {
	col, bp, tmp, xp []T
}

var scratchPools [2]sync.Pool // by element size: float32, float64

func sizeIndex[T Float]() int {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return 0
	}
	return 1
}

func getScratch[T Float]() *scratch[T] {
	s, _ := scratchPools[sizeIndex[T]()].Get().(*scratch[T])
	if s == nil {
		s = new(scratch[T])
	}
	return s
}

func putScratch[T Float](s *scratch[T]) { scratchPools[sizeIndex[T]()].Put(s) }

// grow returns s resliced to n elements, reallocated if it is too short.
// The elements are not cleared.
func grow[T Float](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

func sizeof[T Float](z T) uintptr { return unsafe.Sizeof(z) }

// testMicro, when not negative, makes every product use the micro-kernel
// of that index in gemm.Micros instead of the one gemm.MicroFor picks:
// a variable so that tests can run the drivers over every kernel's tile.
var testMicro = -1

func pickMicro[T Float](n int) gemm.Micro[T] {
	if testMicro >= 0 {
		return gemm.Micros[T]()[testMicro]
	}
	return gemm.MicroFor[T](n)
}
