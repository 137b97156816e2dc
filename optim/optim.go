package optim

import (
	"fmt"
	"math"

	"backprop/ag"
	"backprop/tensor"
)

// Optimizer updates a set of parameters from their gradients.
type Optimizer interface {
	// Step updates every parameter that has a gradient, in place.
	Step()
	// ZeroGrad clears the gradients of the parameters.
	ZeroGrad()
	// LR returns the learning rate, and SetLR changes it for the next
	// steps (as a schedule does).
	LR() float64
	SetLR(lr float64)
}

// base holds what every optimizer has.
type base struct {
	params []*ag.Var
	lr     float64
}

// ZeroGrad clears the gradients of the parameters.
func (b *base) ZeroGrad() { ag.ZeroGrad(b.params...) }

// LR returns the learning rate.
func (b *base) LR() float64 { return b.lr }

// SetLR sets the learning rate of the next steps.
func (b *base) SetLR(lr float64) { b.lr = lr }

// Params returns the parameters the optimizer updates.
func (b *base) Params() []*ag.Var { return b.params }

// states returns a zero state tensor per parameter.
func states(ps []*ag.Var) []*tensor.Tensor {
	s := make([]*tensor.Tensor, len(ps))
	for i, p := range ps {
		s[i] = tensor.ZerosLike(p.Value)
	}
	return s
}

// checkGrad panics if p's gradient does not match its value.
func checkGrad(op string, i int, p *ag.Var) {
	if p.Grad.DType() != p.Value.DType() || !tensor.SameShape(p.Grad.Shape(), p.Value.Shape()) {
		panic(fmt.Sprintf("optim: %s: parameter %d is %v%v but its gradient is %v%v",
			op, i, p.Value.DType(), p.Value.Shape(), p.Grad.DType(), p.Grad.Shape()))
	}
}

// each calls f32 or f64 with the index of every parameter that has a
// gradient and the storage of its value, gradient and states; parameters
// without a gradient (none reached them, see ag.ZeroGrad) are left alone,
// state included.
func each(op string, params []*ag.Var, st1, st2 []*tensor.Tensor,
	f32 func(i int, th, g, a, b []float32), f64 func(i int, th, g, a, b []float64)) {
	for i, p := range params {
		if p.Grad == nil {
			continue
		}
		checkGrad(op, i, p)
		var a, b *tensor.Tensor
		if st1 != nil {
			a = st1[i]
		}
		if st2 != nil {
			b = st2[i]
		}
		if p.Value.DType() == tensor.Float32 {
			f32(i, p.Value.Float32s(), p.Grad.Float32s(), s32(a), s32(b))
		} else {
			f64(i, p.Value.Float64s(), p.Grad.Float64s(), s64(a), s64(b))
		}
	}
}

func s32(t *tensor.Tensor) []float32 {
	if t == nil {
		return nil
	}
	return t.Float32s()
}

func s64(t *tensor.Tensor) []float64 {
	if t == nil {
		return nil
	}
	return t.Float64s()
}

// ClipGradNorm scales the gradients of params so that their global L2
// norm, √(Σ over all parameters and elements of g²), is at most maxNorm:
// when it is larger, every g becomes g·maxNorm/(norm + 1e-6), as in
// PyTorch's clip_grad_norm_. It returns the norm before clipping.
func ClipGradNorm(params []*ag.Var, maxNorm float64) float64 {
	ss := 0.0
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		if p.Grad.DType() == tensor.Float32 {
			for _, v := range p.Grad.Float32s() {
				ss += float64(v) * float64(v)
			}
		} else {
			for _, v := range p.Grad.Float64s() {
				ss += v * v
			}
		}
	}
	norm := math.Sqrt(ss)
	if norm > maxNorm {
		s := maxNorm / (norm + 1e-6)
		for _, p := range params {
			if p.Grad != nil {
				tensor.ScaleTo(p.Grad, p.Grad, s)
			}
		}
	}
	return norm
}
