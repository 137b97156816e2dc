// Package dist lets several processes work as one: each process is a
// rank of a communicator (Comm), and collective operations — all-reduce,
// broadcast, barrier — combine buffers of float32 or float64 across all
// ranks. Package train uses it for data-parallel training, and a library
// user can call it in a loop of their own:
//
//	c, err := dist.Init() // one rank unless launched by mpirun
//	if err != nil { … }
//	defer c.Finalize()
//	dist.Broadcast(c, weights, 0)   // every rank starts from rank 0's weights
//	for … {
//		… compute grads on this rank's share of the batch …
//		dist.Average(c, grads)      // the mean over the ranks, on every rank
//	}
//
// The default build is pure Go and Init returns a single rank (Single).
// Built with -tags mpi, the package binds the system's Open MPI through
// cgo (pkg-config ompi-c), and Init returns the processes that mpirun (or
// srun) started as MPI_COMM_WORLD; a program started without a launcher
// still runs as a single rank, without initialising MPI.
//
// A Comm's methods may be called from any goroutine: the MPI transport
// initialises MPI with MPI_THREAD_SERIALIZED (Init fails if the library
// provides less) and lets one call run at a time. Collective calls must
// be made in the same order on every rank — that is MPI's rule, and a
// mismatch hangs or fails — so a program that calls them from several
// goroutines must fix their order itself (train issues them from one
// communication goroutine, in a fixed order).
//
// Errors that MPI reports are returned as errors naming the MPI call
// ("dist: MPI_Bcast: MPI_ERR_TRUNCATE: message truncated"); programming
// errors (a root outside [0, Size), a call after Finalize) panic.
package dist
