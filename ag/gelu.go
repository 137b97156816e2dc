package ag

import "backprop/tensor"

// GELU returns the Gaussian error linear unit of x, element-wise: the
// input weighted by the probability that a standard normal variable is
// below it. Without approx it is PyTorch's default, exact form; with
// approx, the tanh form of PyTorch's approximate='tanh' (within about
// 5·10⁻⁴ of the exact one).
//
//	forward:  y = x·Φ(x) = ½x(1 + erf(x/√2))
//	          y ≈ ½x(1 + tanh(√(2/π)(x + 0.044715x³)))   (approx)
//	backward: ∂L/∂x = ∂L/∂y ⊙ (Φ(x) + x·φ(x)),  φ(x) = e^(−x²/2)/√(2π)
//	          ∂L/∂x = ∂L/∂y ⊙ (½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 0.134145x²)),
//	          t = tanh(√(2/π)(x + 0.044715x³))             (approx)
//
// Backward uses the saved input: GELU is not a function of its output.
//
//go:noinline
func GELU(x *Var, approx bool) *Var { return Apply(&geluGate{approx: approx}, x) }

type geluGate struct {
	approx bool
	x      *tensor.Tensor
	grads1
}

func (g *geluGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x = in[0]
	return tensor.GELU(in[0], g.approx)
}

func (g *geluGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.grads(tensor.GELUBackward(g.x, dy, g.approx))
}

func (*geluGate) Info() Info {
	return Info{"gelu", "gelu", "gelu: the local gradient Φ(x) + x·φ(x), from the input"}
}
