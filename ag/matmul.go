package ag

import (
	"slices"

	"backprop/tensor"
)

// MatMul returns the matrix product a·b of 2-d operands, or of batches of
// matrices whose leading dimensions broadcast as in NumPy's matmul.
//
//	forward:  Y = A·B
//	backward: ∂L/∂A = ∂L/∂Y·Bᵀ,  ∂L/∂B = Aᵀ·∂L/∂Y
//
// The transposes are flags of the matrix product, never copies.
func MatMul(a, b *Var) *Var { return MatMulT(a, b, false, false) }

// MatMulT returns op(a)·op(b), where op transposes the last two axes of
// its operand when the flag is set, without copying it. Its backward pass
// picks the flags that give each gradient in the operand's own layout:
//
//	Y = A·B:    ∂A = ∂Y·Bᵀ    ∂B = Aᵀ·∂Y
//	Y = Aᵀ·B:   ∂A = B·∂Yᵀ    ∂B = A·∂Y
//	Y = A·Bᵀ:   ∂A = ∂Y·B     ∂B = ∂Yᵀ·A
//	Y = Aᵀ·Bᵀ:  ∂A = Bᵀ·∂Yᵀ   ∂B = ∂Yᵀ·Aᵀ
func MatMulT(a, b *Var, transA, transB bool) *Var {
	return Apply(matMulGates.with(matMulGate{transA: transA, transB: transB}), a, b)
}

type matMulGate struct {
	transA, transB bool
	a, b           *tensor.Tensor
	grads          [2]*tensor.Tensor
}

func (g *matMulGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.a, g.b = in[0], in[1]
	return tensor.MatMul(in[0], in[1], g.transA, g.transB)
}

func (g *matMulGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return slices.Clone(g.backwardAcc(dout, need, nil))
}

func (g *matMulGate) backwardAcc(dout *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	// mm is the gradient of input i, op(x)·op(y), added straight into
	// the input's gradient buffer when the engine offers one and no batch
	// axes need summing.
	mm := func(i int, x, y *tensor.Tensor, tx, ty bool) *tensor.Tensor {
		if !need[i] {
			return nil
		}
		if acc != nil && acc[i] != nil && x.Dims() == 2 && y.Dims() == 2 {
			return tensor.MatMulAddTo(acc[i], x, y, tx, ty)
		}
		return tensor.MatMul(x, y, tx, ty)
	}
	gr := g.grads[:]
	switch {
	case !g.transA && !g.transB:
		gr[0], gr[1] = mm(0, dout, g.b, false, true), mm(1, g.a, dout, true, false)
	case g.transA && !g.transB:
		gr[0], gr[1] = mm(0, g.b, dout, false, true), mm(1, g.a, dout, false, false)
	case !g.transA && g.transB:
		gr[0], gr[1] = mm(0, dout, g.b, false, false), mm(1, dout, g.a, true, false)
	default:
		gr[0], gr[1] = mm(0, g.b, dout, true, true), mm(1, dout, g.a, true, true)
	}
	// A 2-d operand used against a batch gets a batched gradient; the
	// engine sums it over the batch axes.
	return gr
}

var matMulGates gatePool[matMulGate]
