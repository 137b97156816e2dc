package ag

import "backprop/tensor"

// routeMask sends dout to input 0 where mask is 1 and to input 1 where it
// is 0: the backward pass of the gates that pick one of two values.
func routeMask(mask, dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	var da, db *tensor.Tensor
	if need[0] {
		da = tensor.Mul(dout, mask)
	}
	if need[1] {
		db = tensor.AddScalar(tensor.Neg(mask), 1)
		tensor.MulTo(db, db, dout)
	}
	return []*tensor.Tensor{da, db}
}
