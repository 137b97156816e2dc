package ag

import "backprop/tensor"

// MatMul returns the matrix product a·b of 2-d operands, of batches of
// matrices whose leading dimensions broadcast as in NumPy's matmul, or
// with a 1-d operand as in NumPy: a vector a is a row (vector·matrix), a
// vector b a column (matrix·vector), two vectors give their dot product.
//
//	forward:  Y = A·B
//	backward: ∂L/∂A = ∂L/∂Y·Bᵀ,  ∂L/∂B = Aᵀ·∂L/∂Y   (matmul swaps its inputs)
//
// The transposes are flags of the matrix product, never copies.
func MatMul(a, b *Var) *Var { return MatMulT(a, b, false, false) }

// MatMulT returns op(a)·op(b), where op transposes the last two axes of
// its operand when the flag is set, without copying it (a 1-d operand is
// a vector, as in MatMul, and its flag is ignored). Its backward pass
// picks the flags that give each gradient in the operand's own layout:
//
//	Y = A·B:    ∂A = ∂Y·Bᵀ    ∂B = Aᵀ·∂Y
//	Y = Aᵀ·B:   ∂A = B·∂Yᵀ    ∂B = A·∂Y
//	Y = A·Bᵀ:   ∂A = ∂Y·B     ∂B = ∂Yᵀ·A
//	Y = Aᵀ·Bᵀ:  ∂A = Bᵀ·∂Yᵀ   ∂B = ∂Yᵀ·Aᵀ
//
//go:noinline
func MatMulT(a, b *Var, transA, transB bool) *Var {
	return Apply(&matMulGate{transA: transA, transB: transB}, a, b)
}

type matMulGate struct {
	transA, transB bool
	a, b           *tensor.Tensor
	grads2
}

func (g *matMulGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.a, g.b = in[0], in[1]
	return tensor.MatMul(g.a, g.b, g.transA, g.transB)
}

func (g *matMulGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.backwardAcc(dy, need, nil)
}

// backwardAcc adds a 2-d operand's gradient into its buffer with GEMM's
// β = 1 when the engine offers one (see accGate).
func (g *matMulGate) backwardAcc(dy *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	a, b, ta, tb := g.a, g.b, g.transA, g.transB
	// Vectors take part as the matrices they stand for: a as a row, b as a
	// column, with the axis that Y left out put back.
	if a.Dims() == 1 {
		a, ta = a.Reshape(1, a.Dim(0)), false
		dy = dy.Reshape(insertAxis(dy.Shape(), dy.Dims()-boolInt(b.Dims() > 1))...)
	}
	if b.Dims() == 1 {
		b, tb = b.Reshape(b.Dim(0), 1), false
		dy = dy.Reshape(append(dy.Shape(), 1)...)
	}
	mm := func(i int, x, y *tensor.Tensor, tx, ty bool) *tensor.Tensor {
		if !need[i] {
			return nil
		}
		if acc != nil && acc[i] != nil && x.Dims() == 2 && y.Dims() == 2 && g.a.Dims() == 2 && g.b.Dims() == 2 {
			return tensor.MatMulAddTo(acc[i], x, y, tx, ty)
		}
		return tensor.MatMul(x, y, tx, ty)
	}
	var da, db *tensor.Tensor
	switch {
	case !ta && !tb:
		da, db = mm(0, dy, b, false, true), mm(1, a, dy, true, false)
	case ta && !tb:
		da, db = mm(0, b, dy, false, true), mm(1, a, dy, false, false)
	case !ta && tb:
		da, db = mm(0, dy, b, false, false), mm(1, dy, a, true, false)
	default:
		da, db = mm(0, b, dy, true, true), mm(1, dy, a, true, true)
	}
	// A vector's gradient drops the axis it was given; a 2-d operand used
	// against a batch gets a batched gradient: the engine sums both over
	// the batch axes.
	if da != nil && g.a.Dims() == 1 {
		da = da.Reshape(removeAxis(da.Shape(), da.Dims()-2)...)
	}
	if db != nil && g.b.Dims() == 1 {
		db = db.Reshape(removeAxis(db.Shape(), db.Dims()-1)...)
	}
	return g.grads(da, db)
}

func (*matMulGate) Info() Info {
	return Info{"matMul", "@", "matmul swaps: ∂/∂A = G·Bᵀ, ∂/∂B = Aᵀ·G"}
}

// insertAxis returns shape with a 1 inserted before axis i.
func insertAxis(shape []int, i int) []int {
	s := make([]int, 0, len(shape)+1)
	s = append(s, shape[:i]...)
	s = append(s, 1)
	return append(s, shape[i:]...)
}

// removeAxis returns shape without axis i.
func removeAxis(shape []int, i int) []int {
	s := make([]int, 0, len(shape))
	s = append(s, shape[:i]...)
	return append(s, shape[i+1:]...)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
