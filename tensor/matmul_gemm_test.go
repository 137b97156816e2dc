package tensor_test

import (
	"fmt"
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
