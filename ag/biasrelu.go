package ag

import "backprop/tensor"

// BiasReLU returns max(x + b, 0), where the bias b is a row broadcast over
// the rows of x (b has x's last size), as one fused gate: the bias add and
// activation of a hidden layer in one pass. NaN propagates as in ReLU.
//
//	forward:  y = max(x + b, 0)
//	backward: ∂L/∂x = 0 where y ≤ 0, else ∂L/∂y   (max routes the gradient)
//	          ∂L/∂b = Σ_rows ∂L/∂x                 (add distributes it; the
//	                                                column sum is the gate's)
//
//go:noinline
func BiasReLU(x, b *Var) *Var { return Apply(&biasReLUGate{}, x, b) }

type biasReLUGate struct {
	y    *tensor.Tensor
	bias []int // the shape of b
	grads2
}

func (g *biasReLUGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.bias = in[1].Shape()
	g.y = tensor.BiasReLU(in[0], in[1])
	return g.y
}

func (g *biasReLUGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.backwardAcc(dy, need, nil)
}

// backwardAcc adds the bias gradient into the bias's buffer when the
// engine offers it (see accGate).
func (g *biasReLUGate) backwardAcc(dy *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	dx := tensor.ReLUBackward(g.y, dy)
	var db *tensor.Tensor
	if need[1] {
		if acc != nil && acc[1] != nil {
			db = tensor.SumRowsAddTo(acc[1], dx)
		} else {
			db = tensor.ReduceTo(tensor.NewLike(dx, g.bias...), dx)
		}
	}
	if !need[0] {
		dx = nil
	}
	return g.grads(dx, db)
}

func (*biasReLUGate) Info() Info {
	return Info{"biasReLU", "+b relu", "bias add distributes, relu routes: the gradient passes where the output is positive"}
}
