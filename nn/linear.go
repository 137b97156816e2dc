package nn

import (
	"fmt"
	"math/rand/v2"

	"backprop/ag"
	"backprop/tensor"
)

// Linear is a fully connected layer, y = x·Wᵀ + b, for a batch x of shape
// [N, In], or of any shape ending in In (such as sequences [N, T, In]),
// which it maps over its last axis as PyTorch does. The weight W is stored
// Out×In, as in PyTorch, and the product
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
// A batch of shape [N, In] goes through the fused gate ag.Linear. A batch
// with more axes, such as sequences [N, T, In], applies the layer to the
// last axis, as PyTorch does: viewed as [N·T, In], it goes through the
// same gate, one GEMM for all steps, and comes back as [N, T, Out].
func (l *Linear) Forward(x *ag.Var) *ag.Var {
	x, shape := l.rows(x)
	var y *ag.Var
	if l.Bias == nil {
		y = ag.MatMulT(x, l.Weight, false, true)
	} else if x.Value.Dims() == 2 {
		y = ag.Linear(x, l.Weight, l.Bias)
	} else {
		y = ag.Add(ag.MatMulT(x, l.Weight, false, true), l.Bias)
	}
	return l.unrows(y, shape)
}

// rows returns x, of more than two axes, viewed as rows [−1, In] with
// its shape; other inputs unchanged, with a nil shape.
func (l *Linear) rows(x *ag.Var) (*ag.Var, []int) {
	if x.Value.Dims() <= 2 {
		return x, nil
	}
	return ag.Reshape(x, -1, x.Value.Dim(-1)), x.Shape()
}

// unrows gives y, the rows made from an input of shape (nil: y
// unchanged), that shape with the last axis Out.
func (l *Linear) unrows(y *ag.Var, shape []int) *ag.Var {
	if shape == nil {
		return y
	}
	out := append(append([]int(nil), shape[:len(shape)-1]...), l.Weight.Value.Dim(0))
	return ag.Reshape(y, out...)
}

// forwardReLU returns max(x·Wᵀ + b, 0) with the bias and activation fused.
func (l *Linear) forwardReLU(x *ag.Var) *ag.Var {
	x, shape := l.rows(x)
	if l.Bias == nil {
		return l.unrows(ag.ReLU(ag.MatMulT(x, l.Weight, false, true)), shape)
	}
	return l.unrows(ag.BiasReLU(ag.MatMulT(x, l.Weight, false, true), l.Bias), shape)
}

// Parameters returns "weight" and, with a bias, "bias".
func (l *Linear) Parameters() []Parameter {
	if l.Bias == nil {
		return []Parameter{{"weight", l.Weight}}
	}
	return []Parameter{{"weight", l.Weight}, {"bias", l.Bias}}
}
