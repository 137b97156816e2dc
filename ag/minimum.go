package ag

import "backprop/tensor"

// Minimum returns the element-wise minimum of a and b, broadcasting as in
// NumPy.
//
//	forward:  y = min(a, b)
//	backward: ∂L/∂a = ∂L/∂y where a ≤ b, else 0;  ∂L/∂b = ∂L/∂y where a > b
//	          (min routes the gradient to the smaller input; ties go to a)
func Minimum(a, b *Var) *Var { return Apply(minimumGates.get(), a, b) }

type minimumGate struct{ mask *tensor.Tensor }

func (g *minimumGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.mask = tensor.LessEqual(in[0], in[1])
	return tensor.Minimum(in[0], in[1])
}

func (g *minimumGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return routeMask(g.mask, dout, need)
}

var minimumGates gatePool[minimumGate]
