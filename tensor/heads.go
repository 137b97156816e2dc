package tensor

import (
	"fmt"

	"backprop/internal/gemm"
	"backprop/internal/parallel"
)

// A HeadOperand is one operand of HeadMatMulTo: a matrix for every batch
// row n < N and head h < H, each r×c, stored in one of two layouts:
//
//   - T of shape [N, H, r, c]: each matrix contiguous (Off and Cols
//     must be 0), as attention's scores and weights are;
//   - T of shape [N, r, W]: head h's matrix is the columns [Off + h·Cols,
//     Off + (h+1)·Cols) of the r rows of batch row n, the layout of a
//     projection's output [N, T, H·d] with the heads side by side, or of
//     a stacked query-key-value projection [N, T, 3·H·d] (Off = 0, H·d or
//     2·H·d).
//
// The second layout lets multi-head attention read its queries, keys and
// values where the projection wrote them and write its output where the
// next projection reads it: the products take the row stride W as their
// leading dimension, and no heads are permuted into place.
type HeadOperand struct {
	T    *Tensor
	Off  int // [N, r, W] layout: the first column of head 0
	Cols int // [N, r, W] layout: the columns of each head's matrix
}

// Heads returns the [N, r, W] operand whose head h is the Cols columns
// from Off + h·Cols; see HeadOperand.
func Heads(t *Tensor, off, cols int) HeadOperand { return HeadOperand{T: t, Off: off, Cols: cols} }

// Stacked returns the [N, H, r, c] operand t; see HeadOperand.
func Stacked(t *Tensor) HeadOperand { return HeadOperand{T: t} }

// headGeom is an operand's matrices: N batch rows, each matrix r×c with
// leading dimension ld, batch row n and head h at offset off + n·bs + h·hs.
type headGeom struct {
	n, r, c, ld, off, bs, hs int
}

func (o HeadOperand) geom(op, name string, heads int) headGeom {
	if o.T == nil {
		panicf(op, "%s is nil", name)
	}
	sh := o.T.shape
	switch len(sh) {
	case 4:
		if o.Off != 0 || o.Cols != 0 || sh[1] != heads {
			panicf(op, "%s %v with Off %d, Cols %d: a stacked operand is [N %d r c] with Off and Cols 0", name, sh, o.Off, o.Cols, heads)
		}
		return headGeom{n: sh[0], r: sh[2], c: sh[3], ld: sh[3], bs: heads * sh[2] * sh[3], hs: sh[2] * sh[3]}
	case 3:
		if o.Off < 0 || o.Cols < 1 || o.Off+heads*o.Cols > sh[2] {
			panicf(op, "%s %v: %d heads of %d columns from column %d do not fit its rows of %d", name, sh, heads, o.Cols, o.Off, sh[2])
		}
		return headGeom{n: sh[0], r: sh[1], c: o.Cols, ld: sh[2], off: o.Off, bs: sh[1] * sh[2], hs: o.Cols}
	}
	panicf(op, "%s %v: want [N H r c] or [N r W]", name, sh)
	return headGeom{}
}

// HeadMatMulTo sets, for every batch row n and head h < heads, the matrix
// (n, h) of dst to op(A_nh)·op(B_nh), op transposing where its flag is
// set: a batched GEMM over N·heads pairs whose operands and destination
// may each be stacked or heads side by side (see HeadOperand). dst's
// elements outside its matrices are not touched, so that the heads of
// several products can fill the columns of one tensor. dst must not be
// the tensor of a or b. Small products run a pair per worker; each pair
// is computed as alone, so the bits do not depend on the workers.
func HeadMatMulTo(dst, a, b HeadOperand, heads int, transA, transB bool) {
	const op = "HeadMatMul"
	if heads < 1 {
		panicf(op, "%d heads", heads)
	}
	ga, gb, gc := a.geom(op, "a", heads), b.geom(op, "b", heads), dst.geom(op, "dst", heads)
	dt := sameDType2(op, a.T, b.T)
	if dst.T.dtype != dt {
		panicf(op, "dst is %v, operands %v", dst.T.dtype, dt)
	}
	if dst.T == a.T || dst.T == b.T {
		panicf(op, "destination aliases an operand")
	}
	m, k := ga.r, ga.c
	if transA {
		m, k = k, m
	}
	kb, n := gb.r, gb.c
	if transB {
		kb, n = n, kb
	}
	if ga.n != gb.n || ga.n != gc.n || k != kb || gc.r != m || gc.c != n {
		panicf(op, "a %v, b %v, dst %v, transA %v, transB %v, %d heads: the matrices do not form products (%d×%d)·(%d×%d) into %d×%d of %d batch rows",
			a, b, dst, transA, transB, heads, m, k, kb, n, gc.r, gc.c, ga.n)
	}
	pairs := ga.n * heads
	if pairs == 0 || m == 0 || n == 0 {
		return
	}
	pr := headProducts{dt: dt, heads: heads, m: m, n: n, k: k, transA: transA, transB: transB,
		a: a.T, b: b.T, c: dst.T, ga: ga, gb: gb, gc: gc}
	if pairs > 1 && parallel.Workers() > 1 && gemm.Serial(m, n, k) && !gemm.Serial(pairs*m, n, k) {
		runHeadPairs(pr, pairs)
		return
	}
	for i := range pairs {
		pr.one(i)
	}
}

// runHeadPairs computes the pairs of pr on all workers. It takes pr by
// value, so that the serial path does not move pr to the heap.
func runHeadPairs(pr headProducts, pairs int) { parallel.Do(pairs, pr.one) }

// headProducts is one HeadMatMulTo call: its operands and their matrices.
type headProducts struct {
	dt             DType
	heads, m, n, k int
	transA, transB bool
	a, b, c        *Tensor
	ga, gb, gc     headGeom
}

// one computes pair i, batch row i/heads and head i%heads.
func (p *headProducts) one(i int) {
	bn, h := i/p.heads, i%p.heads
	oa, ob, oc := p.ga.off+bn*p.ga.bs+h*p.ga.hs, p.gb.off+bn*p.gb.bs+h*p.gb.hs, p.gc.off+bn*p.gc.bs+h*p.gc.hs
	if p.dt == Float32 {
		gemm.Gemm(p.transA, p.transB, p.m, p.n, p.k, 1, p.a.s32()[oa:], p.ga.ld, p.b.s32()[ob:], p.gb.ld, 0, p.c.s32()[oc:], p.gc.ld)
	} else {
		gemm.Gemm(p.transA, p.transB, p.m, p.n, p.k, 1, p.a.s64()[oa:], p.ga.ld, p.b.s64()[ob:], p.gb.ld, 0, p.c.s64()[oc:], p.gc.ld)
	}
}

// HeadMatMul returns the stacked [N, heads, m, n] products of
// HeadMatMulTo, made where a was (in its Arena, if it has one).
func HeadMatMul(a, b HeadOperand, heads int, transA, transB bool) *Tensor {
	const op = "HeadMatMul"
	if heads < 1 {
		panicf(op, "%d heads", heads)
	}
	ga, gb := a.geom(op, "a", heads), b.geom(op, "b", heads)
	m, n := ga.r, gb.c
	if transA {
		m = ga.c
	}
	if transB {
		n = gb.r
	}
	dst := allocIn(arenaOf(a.T, b.T), op, a.T.dtype, []int{ga.n, heads, m, n}, false)
	HeadMatMulTo(Stacked(dst), a, b, heads, transA, transB)
	return dst
}

// EmptyLike returns a tensor of the given shape with t's dtype, made where
// t was (in t's Arena, if it has one), whose elements are not cleared:
// for a destination every element of which is about to be written, such
// as one that HeadMatMulTo fills head by head.
func EmptyLike(t *Tensor, shape ...int) *Tensor {
	return allocIn(t.arena, "EmptyLike", t.dtype, shape, false)
}

// String describes the operand, for messages.
func (o HeadOperand) String() string {
	if o.T == nil {
		return "<nil>"
	}
	if o.T.Dims() == 3 {
		return fmt.Sprintf("%v columns %d+h·%d", o.T.shape, o.Off, o.Cols)
	}
	return fmt.Sprint(o.T.shape)
}
