package parallel

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
)

// withProcs runs f with GOMAXPROCS set to p.
func withProcs(t testing.TB, p int, f func()) {
	t.Helper()
	old := runtime.GOMAXPROCS(p)
	defer runtime.GOMAXPROCS(old)
	f()
}

func TestForCoversEachIndexOnce(t *testing.T) {
	for _, procs := range []int{1, 2, 4} {
		for _, n := range []int{0, 1, 2, 7, 64, 1000} {
			for _, chunk := range []int{1, 3, 64, 2000} {
				withProcs(t, procs, func() {
					var hits = make([]atomic.Int32, n)
					var calls atomic.Int32
					For(n, chunk, func(lo, hi int) {
						calls.Add(1)
						if lo%chunk != 0 || hi-lo > chunk || hi <= lo || (hi-lo < chunk && hi != n) {
							t.Errorf("n=%d chunk=%d: bad chunk [%d, %d)", n, chunk, lo, hi)
						}
						for i := lo; i < hi; i++ {
							hits[i].Add(1)
						}
					})
					for i := range hits {
						if h := hits[i].Load(); h != 1 {
							t.Fatalf("procs=%d n=%d chunk=%d: index %d ran %d times", procs, n, chunk, i, h)
						}
					}
					if got, want := int(calls.Load()), Chunks(n, chunk); got != want {
						t.Errorf("procs=%d n=%d chunk=%d: %d calls, want %d", procs, n, chunk, got, want)
					}
				})
			}
		}
	}
}

func TestForOneWorkerRunsInOrder(t *testing.T) {
	withProcs(t, 1, func() {
		var got []int
		For(10, 3, func(lo, hi int) { got = append(got, lo, hi) })
		want := []int{0, 3, 3, 6, 6, 9, 9, 10}
		if !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

func TestDoUsesSeveralWorkers(t *testing.T) {
	withProcs(t, 2, func() {
		// Two tasks that each wait for the other can finish only if they run
		// concurrently.
		a, b := make(chan struct{}), make(chan struct{})
		Do(2, func(i int) {
			if i == 0 {
				close(a)
				<-b
			} else {
				close(b)
				<-a
			}
		})
	})
}

func TestReduceIsIndependentOfWorkers(t *testing.T) {
	xs := make([]float64, 10007)
	for i := range xs {
		xs[i] = math.Sin(float64(i)) * math.Pow(10, float64(i%17-8))
	}
	sum := func() float64 {
		return Reduce(len(xs), 256, 0.0, func(lo, hi int) float64 {
			s := 0.0
			for _, x := range xs[lo:hi] {
				s += x
			}
			return s
		}, func(a, b float64) float64 { return a + b })
	}
	var ref float64
	withProcs(t, 1, func() { ref = sum() })
	for _, p := range []int{2, 3, 8} {
		withProcs(t, p, func() {
			for range 20 {
				if got := sum(); math.Float64bits(got) != math.Float64bits(ref) {
					t.Fatalf("procs=%d: %v, want %v bit for bit", p, got, ref)
				}
			}
		})
	}
	if got := Reduce(0, 4, 7, func(lo, hi int) int { return 1 }, func(a, b int) int { return a + b }); got != 7 {
		t.Errorf("empty Reduce = %d, want the zero value 7", got)
	}
}

func TestPanicReachesCaller(t *testing.T) {
	for _, p := range []int{1, 2} {
		withProcs(t, p, func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("procs=%d: recovered %v, want boom", p, r)
				}
			}()
			For(100, 1, func(lo, hi int) {
				if lo == 57 {
					panic("boom")
				}
			})
			t.Errorf("procs=%d: For returned normally", p)
		})
	}
}

func TestBadArgumentsPanic(t *testing.T) {
	for name, f := range map[string]func(){
		"chunk 0":    func() { For(3, 0, func(int, int) {}) },
		"negative n": func() { For(-1, 1, func(int, int) {}) },
		"Do -1":      func() { Do(-1, func(int) {}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func ExampleFor() {
	squares := make([]int, 10)
	For(len(squares), 4, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			squares[i] = i * i
		}
	})
	fmt.Println(squares)
	// Output: [0 1 4 9 16 25 36 49 64 81]
}

func BenchmarkForOverhead(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		For(2, 1, func(lo, hi int) {})
	}
}

// Do returns only after every task has finished, call after call on the
// pooled jobs and helpers: a stale wake-up left by one call must not end
// the wait of a later one. Each task finishes by setting its flag, which
// the caller reads after Do returns (without the race detector a lost
// wait shows as an unset flag; with it, as a race).
func TestDoWaitsForEveryTask(t *testing.T) {
	withProcs(t, 4, func() {
		done := make([]bool, 2)
		for call := range 5000 {
			Do(len(done), func(i int) {
				// The caller's task is short and the helper's swept across
				// the caller's spinning (about 1000 yields), so that the
				// helper finishes as the caller goes to sleep.
				if i > 0 {
					for range 900 + call%250 {
						runtime.Gosched()
					}
				}
				done[i] = true
			})
			for i, d := range done {
				if !d {
					t.Fatalf("call %d: Do returned before task %d finished", call, i)
				}
				done[i] = false
			}
		}
	})
}
