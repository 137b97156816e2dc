package ag

import (
	"fmt"

	"backprop/tensor"
)

// BatchNorm normalises x, [N, C] or [N, C, H, W] (channels on axis 1), per
// channel, as batch normalisation: in training with the batch's mean μ and
// biased variance σ², updating the running statistics (runMean, runVar,
// [C] each) as PyTorch does — run ← (1 − momentum)·run + momentum·stat,
// with the unbiased variance — and in evaluation (training false) with the
// running statistics. gamma and beta, [C], are both nil for no affine
// transform.
//
//	forward:  y = γ·x̂ + β,  x̂ = (x − μ)/√(σ² + ε)
//	backward (training), fused into one pass per channel, the course's
//	          simplified gradient, over the m elements of a channel:
//	          ∂L/∂x = (γ/(m·√(σ² + ε)))·(m·∂L/∂y − Σ∂L/∂y − x̂·Σ(∂L/∂y·x̂)),
//	          ∂L/∂γ = Σ ∂L/∂y·x̂,  ∂L/∂β = Σ ∂L/∂y
//	backward (evaluation): ∂L/∂x = ∂L/∂y·γ/√(runVar + ε), the same ∂L/∂γ
//	          and ∂L/∂β with x̂ from the running statistics
//
//go:noinline
func BatchNorm(x, gamma, beta *Var, runMean, runVar *tensor.Tensor, training bool, momentum, eps float64) *Var {
	g := &batchNormGate{runMean: runMean, runVar: runVar, training: training, momentum: momentum, eps: eps}
	switch {
	case gamma == nil && beta == nil:
		return Apply(g, x)
	case gamma == nil || beta == nil:
		panic("ag: BatchNorm: give both gamma and beta, or neither")
	}
	return Apply(g, x, gamma, beta)
}

type batchNormGate struct {
	runMean, runVar *tensor.Tensor
	training        bool
	momentum, eps   float64
	x, gamma        *tensor.Tensor
	mean, invstd    *tensor.Tensor // [C]: the statistics the output used (in evaluation: the mean and variance)
	grads3
}

func (g *batchNormGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	x := in[0]
	var beta *tensor.Tensor
	if len(in) == 3 {
		g.gamma, beta = in[1], in[2]
	}
	if x.Dims() < 2 {
		panic(&tensor.Error{Op: "BatchNorm", Msg: fmt.Sprintf("input shape %v, want [N C …]", x.Shape())})
	}
	g.x = x
	y := tensor.NewLike(x, x.Shape()...)
	c := x.Dim(1)
	if g.training {
		g.mean, g.invstd = tensor.NewLike(x, c), tensor.NewLike(x, c)
		return tensor.BatchNormTrainTo(y, g.mean, g.invstd, x, g.gamma, beta, g.runMean, g.runVar, g.momentum, g.eps)
	}
	// Evaluation: the statistics are the running ones, copied for the
	// backward pass (mean, and the variance in invstd's place).
	g.mean = tensor.CopyTo(tensor.NewLike(x, c), g.runMean)
	g.invstd = tensor.CopyTo(tensor.NewLike(x, c), g.runVar)
	return tensor.BatchNormEvalTo(y, x, g.gamma, beta, g.runMean, g.runVar, g.eps)
}

func (g *batchNormGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.backwardAcc(dy, need, nil)
}

// backwardAcc adds γ's and β's gradients into their buffers when the
// engine offers them (see accGate).
func (g *batchNormGate) backwardAcc(dy *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	dx, dgamma, dbeta, accumulate := normGrads(dy, need, acc, g.gamma)
	if g.training {
		tensor.BatchNormBackwardTo(dx, dgamma, dbeta, dy, g.x, g.mean, g.invstd, g.gamma, accumulate)
	} else {
		tensor.BatchNormEvalBackwardTo(dx, dgamma, dbeta, dy, g.x, g.gamma, g.mean, g.invstd, g.eps, accumulate)
	}
	return g.grads(dx, dgamma, dbeta)[:len(need)]
}

func (*batchNormGate) Info() Info {
	return Info{"batchNorm", "batch norm", "batch norm: the gradient is centred and decorrelated from x̂ per channel (one fused pass)"}
}
