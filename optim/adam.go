package optim

import (
	"math"

	"backprop/ag"
	"backprop/tensor"
)

// RMSProp divides the gradient by a running root mean square of recent
// gradients. Each step:
//
//	g ← g + λθ                 (weight decay, when λ = WeightDecay > 0)
//	s ← αs + (1−α)g²           (s starts at 0; α = Alpha, default 0.99)
//	θ ← θ − ηg / (√s + ε)      (ε = Eps, default 1e-8)
type RMSProp struct {
	base
	Alpha, Eps, WeightDecay float64
	s                       []*tensor.Tensor
}

// NewRMSProp returns RMSProp with learning rate lr and PyTorch's defaults
// α = 0.99, ε = 1e-8.
func NewRMSProp(params []*ag.Var, lr float64) *RMSProp {
	return &RMSProp{base: base{params: params, lr: lr}, Alpha: 0.99, Eps: 1e-8, s: states(params)}
}

// Step applies one update.
func (o *RMSProp) Step() {
	lr, a, eps, wd := o.lr, o.Alpha, o.Eps, o.WeightDecay
	each("RMSProp", o.params, o.s, nil,
		func(_ int, th, g, s, _ []float32) { rmsprop(th, g, s, lr, a, eps, wd) },
		func(_ int, th, g, s, _ []float64) { rmsprop(th, g, s, lr, a, eps, wd) })
}

func rmsprop[T float32 | float64](th, g, s []T, lr, a, eps, wd float64) {
	g, s = g[:len(th)], s[:len(th)]
	for i := range th {
		gi := float64(g[i]) + wd*float64(th[i])
		si := a*float64(s[i]) + (1-a)*gi*gi
		s[i] = T(si)
		th[i] = T(float64(th[i]) - lr*gi/(math.Sqrt(si)+eps))
	}
}

// Adam keeps running means of the gradient and of its square, corrects
// their bias toward the initial zeros, and steps by their ratio. Step t of
// a parameter (counting from 1):
//
//	g ← g + λθ                 (L2 weight decay, when λ = WeightDecay > 0)
//	m ← β₁m + (1−β₁)g          (m and v start at 0)
//	v ← β₂v + (1−β₂)g²
//	m̂ = m / (1−β₁ᵗ),  v̂ = v / (1−β₂ᵗ)
//	θ ← θ − η m̂ / (√v̂ + ε)
//
// with PyTorch's defaults β₁ = 0.9, β₂ = 0.999, ε = 1e-8. AdamW differs
// only in how it decays the weights.
//
// As in PyTorch, a parameter without a gradient in a step is left alone,
// and t counts the steps of each parameter, so that one first reached
// late starts with the bias correction of its own first step. For float32
// parameters the arithmetic is float32 in PyTorch's order of operations,
// with the constants (1−β₁, 1−β₂, η/(1−β₁ᵗ), √(1−β₂ᵗ)) computed in float64
// and then rounded, as PyTorch does, so that a float32 trajectory follows
// PyTorch's step after step.
type Adam struct {
	base
	Beta1, Beta2, Eps, WeightDecay float64
	// Decoupled makes this AdamW: the decay is applied to θ directly,
	// θ ← θ − ηλθ, before the Adam step, and is not added to g.
	Decoupled bool
	t         int
	m, v      []*tensor.Tensor
	counts    *tensor.Tensor // float64 [len(params)]: the steps of each parameter
}

// NewAdam returns Adam with learning rate lr and the default β₁, β₂, ε.
func NewAdam(params []*ag.Var, lr float64) *Adam {
	return &Adam{base: base{params: params, lr: lr}, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8,
		m: states(params), v: states(params), counts: tensor.New(tensor.Float64, len(params))}
}

// NewAdamW returns AdamW (Loshchilov and Hutter's decoupled weight decay)
// with learning rate lr and weight decay wd (PyTorch's default is 0.01):
//
//	θ ← θ − ηλθ,  then the Adam step above without the λθ term in g
func NewAdamW(params []*ag.Var, lr, wd float64) *Adam {
	a := NewAdam(params, lr)
	a.WeightDecay, a.Decoupled = wd, true
	return a
}

// Step applies one update.
func (o *Adam) Step() {
	o.t++
	c := adamConsts{lr: o.lr, b1: o.Beta1, b2: o.Beta2, eps: o.Eps}
	if o.Decoupled {
		c.decay = o.lr * o.WeightDecay
	} else {
		c.l2 = o.WeightDecay
	}
	counts := o.counts.Float64s()
	at := func(i int) *adamConsts {
		counts[i]++
		c.bc1 = 1 - math.Pow(o.Beta1, counts[i])
		c.bc2 = 1 - math.Pow(o.Beta2, counts[i])
		return &c
	}
	each("Adam", o.params, o.m, o.v,
		func(i int, th, g, m, v []float32) { adam32(th, g, m, v, at(i)) },
		func(i int, th, g, m, v []float64) { adam(th, g, m, v, at(i)) })
}

type adamConsts struct {
	lr, b1, b2, eps, bc1, bc2, l2, decay float64
}

func adam[T float32 | float64](th, g, m, v []T, c *adamConsts) {
	// The constants in locals, so that the loop keeps them in registers.
	step, b1, b2, nb1, nb2, eps := c.lr/c.bc1, c.b1, c.b2, 1-c.b1, 1-c.b2, c.eps
	sbc2, keep, l2 := math.Sqrt(c.bc2), 1-c.decay, c.l2
	g, m, v = g[:len(th)], m[:len(th)], v[:len(th)]
	for i := range th {
		t := keep * float64(th[i])
		gi := float64(g[i]) + l2*float64(th[i])
		mi := b1*float64(m[i]) + nb1*gi
		vi := b2*float64(v[i]) + nb2*gi*gi
		m[i], v[i] = T(mi), T(vi)
		th[i] = T(t - step*(mi/(math.Sqrt(vi)/sbc2+eps)))
	}
}

// adam32 is adam in float32 arithmetic, as PyTorch computes it for float32
// parameters (single-precision square roots and divisions are several
// times faster than double-precision ones), in PyTorch's order: m and v
// scaled then added to (a fused multiply-add where PyTorch's kernel fuses
// one), the denominator √v/√(1−β₂ᵗ) + ε, and θ − step·(m/denominator).
func adam32(th, g, m, v []float32, c *adamConsts) {
	step, b1, b2, eps := float32(c.lr/c.bc1), float32(c.b1), float32(c.b2), float32(c.eps)
	sbc2, keep, l2 := float32(math.Sqrt(c.bc2)), float32(1-c.decay), float32(c.l2)
	nb1, nb2 := float32(1-c.b1), float32(1-c.b2) // in float64, then rounded
	g, m, v = g[:len(th)], m[:len(th)], v[:len(th)]
	for i := range th {
		t := th[i]
		if keep != 1 {
			t *= keep
		}
		gi := g[i]
		if l2 != 0 {
			gi = fma32(l2, th[i], gi)
		}
		mi := fma32(nb1, gi, b1*m[i])
		vi := b2*v[i] + nb2*gi*gi
		m[i], v[i] = mi, vi
		th[i] = t - step*(mi/(float32(math.Sqrt(float64(vi)))/sbc2+eps))
	}
}

// fma32 returns x·y + z rounded once to float32 (the float64 product of
// two float32 values is exact).
func fma32(x, y, z float32) float32 { return float32(float64(x)*float64(y) + float64(z)) }
