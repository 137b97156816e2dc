package ag

import "backprop/tensor"

// grads1, grads2 and grads3 hold the gradients a built-in gate returns:
// the engine reads them before it calls the gate again, so returning them
// from the gate's own storage allocates nothing.
type grads1 struct{ g [1]*tensor.Tensor }

func (s *grads1) grads(a *tensor.Tensor) []*tensor.Tensor {
	s.g = [1]*tensor.Tensor{a}
	return s.g[:]
}

type grads2 struct{ g [2]*tensor.Tensor }

func (s *grads2) grads(a, b *tensor.Tensor) []*tensor.Tensor {
	s.g = [2]*tensor.Tensor{a, b}
	return s.g[:]
}

type grads3 struct{ g [3]*tensor.Tensor }

func (s *grads3) grads(a, b, c *tensor.Tensor) []*tensor.Tensor {
	s.g = [3]*tensor.Tensor{a, b, c}
	return s.g[:]
}
