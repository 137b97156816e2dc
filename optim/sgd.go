package optim

import (
	"backprop/ag"
	"backprop/tensor"
)

// SGD is stochastic gradient descent with optional weight decay, momentum
// and Nesterov momentum. Each step, for every parameter θ with gradient g:
//
//	g ← g + λθ                 (weight decay, when λ = WeightDecay > 0)
//	v ← μv + g                 (momentum, when μ = Momentum > 0; v starts at 0)
//	g ← g + μv  (Nesterov)  or  g ← v
//	θ ← θ − ηg
//
// This is PyTorch's formulation (dampening 0); Nesterov's look-ahead
// gradient is rewritten so that only the current gradient is needed.
type SGD struct {
	base
	Momentum    float64
	Nesterov    bool
	WeightDecay float64
	v           []*tensor.Tensor
}

// NewSGD returns plain SGD with learning rate lr; set Momentum, Nesterov
// and WeightDecay on the result.
func NewSGD(params []*ag.Var, lr float64) *SGD {
	return &SGD{base: base{params: params, lr: lr}, v: states(params)}
}

// Step applies one update.
func (o *SGD) Step() {
	lr, mu, wd, nest := o.lr, o.Momentum, o.WeightDecay, o.Nesterov
	each("SGD", o.params, o.v, nil,
		func(th, g, v, _ []float32) { sgd(th, g, v, lr, mu, wd, nest) },
		func(th, g, v, _ []float64) { sgd(th, g, v, lr, mu, wd, nest) })
}

func sgd[T float32 | float64](th, g, v []T, lr, mu, wd float64, nesterov bool) {
	v = v[:len(th)]
	g = g[:len(th)]
	for i := range th {
		gi := float64(g[i]) + wd*float64(th[i])
		if mu != 0 {
			vi := mu*float64(v[i]) + gi
			v[i] = T(vi)
			if nesterov {
				gi += mu * vi
			} else {
				gi = vi
			}
		}
		th[i] = T(float64(th[i]) - lr*gi)
	}
}
