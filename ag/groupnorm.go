package ag

import "backprop/tensor"

// GroupNorm normalises x, [N, C, …], over each group of C/groups channels
// of each image, as PyTorch's group_norm; gamma and beta, [C], are both
// nil for no affine transform.
//
//	forward:  y = γ_c·x̂ + β_c,  x̂ = (x − μ_{n,g})/√(σ²_{n,g} + ε)
//	backward: one fused pass per group of an image, with g = ∂L/∂y·γ_c:
//	          ∂L/∂x = (g − mean(g) − x̂·mean(g·x̂))/√(σ² + ε) over the group,
//	          ∂L/∂γ_c = Σ ∂L/∂y·x̂,  ∂L/∂β_c = Σ ∂L/∂y
//
//go:noinline
func GroupNorm(x, gamma, beta *Var, groups int, eps float64) *Var {
	g := &groupNormGate{groups: groups, eps: eps}
	switch {
	case gamma == nil && beta == nil:
		return Apply(g, x)
	case gamma == nil || beta == nil:
		panic("ag: GroupNorm: give both gamma and beta, or neither")
	}
	return Apply(g, x, gamma, beta)
}

type groupNormGate struct {
	groups                 int
	eps                    float64
	x, gamma, mean, invstd *tensor.Tensor
	grads3
}

func (g *groupNormGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	x := in[0]
	var beta *tensor.Tensor
	if len(in) == 3 {
		g.gamma, beta = in[1], in[2]
	}
	g.x = x
	n := 0
	if x.Dims() > 0 {
		n = x.Dim(0)
	}
	g.mean, g.invstd = tensor.NewLike(x, n*g.groups), tensor.NewLike(x, n*g.groups)
	return tensor.GroupNormTo(tensor.NewLike(x, x.Shape()...), g.mean, g.invstd, x, g.gamma, beta, g.groups, g.eps)
}

func (g *groupNormGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.backwardAcc(dy, need, nil)
}

// backwardAcc adds γ's and β's gradients into their buffers when the
// engine offers them (see accGate).
func (g *groupNormGate) backwardAcc(dy *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	dx, dgamma, dbeta, accumulate := normGrads(dy, need, acc, g.gamma)
	tensor.GroupNormBackwardTo(dx, dgamma, dbeta, dy, g.x, g.mean, g.invstd, g.gamma, g.groups, accumulate)
	return g.grads(dx, dgamma, dbeta)[:len(need)]
}

func (*groupNormGate) Info() Info {
	return Info{"groupNorm", "group norm", "group norm: the gradient is centred and decorrelated from x̂ per group (one fused pass)"}
}
