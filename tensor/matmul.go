package tensor

import (
	"slices"

	"backprop/internal/gemm"
	"backprop/internal/parallel"
)

// matmulShapes checks the operands of a (batched) matrix product and
// returns the output shape with m, n, k and the batch shape. A 1-d
// operand is a matrix with one row (a) or one column (b), as in NumPy's
// matmul, whose transpose flag is ignored; that axis is left out of the
// output. tA and tB are the flags in effect.
//
// out is appended to buf, so that a caller can keep it on its stack.
func matmulShapes(op string, a, b *Tensor, transA, transB bool, buf []int) (out []int, m, n, k int, batch []int, tA, tB bool) {
	if a.Dims() < 1 || b.Dims() < 1 {
		panicf(op, "shapes %v·%v: a scalar is not a matrix", a.shape, b.shape)
	}
	var ar, ac, br, bc int
	if a.Dims() == 1 {
		ar, ac, transA = 1, a.shape[0], false
	} else {
		ar, ac = a.shape[a.Dims()-2], a.shape[a.Dims()-1]
	}
	if b.Dims() == 1 {
		br, bc, transB = b.shape[0], 1, false
	} else {
		br, bc = b.shape[b.Dims()-2], b.shape[b.Dims()-1]
	}
	m, k = ar, ac
	if transA {
		m, k = ac, ar
	}
	kb, n := br, bc
	if transB {
		kb, n = bc, br
	}
	if k != kb {
		panicf(op, "shapes %v·%v (transA=%v transB=%v): inner dimensions %d and %d differ", a.shape, b.shape, transA, transB, k, kb)
	}
	batch, ok := BroadcastShapes(matrixBatch(a), matrixBatch(b))
	if !ok {
		panicf(op, "shapes %v·%v: batch dimensions do not broadcast", a.shape, b.shape)
	}
	out = append(buf, batch...)
	if a.Dims() > 1 {
		out = append(out, m)
	}
	if b.Dims() > 1 {
		out = append(out, n)
	}
	return out, m, n, k, batch, transA, transB
}

// matrixBatch returns the batch axes of an operand of a matrix product:
// all but the last two (none for a vector).
func matrixBatch(t *Tensor) []int {
	if t.Dims() < 2 {
		return nil
	}
	return t.shape[:t.Dims()-2]
}

// MatMulTo sets dst = op(a)·op(b), where op transposes the last two axes of
// its operand when the flag is set; no transposed copy is made. Operands
// with more than two dimensions are batches of matrices whose leading
// dimensions broadcast as in NumPy's matmul. A 1-d operand is a vector, as
// in NumPy: a 1-d a is a row (vector·matrix), a 1-d b a column
// (matrix·vector), both give their dot product, and the vector's axis is
// left out of the result; flags do not apply to vectors.
func MatMulTo(dst, a, b *Tensor, transA, transB bool) *Tensor {
	return matMulTo("MatMul", dst, a, b, transA, transB, 0)
}

// MatMulAddTo adds op(a)·op(b) to dst, as MatMulTo computes it, in the
// same pass as the product (GEMM's β = 1): the accumulation of a weight's
// gradient without a temporary.
func MatMulAddTo(dst, a, b *Tensor, transA, transB bool) *Tensor {
	return matMulTo("MatMulAdd", dst, a, b, transA, transB, 1)
}

func matMulTo(op string, dst, a, b *Tensor, transA, transB bool, beta float64) *Tensor {
	dt := sameDType2(op, a, b)
	var buf [8]int
	shape, m, n, k, batch, transA, transB := matmulShapes(op, a, b, transA, transB, buf[:0])
	checkDst(op, dst, dt, shape)
	if dst == a || dst == b {
		panicf(op, "destination aliases an operand")
	}
	// Leading dimensions of the stored matrices; op is applied by gemm's
	// transpose flags, without copies.
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	if len(batch) == 0 {
		matmul(dt, transA, transB, m, n, k, a, 0, lda, b, 0, ldb, beta, dst, 0)
		return dst
	}
	nb := 1
	for _, d := range batch {
		nb *= d
	}
	// Offsets of each batch's matrix in a and b, through broadcasting.
	aBatch := slices.Clone(matrixBatch(a))
	bBatch := slices.Clone(matrixBatch(b))
	offA := make([]int, 0, nb)
	offB := make([]int, 0, nb)
	walk(batch, [][]int{bstrides(aBatch, batch), bstrides(bBatch, batch)}, func(_ int, o []int) {
		offA = append(offA, o[0]*m*k)
		offB = append(offB, o[1]*k*n)
	})
	if nb > 1 && parallel.Workers() > 1 && gemm.Serial(m, n, k) && !gemm.Serial(nb*m, n, k) {
		// Small matrices, each of which GEMM would compute on one worker,
		// but many: one matrix per task. Each is computed as alone, so
		// the results do not depend on the workers.
		parallel.Do(nb, func(bi int) {
			matmul(dt, transA, transB, m, n, k, a, offA[bi], lda, b, offB[bi], ldb, beta, dst, bi*m*n)
		})
		return dst
	}
	for bi := 0; bi < nb; bi++ {
		matmul(dt, transA, transB, m, n, k, a, offA[bi], lda, b, offB[bi], ldb, beta, dst, bi*m*n)
	}
	return dst
}

// matmul sets the m×n matrix of dst at offset oc to op(A)·op(B), where A
// and B are the matrices of a and b at offsets oa and ob, plus β times
// what it held (not read when β = 0), through the
// packed, multi-core GEMM of internal/gemm.
func matmul(dt DType, transA, transB bool, m, n, k int, a *Tensor, oa, lda int, b *Tensor, ob, ldb int, beta float64, dst *Tensor, oc int) {
	if m == 0 || n == 0 {
		return
	}
	if dt == Float32 {
		gemm.Gemm(transA, transB, m, n, k, 1, a.s32()[oa:], lda, b.s32()[ob:], ldb, float32(beta), dst.s32()[oc:], n)
	} else {
		gemm.Gemm(transA, transB, m, n, k, 1, a.s64()[oa:], lda, b.s64()[ob:], ldb, beta, dst.s64()[oc:], n)
	}
}

// MatMul returns op(a)·op(b); see MatMulTo.
func MatMul(a, b *Tensor, transA, transB bool) *Tensor {
	var buf [8]int
	shape, _, _, k, _, _, _ := matmulShapes("MatMul", a, b, transA, transB, buf[:0])
	dt := sameDType2("MatMul", a, b)
	if k == 0 { // the product is zero; GEMM need not write it
		return MatMulTo(allocIn(arenaOf(a, b), "MatMul", dt, shape, true), a, b, transA, transB)
	}
	return MatMulTo(allocIn(arenaOf(a, b), "MatMul", dt, shape, false), a, b, transA, transB)
}
