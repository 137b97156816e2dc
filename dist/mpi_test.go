//go:build mpi

// These tests run as several processes: test.sh builds them with
// "go test -c -tags mpi" and starts them with mpirun -np 2 and -np 3.
// Every rank runs every test, in the same order, so that the collectives
// meet; a test reports a failure with Errorf rather than stopping early,
// which would leave the other ranks waiting.

package dist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

var world Comm

func TestMain(m *testing.M) {
	c, err := Init()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	if c.Size() < 2 {
		fmt.Fprintln(os.Stderr, "FAIL: one rank: run these tests under mpirun -np 2 or more (test.sh does)")
		os.Exit(1)
	}
	world = c
	code := m.Run()
	if err := c.Finalize(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		code = 1
	}
	// After Finalize: another Finalize does nothing, a collective panics,
	// and MPI cannot be initialised again.
	if err := c.Finalize(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: a second Finalize:", err)
		code = 1
	}
	if msg := panicOf(func() { c.Barrier() }); msg != "dist: MPI_Barrier after Finalize" {
		fmt.Fprintf(os.Stderr, "FAIL: Barrier after Finalize: panic %q\n", msg)
		code = 1
	}
	if _, err := Init(); err == nil || !strings.Contains(err.Error(), "cannot be initialised again") {
		fmt.Fprintf(os.Stderr, "FAIL: Init after Finalize: %v\n", err)
		code = 1
	}
	os.Exit(code)
}

func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

func TestWorld(t *testing.T) {
	c := world
	if c.Rank() < 0 || c.Rank() >= c.Size() {
		t.Errorf("rank %d of %d", c.Rank(), c.Size())
	}
	if s := os.Getenv("OMPI_COMM_WORLD_SIZE"); s != fmt.Sprint(c.Size()) {
		t.Errorf("size %d, mpirun says %s", c.Size(), s)
	}
	if again, err := Init(); err != nil || again != c {
		t.Errorf("a second Init: %v, %v", again, err)
	}
	if s := fmt.Sprint(c); !strings.Contains(s, "MPI_THREAD_SERIALIZED") && !strings.Contains(s, "MPI_THREAD_MULTIPLE") {
		t.Errorf("thread level: %s", s)
	}
	// Every rank's rank, summed: 0 + 1 + … + (n−1).
	n := c.Size()
	b := []float64{float64(c.Rank()), 1}
	if err := c.AllReduceFloat64(b); err != nil {
		t.Fatal(err)
	}
	if b[0] != float64(n*(n-1)/2) || b[1] != float64(n) {
		t.Errorf("rank %d: sum of ranks and ones: %v", c.Rank(), b)
	}
}

// A buffer larger than a bucket of gradients, with values that depend on
// the rank and the position, sums exactly (small integers in float32).
func TestAllReduceLarge(t *testing.T) {
	c := world
	const n = 3<<20 + 17 // 12 MiB of float32
	buf := make([]float32, n)
	for i := range buf {
		buf[i] = float32((i%7)*(c.Rank()+1) - c.Rank())
	}
	if err := AllReduce(c, buf); err != nil {
		t.Fatal(err)
	}
	size := c.Size()
	bad := 0
	for i, v := range buf {
		want := float32((i%7)*size*(size+1)/2 - size*(size-1)/2)
		if v != want && bad < 3 {
			t.Errorf("rank %d: element %d = %v, want %v", c.Rank(), i, v, want)
			bad++
		}
	}
}

func TestBroadcastAndAverage(t *testing.T) {
	c := world
	root := c.Size() - 1
	f32 := []float32{float32(c.Rank()), 1.5, -2}
	f64 := []float64{float64(c.Rank()) + 0.25, 1e300}
	if err := Broadcast(c, f32, root); err != nil {
		t.Fatal(err)
	}
	if err := Broadcast(c, f64, root); err != nil {
		t.Fatal(err)
	}
	if f32[0] != float32(root) || f32[1] != 1.5 || f32[2] != -2 || f64[0] != float64(root)+0.25 || f64[1] != 1e300 {
		t.Errorf("rank %d: broadcast from %d: %v %v", c.Rank(), root, f32, f64)
	}
	avg := []float64{float64(c.Rank())}
	if err := Average(c, avg); err != nil {
		t.Fatal(err)
	}
	if want := float64(c.Size()-1) / 2; avg[0] != want {
		t.Errorf("rank %d: mean rank %v, want %v", c.Rank(), avg[0], want)
	}
	if msg := panicOf(func() { c.BroadcastFloat32(f32, c.Size()) }); !strings.Contains(msg, "root") {
		t.Errorf("root out of range: panic %q", msg)
	}
}

// Barrier holds every rank until rank 0, which arrives late, has made a
// file; after it, every rank sees the file.
func TestBarrier(t *testing.T) {
	c := world
	id := []float64{float64(time.Now().UnixNano() % (1 << 50))}
	if err := Broadcast(c, id, 0); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("dist-barrier-%d", int64(id[0])))
	if c.Rank() == 0 {
		time.Sleep(300 * time.Millisecond)
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Error(err)
		}
		defer func() {
			c.Barrier() // the others have looked
			os.Remove(path)
		}()
	}
	if err := c.Barrier(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("rank %d after the barrier: %v", c.Rank(), err)
	}
	if c.Rank() != 0 {
		c.Barrier()
	}
}

// Calls from goroutines on different OS threads, one at a time, are what
// MPI_THREAD_SERIALIZED allows and what train's communication goroutine
// does.
func TestCallsFromOtherThreads(t *testing.T) {
	c := world
	for i := range 20 {
		done := make(chan error)
		go func() {
			runtime.LockOSThread() // a thread of its own, which exits with it
			b := []float32{float32(i)}
			err := c.AllReduceFloat32(b)
			if err == nil && b[0] != float32(i*c.Size()) {
				err = fmt.Errorf("call %d: sum %v", i, b[0])
			}
			done <- err
		}()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// An error of MPI's is an error naming the call: rank 0 broadcasts more
// elements than the others expect, which MPI reports as a truncation.
func TestMPIErrorNamesTheCall(t *testing.T) {
	c := world
	n := 4
	if c.Rank() == 0 {
		n = 8
	}
	err := c.BroadcastFloat64(make([]float64, n), 0)
	if c.Rank() != 0 && (err == nil || !strings.HasPrefix(err.Error(), "dist: MPI_Bcast: MPI_ERR_TRUNCATE")) {
		t.Errorf("rank %d: truncated broadcast: %v", c.Rank(), err)
	}
	if err := c.Barrier(); err != nil {
		t.Errorf("the communicator after the error: %v", err)
	}
}

// MPI_Init_thread must leave the signals that Go turns into panics to Go
// (Open MPI installs handlers for SIGSEGV and others where none exists).
func TestNilDereferencePanics(t *testing.T) {
	var p *[4]float32
	msg := panicOf(func() { p[1] = 1 })
	if !strings.Contains(msg, "nil pointer dereference") {
		t.Errorf("a nil dereference after MPI_Init_thread: %q", msg)
	}
}

func TestShareOverWorld(t *testing.T) {
	c := world
	lo, hi := Share(128, c.Rank(), c.Size())
	b := []float64{float64(hi - lo)}
	if err := c.AllReduceFloat64(b); err != nil || b[0] != 128 {
		t.Errorf("rank %d: shares of 128 add up to %v (%v)", c.Rank(), b[0], err)
	}
}

// Agree: when the last rank fails, every other rank learns which one,
// and the failing rank keeps its own error.
func TestAgree(t *testing.T) {
	c := world
	if err := Agree(c, nil); err != nil {
		t.Errorf("rank %d: Agree with no failure: %v", c.Rank(), err)
	}
	var mine error
	if c.Rank() == c.Size()-1 {
		mine = fmt.Errorf("cannot read a file")
	}
	err := Agree(c, mine)
	var re *RankError
	switch {
	case mine != nil && err != mine:
		t.Errorf("rank %d: Agree returned %v, want its own error", c.Rank(), err)
	case mine == nil && (!errors.As(err, &re) || re.Rank != c.Size()-1):
		t.Errorf("rank %d: Agree returned %v, want rank %d failed", c.Rank(), err, c.Size()-1)
	}
}
