package ag

import "backprop/tensor"

// Maximum returns the element-wise maximum of a and b, broadcasting as in
// NumPy.
//
//	forward:  y = max(a, b)
//	backward: ∂L/∂a = ∂L/∂y where a ≥ b, else 0;  ∂L/∂b = ∂L/∂y where a < b
//	          (max routes the gradient to the larger input; ties go to a)
func Maximum(a, b *Var) *Var { return Apply(maximumGates.get(), a, b) }

type maximumGate struct{ mask *tensor.Tensor }

func (g *maximumGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.mask = tensor.GreaterEqual(in[0], in[1])
	return tensor.Maximum(in[0], in[1])
}

func (g *maximumGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return routeMask(g.mask, dout, need)
}

var maximumGates gatePool[maximumGate]
