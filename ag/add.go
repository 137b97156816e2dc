package ag

import "backprop/tensor"

// Add returns a + b element-wise, broadcasting as in NumPy.
//
//	forward:  y = a + b
//	backward: ∂L/∂a = ∂L/∂y,  ∂L/∂b = ∂L/∂y   (add distributes the gradient)
//
//go:noinline
func Add(a, b *Var) *Var { return Apply(&addGate{}, a, b) }

type addGate struct{ grads2 }

func (g *addGate) Forward(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Add(in[0], in[1]) }

func (g *addGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.grads(dy, dy) // the engine copies a shared gradient before it writes it
}

func (*addGate) Info() Info {
	return Info{"add", "+", "add distributes: both inputs get the upstream gradient unchanged"}
}
