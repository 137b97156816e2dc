package dist

import (
	"fmt"
	"os"
)

// Comm is a communicator: a fixed group of ranks, numbered from 0, that
// take part together in collective operations. Every collective must be
// called by every rank, in the same order and with buffers of the same
// length.
type Comm interface {
	// Rank returns this process's number, in [0, Size()).
	Rank() int
	// Size returns the number of ranks.
	Size() int
	// AllReduceFloat32 replaces buf, on every rank, by the element-wise
	// sum of the bufs of all ranks. AllReduceFloat64 likewise.
	AllReduceFloat32(buf []float32) error
	AllReduceFloat64(buf []float64) error
	// BroadcastFloat32 copies root's buf into the buf of every other rank.
	// BroadcastFloat64 likewise.
	BroadcastFloat32(buf []float32, root int) error
	BroadcastFloat64(buf []float64, root int) error
	// Barrier returns once every rank has called it.
	Barrier() error
	// Finalize ends this rank's part in the communicator; every rank calls
	// it once, after its last collective, before the process exits. Later
	// calls of the other methods panic; later Finalizes do nothing.
	Finalize() error
	// Abort ends every rank's process with the exit status code, at once:
	// for a failure on one rank that the others cannot learn of (they
	// would wait in their next collective for ever). It does not return.
	Abort(code int)
}

// Built reports whether the package was built with MPI (-tags mpi).
const Built = built

// Init returns the communicator of the processes that a launcher started
// together: with -tags mpi and under mpirun or srun, MPI_COMM_WORLD;
// otherwise a single rank (Single). Calling it again returns the same
// communicator until it is finalized; after that, MPI cannot be
// initialised again and Init returns an error.
func Init() (Comm, error) { return initComm() }

// Float is a floating-point element type of a collective.
type Float interface{ float32 | float64 }

// AllReduce replaces buf, on every rank of c, by the element-wise sum of
// the bufs of all ranks.
func AllReduce[T Float](c Comm, buf []T) error {
	switch b := any(buf).(type) {
	case []float32:
		return c.AllReduceFloat32(b)
	case []float64:
		return c.AllReduceFloat64(b)
	}
	panic("unreachable")
}

// Average replaces buf, on every rank of c, by the element-wise mean of
// the bufs of all ranks: their sum divided by c.Size().
func Average[T Float](c Comm, buf []T) error {
	if err := AllReduce(c, buf); err != nil {
		return err
	}
	if n := T(c.Size()); n != 1 {
		for i := range buf {
			buf[i] /= n
		}
	}
	return nil
}

// Broadcast copies root's buf into the buf of every other rank of c.
func Broadcast[T Float](c Comm, buf []T, root int) error {
	switch b := any(buf).(type) {
	case []float32:
		return c.BroadcastFloat32(b, root)
	case []float64:
		return c.BroadcastFloat64(b, root)
	}
	panic("unreachable")
}

// Share returns the part of n items that rank takes among size ranks:
// the items [lo, hi) with lo = ⌊rank·n/size⌋ and hi = ⌊(rank+1)·n/size⌋.
// The parts are contiguous, in rank order, cover [0, n) and differ in
// length by at most one, so that n = 128 over 3 ranks gives 42, 43 and
// 43 items. Train splits every batch by this rule.
func Share(n, rank, size int) (lo, hi int) {
	if size <= 0 || rank < 0 || rank >= size || n < 0 {
		panic(fmt.Sprintf("dist: Share: %d items, rank %d of %d", n, rank, size))
	}
	return int(int64(rank) * int64(n) / int64(size)), int(int64(rank+1) * int64(n) / int64(size))
}

// checkRoot panics unless root is a rank of a communicator of size ranks.
func checkRoot(op string, root, size int) {
	if root < 0 || root >= size {
		panic(fmt.Sprintf("dist: %s: root %d outside the %d ranks", op, root, size))
	}
}

// single is the communicator of one rank.
type single struct{}

// Single returns a communicator of one rank, in which every collective
// leaves its buffer as it is. It needs no MPI and is safe for concurrent
// use.
func Single() Comm { return single{} }

func (single) Rank() int                        { return 0 }
func (single) Size() int                        { return 1 }
func (single) AllReduceFloat32([]float32) error { return nil }
func (single) AllReduceFloat64([]float64) error { return nil }
func (single) BroadcastFloat32(_ []float32, root int) error {
	checkRoot("BroadcastFloat32", root, 1)
	return nil
}
func (single) BroadcastFloat64(_ []float64, root int) error {
	checkRoot("BroadcastFloat64", root, 1)
	return nil
}
func (single) Barrier() error  { return nil }
func (single) Finalize() error { return nil }
func (single) Abort(code int)  { os.Exit(code) }
func (single) String() string  { return "single rank" }

// Agree returns, on every rank of c, an error if err is not nil on any
// rank: err itself where it is not nil, and on the other ranks a
// *RankError naming the lowest rank that failed (or the error of the
// all-reduce itself). Every rank must call it. It is how ranks that may
// fail apart — a file that one of them cannot read — decide together to
// stop, instead of leaving the others waiting in their next collective.
func Agree(c Comm, err error) error {
	failed, ferr := Failures(c, err)
	switch {
	case err != nil:
		return err
	case ferr != nil:
		return ferr
	case len(failed) > 0:
		return &RankError{Rank: failed[0]}
	}
	return nil
}

// Failures returns, on every rank of c, the ranks whose err is not nil,
// in order. Every rank must call it.
func Failures(c Comm, err error) ([]int, error) {
	flags := make([]float64, c.Size())
	if err != nil {
		flags[c.Rank()] = 1
	}
	if err := c.AllReduceFloat64(flags); err != nil {
		return nil, err
	}
	var failed []int
	for r, f := range flags {
		if f != 0 {
			failed = append(failed, r)
		}
	}
	return failed, nil
}

// A RankError says that another rank failed: that rank has the error.
type RankError struct{ Rank int }

func (e *RankError) Error() string { return fmt.Sprintf("dist: rank %d failed", e.Rank) }
