package ag

import "backprop/tensor"

// LayerNorm normalises every row of the last d elements of x (d the size
// of some trailing axes, PyTorch's normalized_shape), as PyTorch's
// layer_norm; gamma and beta hold d elements each, or are both nil.
//
//	forward:  y = γ ⊙ x̂ + β,  x̂ = (x − μ_r)/√(σ²_r + ε) over each row r
//	backward: one fused pass per row, with g = ∂L/∂y ⊙ γ:
//	          ∂L/∂x = (g − mean(g) − x̂·mean(g ⊙ x̂))/√(σ²_r + ε),
//	          ∂L/∂γ = Σ_r ∂L/∂y ⊙ x̂,  ∂L/∂β = Σ_r ∂L/∂y
//
//go:noinline
func LayerNorm(x, gamma, beta *Var, d int, eps float64) *Var {
	g := &layerNormGate{d: d, eps: eps}
	switch {
	case gamma == nil && beta == nil:
		return Apply(g, x)
	case gamma == nil || beta == nil:
		panic("ag: LayerNorm: give both gamma and beta, or neither")
	}
	return Apply(g, x, gamma, beta)
}

type layerNormGate struct {
	d                      int
	eps                    float64
	x, gamma, mean, invstd *tensor.Tensor
	grads3
}

func (g *layerNormGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	x := in[0]
	var beta *tensor.Tensor
	if len(in) == 3 {
		g.gamma, beta = in[1], in[2]
	}
	g.x = x
	rows := 0
	if g.d > 0 {
		rows = x.Len() / g.d
	}
	g.mean, g.invstd = tensor.NewLike(x, rows), tensor.NewLike(x, rows)
	return tensor.LayerNormTo(tensor.NewLike(x, x.Shape()...), g.mean, g.invstd, x, g.gamma, beta, g.d, g.eps)
}

func (g *layerNormGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.backwardAcc(dy, need, nil)
}

// backwardAcc adds γ's and β's gradients into their buffers when the
// engine offers them (see accGate).
func (g *layerNormGate) backwardAcc(dy *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	dx, dgamma, dbeta, accumulate := normGrads(dy, need, acc, g.gamma)
	tensor.LayerNormBackwardTo(dx, dgamma, dbeta, dy, g.x, g.mean, g.invstd, g.gamma, g.d, accumulate)
	return g.grads(dx, dgamma, dbeta)[:len(need)]
}

func (*layerNormGate) Info() Info {
	return Info{"layerNorm", "layer norm", "layer norm: the gradient is centred and decorrelated from x̂ per row (one fused pass)"}
}

// normGrads returns the gradient tensors of a normalisation gate of
// inputs x[, γ, β]: a zero dx of dy's shape where x needs one, and γ's and
// β's buffers (those the engine offers in acc, else fresh zeros of γ's
// shape) with whether to add into them. One flag covers both, and adding
// into fresh zeros is the same as setting.
func normGrads(dy *tensor.Tensor, need []bool, acc []*tensor.Tensor, gamma *tensor.Tensor) (dx, dgamma, dbeta *tensor.Tensor, accumulate bool) {
	if need[0] {
		dx = tensor.NewLike(dy, dy.Shape()...)
	}
	if len(need) < 3 {
		return dx, nil, nil, false
	}
	if need[1] {
		dgamma = tensor.NewLike(dy, gamma.Shape()...)
		if acc != nil && acc[1] != nil {
			dgamma, accumulate = acc[1], true
		}
	}
	if need[2] {
		dbeta = tensor.NewLike(dy, gamma.Shape()...)
		if acc != nil && acc[2] != nil {
			dbeta, accumulate = acc[2], true
		}
	}
	return dx, dgamma, dbeta, accumulate
}
