// Package tensor provides dense n-dimensional arrays of float32 or float64
// chosen at run time, and the eager math that the autodiff engine and the
// neural-network layers are built from.
//
// A Tensor is stored contiguously in row-major order; its shape is fixed and
// a 0-dimensional tensor is a scalar. Binary operations broadcast as in
// NumPy: shapes are aligned at their last axis and a size-1 axis stretches
// to match.
//
// Every operation comes in two forms. XxxTo(dst, …) writes into a
// destination the caller owns and returns it; it allocates nothing, which
// is what a training loop wants. Xxx(…) allocates its result. Element-wise
// XxxTo functions accept dst equal to an operand of the same shape.
//
// Programming errors, such as operands whose shapes do not broadcast, panic
// with a *Error naming the operation and the shapes:
//
//	tensor: Add: shapes [2 3] and [4] do not broadcast
//
// Randomness comes only from an explicit *rand.Rand, so results are
// reproducible from a seed.
package tensor
