package ag

import "backprop/tensor"

// accGate is implemented by the built-in gates that can add a gradient
// straight into the gradient buffer of a leaf (a weight, a bias) instead
// of returning a new tensor for the engine to add: a matrix product adds
// with GEMM's β = 1, a bias gradient adds its column sums. That saves,
// per parameter and step, making a gradient tensor and a pass adding it;
// a profile of the MLP training step shows it (about 10% of a step), and
// only the gates of layers with parameters implement it: the matrix
// products, Linear, BiasReLU, the convolution and the normalisations (γ,
// β).
//
// backwardAcc is Backward with acc: where acc[i] is not nil, it is input
// i's gradient buffer (the engine's, with the input's dtype and shape),
// and the gate may add its gradient for input i into it and return acc[i]
// itself in place i to say so; anything else it returns is accumulated by
// the engine as usual. Two places of acc may hold the same buffer (a Var
// used twice); the gate adds both gradients. acc may be nil, and is only
// valid during the call.
type accGate interface {
	Gate
	backwardAcc(dout *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor
}

// accBuffers returns the gradient buffers v's inputs let its gate add into
// (in buf, one per input, nil where none), or nil if there are none: the
// buffers of leaves, made ready (a spare buffer zeroed, or a new one)
// where ZeroGrad left none. The engine does not offer them while anomaly
// detection or a trace is on, which want to see each gate's own
// gradients.
func accBuffers(v *Var, need []bool, buf []*tensor.Tensor) []*tensor.Tensor {
	found := false
	for i, in := range v.inputs {
		var b *tensor.Tensor
		if need[i] && in.gate == nil {
			if in.Grad == nil {
				in.Grad, in.gradOwned = leafBuffer(in), true
				in.Grad.Zero()
			}
			if in.gradOwned && fits(in.Grad, in.Value) {
				b, found = in.Grad, true
			}
		}
		buf = append(buf, b)
	}
	if !found {
		return nil
	}
	return buf
}

// fits reports whether g can hold the gradient of a value like x.
func fits(g, x *tensor.Tensor) bool {
	return g.DType() == x.DType() && tensor.SameShape(g.Shape(), x.Shape())
}

// leafBuffer returns a buffer for a leaf's gradient, in ordinary memory so
// that it outlives any graph: the one ZeroGrad set aside where it still
// fits, else a new one. Its contents are undefined.
func leafBuffer(v *Var) *tensor.Tensor {
	sp := v.spare
	v.spare = nil
	if sp != nil && fits(sp, v.Value) {
		return sp
	}
	return tensor.New(v.Value.DType(), v.Value.Shape()...)
}

// accumulate adds g to v.Grad. owned says whether g was made by the engine
// for v alone, so that it may later be updated in place; a gradient a gate
// returned may be shared (Add hands dout to both inputs) and is copied
// before it is ever written.
func accumulate(v *Var, g *tensor.Tensor, owned bool) {
	if v.gate == nil {
		// A leaf keeps its gradient after the pass, and past its graph's
		// Reset: give it a buffer of its own in ordinary memory.
		switch {
		case v.Grad == nil:
			if owned && g.Arena() == nil && v.spare == nil {
				v.Grad = g
			} else {
				v.Grad = tensor.CopyTo(leafBuffer(v), g)
			}
			v.gradOwned = true
		case v.gradOwned:
			tensor.AddTo(v.Grad, v.Grad, g)
		default:
			v.Grad = tensor.AddTo(tensor.New(v.Grad.DType(), v.Grad.Shape()...), v.Grad, g)
			v.gradOwned = true
		}
		return
	}
	switch {
	case v.Grad == nil:
		v.Grad, v.gradOwned = g, owned
	case v.gradOwned:
		tensor.AddTo(v.Grad, v.Grad, g)
	default:
		v.Grad, v.gradOwned = tensor.Add(v.Grad, g), true
	}
}
