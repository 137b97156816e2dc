// Package parallel runs loops over GOMAXPROCS workers in fixed chunks.
//
// A loop over [0, n) is cut into chunks of a size the caller chooses,
// independently of the number of workers; the workers take chunks in turn
// until none is left. A body that writes only its own chunk's outputs, and
// a Reduce that combines the chunks' results in chunk order, therefore give
// results that do not depend on how many cores ran them.
//
// Workers are goroutines started for the loop and ended with it: an idle
// worker holds no thread and never spins. A panic in a body is re-raised in
// the caller once every worker has stopped.
package parallel
