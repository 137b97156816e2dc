package ag

import "backprop/tensor"

// Add returns a + b element-wise, broadcasting as in NumPy.
//
//	forward:  y = a + b
//	backward: ∂L/∂a = ∂L/∂y,  ∂L/∂b = ∂L/∂y   (add distributes the gradient)
func Add(a, b *Var) *Var { return Apply(&addGate{}, a, b) }

type addGate struct{}

func (g *addGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	return tensor.Add(in[0], in[1])
}

func (g *addGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return []*tensor.Tensor{dout, dout}
}
