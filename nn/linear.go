package nn

import (
	"fmt"
	"math/rand/v2"

	"backprop/ag"
	"backprop/tensor"
)

// Linear is a fully connected layer, y = x·Wᵀ + b, for a batch x of shape
// [N, In], or of any shape ending in In (such as sequences [N, T, In]),
// which it maps over its last axis as PyTorch does. The weight W is stored Out×In, as in PyTorch, and the product
// uses the transpose flag of the matrix multiplication (ag.MatMulT), not a
// transposed copy.
type Linear struct {
	stateless
	In, Out int
	Weight  *ag.Var // [Out, In]
	Bias    *ag.Var // [Out], or nil for a layer without bias (PyTorch's bias=False)
}

// NewLinear returns a Float32 Linear layer whose weights init draws from
// rng (nil means HeUniform) and whose biases are zero.
func NewLinear(rng *rand.Rand, in, out int, init Init) *Linear {
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("nn: NewLinear: sizes %d→%d", in, out))
	}
	if init == nil {
		init = HeUniform
	}
	w := tensor.New(tensor.Float32, out, in)
	init(rng, w)
	return &Linear{In: in, Out: out,
		Weight: ag.Param(w), Bias: ag.Param(tensor.New(tensor.Float32, out))}
}

// Forward returns x·Wᵀ + b.
//
//	forward:  y = x·Wᵀ + b          (b broadcast over the rows)
//	backward: ∂L/∂x = ∂L/∂y·W,  ∂L/∂W = (∂L/∂y)ᵀ·x,  ∂L/∂b = Σ_rows ∂L/∂y
//
// A batch of shape [N, In] goes through the fused gate ag.Linear, and so
// does one of more axes, seen as [N·T·…, In] and shaped back: one GEMM,
// not a batch of small ones. A vector goes through ag.MatMulT and ag.Add.
func (l *Linear) Forward(x *ag.Var) *ag.Var {
	if l.Bias == nil {
		return ag.MatMulT(x, l.Weight, false, true)
	}
	switch sh := x.Shape(); {
	case len(sh) == 2:
		return ag.Linear(x, l.Weight, l.Bias)
	case len(sh) > 2 && sh[len(sh)-1] == l.In:
		out := append([]int(nil), sh...)
		out[len(out)-1] = l.Out
		return ag.Reshape(ag.Linear(ag.Reshape(x, -1, l.In), l.Weight, l.Bias), out...)
	}
	return ag.Add(ag.MatMulT(x, l.Weight, false, true), l.Bias)
}

// forwardReLU returns max(x·Wᵀ + b, 0) with the bias and activation fused.
func (l *Linear) forwardReLU(x *ag.Var) *ag.Var {
	if l.Bias == nil {
		return ag.ReLU(ag.MatMulT(x, l.Weight, false, true))
	}
	return ag.BiasReLU(ag.MatMulT(x, l.Weight, false, true), l.Bias)
}

// Parameters returns "weight" and, with a bias, "bias".
func (l *Linear) Parameters() []Parameter {
	if l.Bias == nil {
		return []Parameter{{"weight", l.Weight}}
	}
	return []Parameter{{"weight", l.Weight}, {"bias", l.Bias}}
}
