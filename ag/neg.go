package ag

import "backprop/tensor"

// Neg returns −x.
//
//	forward:  y = −x
//	backward: ∂L/∂x = −∂L/∂y
func Neg(x *Var) *Var { return Apply(&negGate{}, x) }

type negGate struct{}

func (g *negGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	return tensor.Neg(in[0])
}

func (g *negGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return []*tensor.Tensor{tensor.Neg(dout)}
}
