package tensor_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"backprop/tensor"
)

// TestMatMulLarge checks products big enough for the packed, blocked and
// parallel paths of the GEMM behind MatMulTo, every transpose combination,
// against the triple loop; and that one and two workers agree bit for bit.
func TestMatMulLarge(t *testing.T) {
	rng := newRNG(11)
	for _, s := range [][3]int{{129, 131, 137}, {64, 512, 300}, {300, 10, 256}, {3, 700, 65}} {
		m, n, k := s[0], s[1], s[2]
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
			x := roundMat(dt, randMat(rng, m, k))
			y := roundMat(dt, randMat(rng, k, n))
			want := x.mul(y)
			for ti := range 4 {
				ta, tb := ti&1 != 0, ti&2 != 0
				a, b := x.stored(ta).tensor(dt), y.stored(tb).tensor(dt)
				name := fmt.Sprintf("MatMul %v m=%d n=%d k=%d transA=%v transB=%v", dt, m, n, k, ta, tb)
				var got [2]*tensor.Tensor
				for i, p := range []int{1, 2} {
					old := runtime.GOMAXPROCS(p)
					got[i] = tensor.MatMul(a, b, ta, tb)
					runtime.GOMAXPROCS(old)
				}
				checkVals(t, name, got[0], []int{m, n}, want.v, mmTol(dt, k))
				if !slices.Equal(got[0].Values(), got[1].Values()) {
					t.Errorf("%s: one and two workers differ", name)
				}
			}
		}
	}
}

// TestMatMulBatchedLarge checks a broadcast batch of products that take
// the packed path.
func TestMatMulBatchedLarge(t *testing.T) {
	rng := newRNG(12)
	m, n, k := 70, 90, 150
	xs := []mat{randMat(rng, m, k), randMat(rng, m, k), randMat(rng, m, k)}
	y := randMat(rng, n, k)
	a := tensor.FromSlice(slices.Concat(xs[0].v, xs[1].v, xs[2].v), 3, m, k)
	b := y.tensor(tensor.Float64)
	got := tensor.MatMul(a, b, false, true)
	var want []float64
	for _, x := range xs {
		want = append(want, x.mul(y.t()).v...)
	}
	checkVals(t, "batched MatMul", got, []int{3, m, n}, want, mmTol(tensor.Float64, k))
}

// TestMatMulManySmall checks a batch of small products, which runs one
// matrix per worker, against each matrix multiplied alone: the same bits,
// with and without transposes and with a broadcast operand.
func TestMatMulManySmall(t *testing.T) {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	rng := rand.New(rand.NewPCG(8, 8))
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		for _, c := range []struct {
			a, b   []int
			ta, tb bool
		}{
			{[]int{4, 16, 32, 16}, []int{4, 16, 16, 32}, false, false},
			{[]int{4, 16, 32, 16}, []int{4, 16, 32, 16}, false, true},
			{[]int{4, 16, 16, 32}, []int{4, 16, 16, 32}, true, false},
			{[]int{64, 32, 16}, []int{16, 32}, false, false},
		} {
			a := tensor.Randn(rng, tensor.Float64, c.a...).As(dt)
			b := tensor.Randn(rng, tensor.Float64, c.b...).As(dt)
			got := tensor.MatMul(a, b, c.ta, c.tb)
			m, n := got.Dim(-2), got.Dim(-1)
			nb := got.Len() / (m * n)
			a3 := a.Reshape(-1, a.Dim(-2), a.Dim(-1))
			b3 := b.Reshape(-1, b.Dim(-2), b.Dim(-1))
			g3 := got.Reshape(nb, m, n)
			for i := range nb {
				ai := tensor.Slice(a3, 0, i%a3.Dim(0), i%a3.Dim(0)+1).Reshape(a.Dim(-2), a.Dim(-1))
				bi := tensor.Slice(b3, 0, i%b3.Dim(0), i%b3.Dim(0)+1).Reshape(b.Dim(-2), b.Dim(-1))
				want := tensor.MatMul(ai, bi, c.ta, c.tb)
				if !tensor.Equal(tensor.Slice(g3, 0, i, i+1).Reshape(m, n), want) {
					t.Fatalf("%v %v·%v (%v %v): matrix %d differs from its product alone", dt, c.a, c.b, c.ta, c.tb, i)
				}
			}
		}
	}
}
