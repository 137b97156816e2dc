package ag

import "backprop/tensor"

// Log returns the natural logarithm of x element-wise.
//
//	forward:  y = ln x
//	backward: ∂L/∂x = ∂L/∂y / x
//
//go:noinline
func Log(x *Var) *Var { return Apply(&logGate{}, x) }

type logGate struct {
	x *tensor.Tensor
	grads1
}

func (g *logGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x = in[0]
	return tensor.Log(g.x)
}

func (g *logGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.grads(tensor.Div(dy, g.x))
}

func (*logGate) Info() Info { return Info{"log", "log", "log: the local gradient is 1/x"} }
