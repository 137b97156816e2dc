//go:build mpi

package dist

/*
#cgo pkg-config: ompi-c
#include <stdlib.h>
#include <mpi.h>

// Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, …) are macros that take
// the address of its globals; these wrappers keep them on the C side.
static int bp_init_thread(int required, int *provided) { return MPI_Init_thread(NULL, NULL, required, provided); }
static int bp_errors_return(void) { return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN); }
static int bp_rank(int *r) { return MPI_Comm_rank(MPI_COMM_WORLD, r); }
static int bp_size(int *s) { return MPI_Comm_size(MPI_COMM_WORLD, s); }
static int bp_allreduce_f32(float *b, int n) { return MPI_Allreduce(MPI_IN_PLACE, b, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD); }
static int bp_allreduce_f64(double *b, int n) { return MPI_Allreduce(MPI_IN_PLACE, b, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD); }
static int bp_bcast_f32(float *b, int n, int root) { return MPI_Bcast(b, n, MPI_FLOAT, root, MPI_COMM_WORLD); }
static int bp_bcast_f64(double *b, int n, int root) { return MPI_Bcast(b, n, MPI_DOUBLE, root, MPI_COMM_WORLD); }
static int bp_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static int bp_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
static int bp_error_string(int code, char *buf) {
	int n = 0;
	if (MPI_Error_string(code, buf, &n) != MPI_SUCCESS) n = 0;
	return n;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"
)

const built = true

// Thread levels, in MPI's order.
var threadLevels = map[C.int]string{
	C.MPI_THREAD_SINGLE:     "MPI_THREAD_SINGLE",
	C.MPI_THREAD_FUNNELED:   "MPI_THREAD_FUNNELED",
	C.MPI_THREAD_SERIALIZED: "MPI_THREAD_SERIALIZED",
	C.MPI_THREAD_MULTIPLE:   "MPI_THREAD_MULTIPLE",
}

// MPI can be initialised once per process: state holds the world
// communicator from Init to Finalize.
var state struct {
	sync.Mutex
	world     *mpiComm
	finalized bool
}

// launched reports whether a launcher started this process as one rank of
// several: mpirun (Open MPI), srun and other PMIx or PMI launchers set
// these variables.
func launched() bool {
	for _, v := range []string{"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"} {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}

func initComm() (Comm, error) {
	if !launched() {
		return Single(), nil
	}
	state.Lock()
	defer state.Unlock()
	switch {
	case state.world != nil:
		return state.world, nil
	case state.finalized:
		return nil, errors.New("dist: Init: MPI was finalized and cannot be initialised again")
	}
	var provided C.int
	if rc := C.bp_init_thread(C.MPI_THREAD_SERIALIZED, &provided); rc != C.MPI_SUCCESS {
		return nil, mpiError("MPI_Init_thread", rc)
	}
	c := &mpiComm{}
	if provided < C.MPI_THREAD_SERIALIZED {
		C.MPI_Finalize()
		state.finalized = true
		return nil, fmt.Errorf("dist: MPI_Init_thread: the MPI library provides only %s; training calls MPI from several threads one at a time and needs MPI_THREAD_SERIALIZED (an Open MPI built with thread support)",
			threadLevels[provided])
	}
	c.level = threadLevels[provided]
	if rc := C.bp_errors_return(); rc != C.MPI_SUCCESS {
		return nil, mpiError("MPI_Comm_set_errhandler", rc)
	}
	var r, s C.int
	if rc := C.bp_rank(&r); rc != C.MPI_SUCCESS {
		return nil, mpiError("MPI_Comm_rank", rc)
	}
	if rc := C.bp_size(&s); rc != C.MPI_SUCCESS {
		return nil, mpiError("MPI_Comm_size", rc)
	}
	c.rank, c.size = int(r), int(s)
	state.world = c
	return c, nil
}

// mpiError turns an MPI error code into an error naming the call.
func mpiError(call string, rc C.int) error {
	buf := (*C.char)(C.malloc(C.MPI_MAX_ERROR_STRING + 1))
	defer C.free(unsafe.Pointer(buf))
	n := C.bp_error_string(rc, buf)
	msg := C.GoStringN(buf, n)
	if msg == "" {
		msg = fmt.Sprintf("error code %d", int(rc))
	}
	return fmt.Errorf("dist: %s: %s", call, msg)
}

// mpiComm is MPI_COMM_WORLD. Its mutex lets one MPI call run at a time,
// as MPI_THREAD_SERIALIZED requires.
type mpiComm struct {
	mu         sync.Mutex
	rank, size int
	level      string
	done       bool
}

func (c *mpiComm) Rank() int { return c.rank }
func (c *mpiComm) Size() int { return c.size }

func (c *mpiComm) String() string {
	return fmt.Sprintf("MPI rank %d of %d (%s)", c.rank, c.size, c.level)
}

// lock takes the communicator for one MPI call, panicking after Finalize.
func (c *mpiComm) lock(op string) {
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		panic(fmt.Sprintf("dist: %s after Finalize", op))
	}
}

// maxCount is the most elements one MPI call takes (its count is a C int).
const maxCount = 1 << 30

// chunks calls f on pieces of n elements of at most maxCount, stopping at
// the first error.
func chunks(n int, f func(off, cnt int) C.int) C.int {
	for off := 0; off < n; off += maxCount {
		if rc := f(off, min(maxCount, n-off)); rc != C.MPI_SUCCESS {
			return rc
		}
	}
	return C.MPI_SUCCESS
}

func (c *mpiComm) AllReduceFloat32(buf []float32) error {
	c.lock("MPI_Allreduce")
	defer c.mu.Unlock()
	rc := chunks(len(buf), func(off, n int) C.int { return C.bp_allreduce_f32((*C.float)(&buf[off]), C.int(n)) })
	if rc != C.MPI_SUCCESS {
		return mpiError("MPI_Allreduce", rc)
	}
	return nil
}

func (c *mpiComm) AllReduceFloat64(buf []float64) error {
	c.lock("MPI_Allreduce")
	defer c.mu.Unlock()
	rc := chunks(len(buf), func(off, n int) C.int { return C.bp_allreduce_f64((*C.double)(&buf[off]), C.int(n)) })
	if rc != C.MPI_SUCCESS {
		return mpiError("MPI_Allreduce", rc)
	}
	return nil
}

func (c *mpiComm) BroadcastFloat32(buf []float32, root int) error {
	checkRoot("BroadcastFloat32", root, c.size)
	c.lock("MPI_Bcast")
	defer c.mu.Unlock()
	rc := chunks(len(buf), func(off, n int) C.int { return C.bp_bcast_f32((*C.float)(&buf[off]), C.int(n), C.int(root)) })
	if rc != C.MPI_SUCCESS {
		return mpiError("MPI_Bcast", rc)
	}
	return nil
}

func (c *mpiComm) BroadcastFloat64(buf []float64, root int) error {
	checkRoot("BroadcastFloat64", root, c.size)
	c.lock("MPI_Bcast")
	defer c.mu.Unlock()
	rc := chunks(len(buf), func(off, n int) C.int { return C.bp_bcast_f64((*C.double)(&buf[off]), C.int(n), C.int(root)) })
	if rc != C.MPI_SUCCESS {
		return mpiError("MPI_Bcast", rc)
	}
	return nil
}

func (c *mpiComm) Barrier() error {
	c.lock("MPI_Barrier")
	defer c.mu.Unlock()
	if rc := C.bp_barrier(); rc != C.MPI_SUCCESS {
		return mpiError("MPI_Barrier", rc)
	}
	return nil
}

func (c *mpiComm) Finalize() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return nil
	}
	c.done = true
	state.Lock()
	state.world, state.finalized = nil, true
	state.Unlock()
	if rc := C.MPI_Finalize(); rc != C.MPI_SUCCESS {
		return mpiError("MPI_Finalize", rc)
	}
	return nil
}

// Abort does not wait for a call in progress: it is for when a rank must
// stop the job whatever the others are doing.
func (c *mpiComm) Abort(code int) {
	C.bp_abort(C.int(code))
	os.Exit(code) // MPI_Abort does not return; this is in case it did
}
