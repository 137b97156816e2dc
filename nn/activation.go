package nn

import "backprop/ag"

// ReLU is the module form of ag.ReLU: max(x, 0).
type ReLU struct{ stateless }

// Forward returns max(x, 0).
func (ReLU) Forward(x *ag.Var) *ag.Var { return ag.ReLU(x) }

// Sigmoid is the module form of ag.Sigmoid: 1 / (1 + e⁻ˣ).
type Sigmoid struct{ stateless }

// Forward returns σ(x).
func (Sigmoid) Forward(x *ag.Var) *ag.Var { return ag.Sigmoid(x) }

// Tanh is the module form of ag.Tanh.
type Tanh struct{ stateless }

// Forward returns tanh(x).
func (Tanh) Forward(x *ag.Var) *ag.Var { return ag.Tanh(x) }

// LeakyReLU is the module form of ag.LeakyReLU: x where x > 0, Slope·x
// elsewhere (PyTorch's default slope is 0.01).
type LeakyReLU struct {
	stateless
	Slope float64
}

// Forward returns x where x > 0 and Slope·x elsewhere.
func (l LeakyReLU) Forward(x *ag.Var) *ag.Var { return ag.LeakyReLU(x, l.Slope) }

// ELUModule is the module form of ELU with parameter Alpha.
type ELUModule struct {
	stateless
	Alpha float64
}

// Forward returns ELU(x, Alpha).
func (e ELUModule) Forward(x *ag.Var) *ag.Var { return ELU(x, e.Alpha) }

// MaxoutModule is the module form of Maxout: it reduces the last axis by
// a factor K, so it follows a Linear layer K times as wide as the output.
type MaxoutModule struct {
	stateless
	K int
}

// Forward returns Maxout(x, K).
func (m MaxoutModule) Forward(x *ag.Var) *ag.Var { return Maxout(x, m.K) }

// GELU is the module form of ag.GELU: x·Φ(x), PyTorch's nn.GELU, or with
// Tanh its approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))), PyTorch's
// nn.GELU(approximate='tanh').
type GELU struct {
	stateless
	Tanh bool
}

// Forward returns GELU(x).
func (g GELU) Forward(x *ag.Var) *ag.Var { return ag.GELU(x, g.Tanh) }
