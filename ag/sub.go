package ag

import "backprop/tensor"

// Sub returns a − b element-wise, broadcasting as in NumPy.
//
//	forward:  y = a − b
//	backward: ∂L/∂a = ∂L/∂y,  ∂L/∂b = −∂L/∂y
func Sub(a, b *Var) *Var { return Apply(&subGate{}, a, b) }

type subGate struct{}

func (g *subGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	return tensor.Sub(in[0], in[1])
}

func (g *subGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	var db *tensor.Tensor
	if need[1] {
		db = tensor.Neg(dout)
	}
	return []*tensor.Tensor{dout, db}
}
