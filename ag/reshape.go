package ag

import "backprop/tensor"

// Reshape returns x with a new shape holding the same elements in the same
// order; one dimension may be -1 and is inferred. No data is copied.
//
//	forward:  y = x viewed with the new shape
//	backward: ∂L/∂x = ∂L/∂y viewed with x's shape
//
//go:noinline
func Reshape(x *Var, shape ...int) *Var { return Apply(&reshapeGate{shape: shape}, x) }

type reshapeGate struct {
	shape, inShape []int
	grads1
}

func (g *reshapeGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.inShape = in[0].Shape()
	return in[0].Reshape(g.shape...)
}

func (g *reshapeGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.grads(dy.Reshape(g.inShape...))
}

func (*reshapeGate) Info() Info {
	return Info{"reshape", "reshape", "reshape passes the gradient through, viewed with the input's shape"}
}
