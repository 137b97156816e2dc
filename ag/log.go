package ag

import "backprop/tensor"

// Log returns the natural logarithm of x element-wise.
//
//	forward:  y = ln x
//	backward: ∂L/∂x = ∂L/∂y / x
func Log(x *Var) *Var { return Apply(logGates.get(), x) }

type logGate struct{ x *tensor.Tensor }

func (g *logGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x = in[0]
	return tensor.Log(in[0])
}

func (g *logGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return []*tensor.Tensor{tensor.Div(dout, g.x)}
}

var logGates gatePool[logGate]
