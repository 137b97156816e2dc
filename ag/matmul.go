package ag

import "backprop/tensor"

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
	return Apply(&matMulGate{transA: transA, transB: transB}, a, b)
}

type matMulGate struct {
	transA, transB bool
	a, b           *tensor.Tensor
}

func (g *matMulGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.a, g.b = in[0], in[1]
	return tensor.MatMul(in[0], in[1], g.transA, g.transB)
}

func (g *matMulGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	var da, db *tensor.Tensor
	switch {
	case !g.transA && !g.transB:
		if need[0] {
			da = tensor.MatMul(dout, g.b, false, true)
		}
		if need[1] {
			db = tensor.MatMul(g.a, dout, true, false)
		}
	case g.transA && !g.transB:
		if need[0] {
			da = tensor.MatMul(g.b, dout, false, true)
		}
		if need[1] {
			db = tensor.MatMul(g.a, dout, false, false)
		}
	case !g.transA && g.transB:
		if need[0] {
			da = tensor.MatMul(dout, g.b, false, false)
		}
		if need[1] {
			db = tensor.MatMul(dout, g.a, true, false)
		}
	default:
		if need[0] {
			da = tensor.MatMul(g.b, dout, true, true)
		}
		if need[1] {
			db = tensor.MatMul(dout, g.a, true, true)
		}
	}
	// A 2-d operand used against a batch gets a batched gradient; the
	// engine sums it over the batch axes.
	return []*tensor.Tensor{da, db}
}
