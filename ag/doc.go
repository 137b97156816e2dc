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
// Training layers have fused gates: Linear (x·Wᵀ + b with the bias
// gradient summed in its backward pass) and BiasReLU (max(x + b, 0)). The
// gradients of parameters are added straight into their buffers (a matrix
// product with GEMM's β = 1), and a Scope recycles every Var, gate and
// tensor of a step's graph in the next step, so that a training loop run
// in one allocates nothing per step; see Scope for what it owns.
//
// Programming errors — mismatched shapes, Backward through a freed graph —
// panic with a message naming the operation and the shapes.
package ag
