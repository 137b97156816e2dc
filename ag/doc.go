// Package ag is reverse-mode automatic differentiation over computational
// graphs of tensors.
//
// Every operation is a Gate that knows its forward computation and its
// backward one: given ∂L/∂out it returns ∂L/∂in, the upstream gradient
// multiplied by the gate's local gradient (the chain rule), as a
// vector-Jacobian product that never builds the Jacobian. Apply runs a gate
// and records it (define-by-run); Backward walks the recorded graph once in
// reverse topological order and sums the gradients where a value fans out.
//
// The lecture's patterns are visible in the gates' backward passes: Add
// distributes the gradient to both inputs unchanged, Max routes it to the
// larger input, Mul swaps its inputs (∂(ab)/∂a = b).
//
//	x := ag.Param(tensor.Scalar(tensor.Float64, -2))
//	y := ag.Param(tensor.Scalar(tensor.Float64, 5))
//	z := ag.Param(tensor.Scalar(tensor.Float64, -4))
//	f := ag.Mul(ag.Add(x, y), z) // -12
//	ag.Backward(f)               // x.Grad = -4, y.Grad = -4, z.Grad = 3
//
// Binary gates broadcast as in NumPy; the engine sums a gradient back to
// the shape of an input that was broadcast, so no gate has to.
//
// A computation may run in a Graph, its context, which the data carries:
// the Vars made by g.Const and everything computed from them belong to g,
// which recycles their memory at Reset (a training loop then allocates
// nothing per step) and says whether gates are recorded (NoGrad, for
// inference) and checked (DetectAnomaly). There is no process-wide mode:
// goroutines working on different graphs never see each other. Without a
// graph, as above, gates are recorded and use ordinary memory.
//
// Every gate, built-in or a user's, is a type with Forward and Backward
// (see Gate and the package example); Apply records it. The gate functions
// of this package are marked //go:noinline: inlined into another package,
// their call of the generic Apply would make the gate literal escape to
// the heap, which the compiler cannot see through across packages.
// Training layers have fused gates: Linear (x·Wᵀ + b with the bias
// gradient summed in its backward pass) and BiasReLU (max(x + b, 0)), and
// these and the matrix products add the gradients of parameters straight
// into their buffers (GEMM's β = 1).
//
// Semantics follow PyTorch at the edges: NaN propagates through ReLU, Abs,
// Maximum and Minimum and through the reductions, Maximum and Minimum
// split the gradient evenly at ties, Pow's gradients are 0 at x⁰ (0⁰
// included), and MatMul takes 1-d operands as NumPy's matmul does. Each
// gate's documentation states its choice.
//
// Programming errors — mismatched shapes, Backward through a freed graph,
// Vars of two graphs in one gate — panic with a message naming the
// operation and the shapes.
package ag
