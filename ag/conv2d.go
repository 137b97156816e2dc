package ag

import "backprop/tensor"

// Conv2d returns the 2-d convolution (cross-correlation, as in PyTorch) of
// the images x, [N, C, H, W], with the weights w, [K, C/groups, R, S], plus
// the bias b, [K], if b is not nil; p gives the stride, padding, dilation
// and groups. The products run on the packed GEMM over blocks of the
// unfolded images, never a graph of windows.
//
//	forward:  Y = W ⋆ X + b
//	backward: ∂L/∂X = Wᵀ ⋆ ∂L/∂Y (the transposed convolution),
//	          ∂L/∂W = ∂L/∂Y ⋆ X (summed over the batch),
//	          ∂L/∂b = Σ_{n,y,x} ∂L/∂Y   (each weight is shared by every
//	          window, so its gradient sums theirs: add distributes)
//
//go:noinline
func Conv2d(x, w, b *Var, p tensor.ConvParams) *Var {
	if b == nil {
		return Apply(&conv2dGate{p: p}, x, w)
	}
	return Apply(&conv2dGate{p: p}, x, w, b)
}

type conv2dGate struct {
	p    tensor.ConvParams
	x, w *tensor.Tensor
	grads3
}

func (g *conv2dGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x, g.w = in[0], in[1]
	if len(in) == 3 {
		return tensor.Conv2dBias(g.x, g.w, in[2], g.p)
	}
	return tensor.Conv2d(g.x, g.w, g.p)
}

func (g *conv2dGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.backwardAcc(dy, need, nil)
}

// backwardAcc adds the weight's and the bias's gradients into their
// buffers when the engine offers them (see accGate).
func (g *conv2dGate) backwardAcc(dy *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	var dx, dw, db *tensor.Tensor
	if need[0] {
		dx = tensor.Conv2dBackwardData(dy, g.w, g.x.Shape(), g.p)
	}
	if need[1] {
		if acc != nil && acc[1] != nil {
			dw = tensor.Conv2dBackwardWeightTo(acc[1], dy, g.x, g.p, true)
		} else {
			dw = tensor.Conv2dBackwardWeight(dy, g.x, g.w.Shape(), g.p)
		}
	}
	if len(need) == 3 && need[2] {
		if acc != nil && acc[2] != nil {
			db = tensor.Conv2dBackwardBiasTo(acc[2], dy, true)
		} else {
			db = tensor.Conv2dBackwardBias(dy)
		}
	}
	out := g.grads(dx, dw, db)
	return out[:len(need)]
}

func (*conv2dGate) Info() Info {
	return Info{"conv2d", "conv", "conv: ∂/∂X is the transposed convolution with W, ∂/∂W sums ∂L/∂Y ⋆ X over the windows (shared weights add up)"}
}
