package tensor

import (
	"unsafe"

	"backprop/internal/gemm"
)

// PackedWeights keeps weight matrices packed for the GEMM micro-kernel,
// each packed the first time a product with few rows uses it, for the
// products of inference one position at a time (a decoder's step): such
// a product packs its whole weight matrix to use each value once, which
// costs more than the product. MatMulT gives the bits MatMul gives.
//
// The weights must not change while a PackedWeights holds them (make a
// new one after training them), and a PackedWeights is for one goroutine
// at a time.
type PackedWeights struct {
	m map[*Tensor]*packedWeight
}

type packedWeight struct {
	data unsafe.Pointer // the weight's storage when packed, to tell a replaced one
	n    int
	p32  gemm.PackedB[float32]
	p64  gemm.PackedB[float64]
}

// packedRows is the number of rows up to which a product uses a packed
// weight: those for which packing the weight would outweigh the product.
const packedRows = 8

// packedFor reports whether a product of m rows of dtype dt uses packed
// weights: few rows, and the packing of one-row products gives it Gemm's
// bits (gemm.ReusesOneRowPacking).
func packedFor(dt DType, m int) bool {
	if m > packedRows {
		return false
	}
	if dt == Float32 {
		return gemm.ReusesOneRowPacking[float32](m)
	}
	return gemm.ReusesOneRowPacking[float64](m)
}

// NewPackedWeights returns an empty PackedWeights.
func NewPackedWeights() *PackedWeights { return &PackedWeights{m: map[*Tensor]*packedWeight{}} }

// MatMulT returns x·wᵀ for x [m, k] and w [n, k], as MatMul(x, w, false,
// true) does and with the same bits; for m ≤ 8 rows through w packed
// once (the first such product packs it). The result is made where x was.
func (c *PackedWeights) MatMulT(x, w *Tensor) *Tensor {
	if x.Dims() != 2 || w.Dims() != 2 || !packedFor(x.dtype, x.shape[0]) || w.shape[1] == 0 {
		return MatMul(x, w, false, true)
	}
	dt := sameDType2("MatMulT", x, w)
	m, k, n := x.shape[0], x.shape[1], w.shape[0]
	if w.shape[1] != k {
		panicf("MatMulT", "x %v, w %v: want [m k] and [n k]", x.shape, w.shape)
	}
	p := c.get(w)
	y := allocIn(x.arena, "MatMulT", dt, []int{m, n}, false)
	if dt == Float32 {
		gemm.GemmPacked(false, m, 1, x.s32(), k, &p.p32, 0, y.s32(), n)
	} else {
		gemm.GemmPacked(false, m, 1, x.s64(), k, &p.p64, 0, y.s64(), n)
	}
	return y
}

// get returns w, [n, k], packed as the right operand wᵀ of products with
// at most packedRows rows, packing it if it is new or its storage changed.
func (c *PackedWeights) get(w *Tensor) *packedWeight {
	p := c.m[w]
	if p == nil || p.data != w.data || p.n != w.n {
		n, k := w.shape[0], w.shape[1]
		p = &packedWeight{data: w.data, n: w.n}
		if w.dtype == Float32 {
			p.p32 = gemm.PackB(1, true, n, k, w.s32(), k)
		} else {
			p.p64 = gemm.PackB(1, true, n, k, w.s64(), k)
		}
		c.m[w] = p
	}
	return p
}

// prePacked returns whhᵀ from c for the recurrent products of rows
// sequences, or nil (pack it per sequence) when c is nil or the rows are
// too many.
func prePacked[T Float](c *PackedWeights, whh *Tensor, rows int) *gemm.PackedB[T] {
	if c == nil || !packedFor(whh.dtype, rows) || whh.Dims() != 2 || whh.Len() == 0 {
		return nil
	}
	p := c.get(whh)
	var r any
	if whh.dtype == Float32 {
		r = &p.p32
	} else {
		r = &p.p64
	}
	return r.(*gemm.PackedB[T])
}

// LSTMForwardTo is the package-level LSTMForwardTo with W_hh from c when
// n ≤ 8: a decoder's step, which would otherwise pack W_hh for one step.
func (c *PackedWeights) LSTMForwardTo(z, acts, h0, c0, whh, bih, bhh *Tensor, n, t int, batchFirst bool) *Tensor {
	return lstmForwardTo(c, z, acts, h0, c0, whh, bih, bhh, n, t, batchFirst)
}

// GRUForwardTo is the package-level GRUForwardTo with W_hh from c when
// n ≤ 8.
func (c *PackedWeights) GRUForwardTo(y, hn, acts, h0, whh, bih, bhh *Tensor, n, t int, batchFirst bool) *Tensor {
	return gruForwardTo(c, y, hn, acts, h0, whh, bih, bhh, n, t, batchFirst)
}

// RNNForwardTo is the package-level RNNForwardTo with W_hh from c when
// n ≤ 8.
func (c *PackedWeights) RNNForwardTo(y, h0, whh, bih, bhh *Tensor, n, t int, batchFirst bool) *Tensor {
	return rnnForwardTo(c, y, h0, whh, bih, bhh, n, t, batchFirst)
}
