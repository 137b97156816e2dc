package ag

import "backprop/tensor"

// Mean returns the mean of x over axes (every element when none are
// given), keeping the reduced axes as size 1 if keepdims.
//
//	forward:  y = (1/n) Σ x over the axes, n elements per output
//	backward: ∂L/∂x = ∂L/∂y / n broadcast back along the reduced axes
//
//go:noinline
func Mean(x *Var, keepdims bool, axes ...int) *Var {
	return Apply(&meanGate{keepdims: keepdims, axes: axes}, x)
}

type meanGate struct {
	keepdims bool
	axes     []int
	shape    []int
	scale    float64
	grads1
}

func (g *meanGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.shape = in[0].Shape()
	y := tensor.Mean(in[0], g.keepdims, g.axes...)
	if in[0].Len() > 0 {
		g.scale = float64(y.Len()) / float64(in[0].Len())
	}
	return y
}

func (g *meanGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := expandReduced(dy, g.shape, g.axes)
	return g.grads(tensor.ScaleTo(dx, dx, g.scale))
}

func (*meanGate) Info() Info {
	return Info{"mean", "mean", "mean distributes: every input element gets the upstream gradient over n"}
}
