package ag

import "backprop/tensor"

// Abs returns |x| element-wise.
//
//	forward:  y = |x|
//	backward: ∂L/∂x = ∂L/∂y ⊙ sign(x)   (0 at x = 0)
func Abs(x *Var) *Var { return Apply(absGates.get(), x) }

type absGate struct{ x *tensor.Tensor }

func (g *absGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x = in[0]
	return tensor.Abs(in[0])
}

func (g *absGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.Sign(g.x)
	return []*tensor.Tensor{tensor.MulTo(dx, dx, dout)}
}

var absGates gatePool[absGate]
