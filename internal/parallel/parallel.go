package parallel

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Workers returns the number of workers a loop may use: GOMAXPROCS.
func Workers() int { return runtime.GOMAXPROCS(0) }

// Chunks returns the number of chunks of the given size that cover [0, n).
func Chunks(n, chunk int) int {
	if n < 0 || chunk < 1 {
		panic(fmt.Sprintf("parallel: Chunks: n = %d, chunk = %d", n, chunk))
	}
	return (n + chunk - 1) / chunk
}

// For calls body(lo, hi) once for every chunk [lo, hi) of [0, n), where
// the chunks are [0, chunk), [chunk, 2·chunk), … and the last one ends at
// n. Chunks run concurrently on up to Workers() goroutines, the caller's
// included; For returns when all have run. With one worker, or one chunk,
// the chunks run in order on the calling goroutine.
func For(n, chunk int, body func(lo, hi int)) {
	nc := Chunks(n, chunk)
	Do(nc, func(i int) {
		lo := i * chunk
		body(lo, min(lo+chunk, n))
	})
}

// Do calls task(i) for every i in [0, n), concurrently on up to Workers()
// goroutines, the caller's included, and returns when all have run.
func Do(n int, task func(i int)) {
	if n < 0 {
		panic(fmt.Sprintf("parallel: Do: n = %d", n))
	}
	w := min(Workers(), n)
	if w <= 1 {
		for i := range n {
			task(i)
		}
		return
	}
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		mu      sync.Mutex
		failure any
		failed  bool
	)
	work := func() {
		defer func() {
			if r := recover(); r != nil {
				mu.Lock()
				if !failed {
					failure, failed = r, true
				}
				mu.Unlock()
				next.Store(int64(n)) // let the others stop early
			}
		}()
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			task(i)
		}
	}
	wg.Add(w - 1)
	for range w - 1 {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
	if failed {
		panic(failure)
	}
}

// Reduce computes body over every chunk of [0, n), as For does, and
// combines the chunks' results in chunk order, starting from zero:
// combine(…combine(combine(zero, r₀), r₁)…, rₗₐₛₜ). The result is the same
// whatever the number of workers.
func Reduce[T any](n, chunk int, zero T, body func(lo, hi int) T, combine func(acc, x T) T) T {
	nc := Chunks(n, chunk)
	if nc <= 1 || Workers() == 1 {
		acc := zero
		for lo := 0; lo < n; lo += chunk {
			acc = combine(acc, body(lo, min(lo+chunk, n)))
		}
		return acc
	}
	parts := make([]T, nc)
	For(n, chunk, func(lo, hi int) { parts[lo/chunk] = body(lo, hi) })
	acc := zero
	for _, p := range parts {
		acc = combine(acc, p)
	}
	return acc
}
