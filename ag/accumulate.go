package ag

import "backprop/tensor"

// accGate is implemented by built-in gates that can add a gradient
// straight into the gradient buffer of a leaf (a weight, a bias) instead
// of returning a new tensor for the engine to add: a matrix product adds
// with GEMM's β = 1, a bias gradient adds its column sums. That saves,
// per parameter and step, allocating (and zeroing) a gradient and a pass
// adding it.
//
// backwardAcc is Backward with acc: where acc[i] is not nil, it is input
// i's gradient buffer (owned by the engine, with the input's dtype and
// shape), and the gate may add its gradient for input i into it and
// return acc[i] itself in place i to say so; anything else it returns is
// accumulated by the engine as usual. Two places of acc may hold the same
// buffer (a Var used twice); the gate adds both gradients. acc may be nil,
// and is only valid during the call.
//
// Unlike Backward's, the slice backwardAcc returns may be the gate's own
// storage, overwritten by its next call: the engine uses it at once, and
// a step allocates no slice per gate. The gates' Backward returns a copy,
// since callers such as viz keep the results of two calls.
type accGate interface {
	Gate
	backwardAcc(dout *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor
}

// accBuffers returns the gradient buffers v's inputs let its gate add into
// (in buf, one per input, nil where none), or nil if there are none. The
// engine does not offer them while anomaly detection is on, which wants
// to see each gate's own gradients.
func accBuffers(v *Var, need []bool, buf []*tensor.Tensor) []*tensor.Tensor {
	found := false
	for i, in := range v.inputs {
		var b *tensor.Tensor
		if need[i] && in.gate == nil && in.gradOwned && in.Grad != nil &&
			in.Grad.DType() == in.Value.DType() && tensor.SameShape(in.Grad.Shape(), in.Value.Shape()) {
			b, found = in.Grad, true
		}
		buf = append(buf, b)
	}
	if !found {
		return nil
	}
	return buf
}
