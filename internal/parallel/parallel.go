package parallel

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
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
//
// The other goroutines are helpers kept from earlier calls where one is
// free, new ones otherwise: a helper that has finished its work spins for
// spinTime, yielding its thread to any other goroutine, before it parks,
// so that back-to-back calls (the matrix products of a training step) do
// not wait for an idle core to wake up, which can take longer than a
// small product.
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
	j := jobs.Get().(*job)
	j.n, j.task = int64(n), task
	j.next.Store(0)
	j.failed = false
	j.failure = nil
	j.pending.Store(int32(w - 1))
	hire(j, w-1)
	j.work()
	j.wait()
	failed, failure := j.failed, j.failure
	j.task, j.failure = nil, nil
	jobs.Put(j)
	if failed {
		panic(failure)
	}
}

// spinTime is how long a helper looks for work before it parks.
const spinTime = 200 * time.Microsecond

// A job is one call of Do; jobs are pooled, and a helper holds one only
// while it counts in pending.
type job struct {
	n       int64
	task    func(int)
	next    atomic.Int64 // the next task to claim
	pending atomic.Int32 // helpers not finished with the job
	asleep  atomic.Bool  // the caller is blocked on done
	done    chan struct{}
	mu      sync.Mutex
	failure any
	failed  bool
}

var jobs = sync.Pool{New: func() any { return &job{done: make(chan struct{}, 1)} }}

// work claims and runs tasks until none is left; a panic stops the job and
// is kept for the caller.
func (j *job) work() {
	defer func() {
		if r := recover(); r != nil {
			j.mu.Lock()
			if !j.failed {
				j.failure, j.failed = r, true
			}
			j.mu.Unlock()
			j.next.Store(j.n) // let the others stop early
		}
	}()
	for {
		i := j.next.Add(1) - 1
		if i >= j.n {
			return
		}
		j.task(int(i))
	}
}

// leave tells the caller that a helper is done with the job.
func (j *job) leave() {
	if j.pending.Add(-1) == 0 && j.asleep.Load() {
		select {
		case j.done <- struct{}{}:
		default:
		}
	}
}

// wait returns when every helper has left the job: spinning first, since
// they finish at about the same time as the caller, then blocked.
func (j *job) wait() {
	for range 1000 {
		if j.pending.Load() == 0 {
			return
		}
		runtime.Gosched()
	}
	j.asleep.Store(true)
	// A token in done may be stale: one a helper of an earlier use of this
	// pooled job sent after that caller had seen pending reach 0 and
	// drained the channel. So pending, not the token, says when to return.
	for j.pending.Load() != 0 {
		<-j.done
	}
	j.asleep.Store(false)
	select { // a wake-up that raced with the check above
	case <-j.done:
	default:
	}
}

// A helper is a pooled goroutine that runs the jobs it is handed.
type helper struct {
	state atomic.Int32 // idle (spinning), parked or busy
	job   atomic.Pointer[job]
	wake  chan struct{}
}

const (
	idle int32 = iota
	parked
	busy
)

var (
	helpersMu sync.Mutex
	helpers   atomic.Pointer[[]*helper] // copy on write
)

// hire hands j to k helpers: free pooled ones first, then new pooled ones
// up to Workers()−1 in all, then goroutines that end with the job.
func hire(j *job, k int) {
	if hs := helpers.Load(); hs != nil {
		for _, h := range *hs {
			if k == 0 {
				return
			}
			if h.state.CompareAndSwap(idle, busy) {
				h.job.Store(j)
				k--
			} else if h.state.CompareAndSwap(parked, busy) {
				h.job.Store(j)
				h.wake <- struct{}{}
				k--
			}
		}
	}
	for ; k > 0; k-- {
		if h := newHelper(); h != nil {
			h.job.Store(j)
			go h.run()
			continue
		}
		go func() {
			j.work()
			j.leave()
		}()
	}
}

// newHelper adds a busy helper to the pool and returns it, or returns nil
// if the pool has Workers()−1 helpers already.
func newHelper() *helper {
	helpersMu.Lock()
	defer helpersMu.Unlock()
	var hs []*helper
	if p := helpers.Load(); p != nil {
		hs = *p
	}
	if len(hs) >= Workers()-1 {
		return nil
	}
	h := &helper{wake: make(chan struct{}, 1)}
	h.state.Store(busy)
	hs = append(hs[:len(hs):len(hs)], h)
	helpers.Store(&hs)
	return h
}

// run is the loop of a helper: run the job it is handed, spin for the
// next one, park when none comes.
func (h *helper) run() {
	for {
		if h.state.Load() == busy {
			j := h.job.Load()
			for j == nil { // hire sets the state before the job
				runtime.Gosched()
				j = h.job.Load()
			}
			h.job.Store(nil)
			j.work()
			h.state.Store(idle)
			j.leave()
		}
		start := time.Now()
		for spins := 0; h.state.Load() == idle; spins++ {
			runtime.Gosched()
			if spins%64 == 63 && time.Since(start) > spinTime {
				if h.state.CompareAndSwap(idle, parked) {
					<-h.wake
				}
				break
			}
		}
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
