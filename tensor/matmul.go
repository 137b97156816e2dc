package tensor

import "slices"

// matmulShapes checks the operands of a (batched) matrix product and
// returns the output shape with m, n, k and the batch shape.
func matmulShapes(op string, a, b *Tensor, transA, transB bool) (out []int, m, n, k int, batch []int) {
	if a.Dims() < 2 || b.Dims() < 2 {
		panicf(op, "shapes %v·%v: operands need at least 2 dimensions", a.shape, b.shape)
	}
	ar, ac := a.shape[a.Dims()-2], a.shape[a.Dims()-1]
	br, bc := b.shape[b.Dims()-2], b.shape[b.Dims()-1]
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
	batch, ok := BroadcastShapes(a.shape[:a.Dims()-2], b.shape[:b.Dims()-2])
	if !ok {
		panicf(op, "shapes %v·%v: batch dimensions do not broadcast", a.shape, b.shape)
	}
	out = append(slices.Clone(batch), m, n)
	return out, m, n, k, batch
}

// MatMulTo sets dst = op(a)·op(b), where op transposes the last two axes of
// its operand when the flag is set; no transposed copy is made. Operands
// with more than two dimensions are batches of matrices whose leading
// dimensions broadcast as in NumPy's matmul.
func MatMulTo(dst, a, b *Tensor, transA, transB bool) *Tensor {
	dt := sameDType("MatMul", a, b)
	shape, m, n, k, batch := matmulShapes("MatMul", a, b, transA, transB)
	checkDst("MatMul", dst, dt, shape)
	if dst == a || dst == b {
		panicf("MatMul", "destination aliases an operand")
	}
	nb := 1
	for _, d := range batch {
		nb *= d
	}
	// Offsets of each batch's matrix in a and b, through broadcasting.
	aBatch := slices.Clone(a.shape[:a.Dims()-2])
	bBatch := slices.Clone(b.shape[:b.Dims()-2])
	offA := make([]int, 0, nb)
	offB := make([]int, 0, nb)
	walk(batch, [][]int{bstrides(aBatch, batch), bstrides(bBatch, batch)}, func(_ int, o []int) {
		offA = append(offA, o[0]*m*k)
		offB = append(offB, o[1]*k*n)
	})
	// Element (i,p) of op(a) is at i*ars + p*acs; likewise for b.
	ars, acs := k, 1
	if transA {
		ars, acs = 1, m
	}
	brs, bcs := n, 1
	if transB {
		brs, bcs = 1, k
	}
	for bi := 0; bi < nb; bi++ {
		if dt == Float32 {
			gemmRef(m, n, k, a.s32()[offA[bi]:], ars, acs, b.s32()[offB[bi]:], brs, bcs, dst.s32()[bi*m*n:])
		} else {
			gemmRef(m, n, k, a.s64()[offA[bi]:], ars, acs, b.s64()[offB[bi]:], brs, bcs, dst.s64()[bi*m*n:])
		}
	}
	return dst
}

// gemmRef is the reference product c = A·B of an m×k and a k×n matrix read
// through row and column strides; c is m×n, row-major and contiguous.
func gemmRef[T Float](m, n, k int, a []T, ars, acs int, b []T, brs, bcs int, c []T) {
	c = c[:m*n]
	clear(c)
	if n == 0 {
		return // b may be empty: b[p*brs:] below would be out of range
	}
	for i := 0; i < m; i++ {
		ci := c[i*n : i*n+n]
		for p := 0; p < k; p++ {
			av := a[i*ars+p*acs]
			bp := b[p*brs:]
			if bcs == 1 {
				bp = bp[:n]
				for j := range ci {
					ci[j] += av * bp[j]
				}
			} else {
				for j := range ci {
					ci[j] += av * bp[j*bcs]
				}
			}
		}
	}
}

// MatMul returns op(a)·op(b); see MatMulTo.
func MatMul(a, b *Tensor, transA, transB bool) *Tensor {
	shape, _, _, _, _ := matmulShapes("MatMul", a, b, transA, transB)
	return MatMulTo(alloc("MatMul", sameDType("MatMul", a, b), shape), a, b, transA, transB)
}
