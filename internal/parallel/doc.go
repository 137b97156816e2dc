// Package parallel runs loops over GOMAXPROCS workers in fixed chunks.
//
// A loop over [0, n) is cut into chunks of a size the caller chooses,
// independently of the number of workers; the workers take chunks in turn
// until none is left. A body that writes only its own chunk's outputs, and
// a Reduce that combines the chunks' results in chunk order, therefore give
// results that do not depend on how many cores ran them.
//
// Workers other than the caller are helper goroutines kept between loops:
// after a loop a helper spins for a fraction of a millisecond, yielding to
// any other goroutine, so that the next loop starts without waiting for an
// idle core to wake, then parks, holding no thread. A loop always gets its
// workers (new goroutines if the helpers are busy, in nested or concurrent
// loops). A panic in a body is re-raised in the caller once every worker
// has stopped.
package parallel
