package tensor_test

import (
	"fmt"
	"math"
	"testing"

	"backprop/tensor"
)

// TestFloat32KernelPathsExact checks that the float32 arithmetic that runs
// on the SIMD kernels (same shape, a single element on either side, a row
// on either side) gives exactly the float32 rounding of the float64
// result, like the general loop.
func TestFloat32KernelPathsExact(t *testing.T) {
	ops := []struct {
		name string
		fn   func(a, b *tensor.Tensor) *tensor.Tensor
		ref  func(x, y float64) float64
	}{
		{"Add", tensor.Add, func(x, y float64) float64 { return x + y }},
		{"Sub", tensor.Sub, func(x, y float64) float64 { return x - y }},
		{"Mul", tensor.Mul, func(x, y float64) float64 { return x * y }},
		{"Div", tensor.Div, func(x, y float64) float64 { return x / y }},
	}
	pairs := [][2][]int{
		{{37, 19}, {37, 19}},
		{{37, 19}, {}}, {{}, {37, 19}},
		{{5, 19}, {1, 1}}, {{1}, {5, 19}},
		{{37, 19}, {19}}, {{19}, {37, 19}},
		{{2, 5, 19}, {1, 19}}, {{1, 1, 19}, {2, 5, 19}},
		{{0, 19}, {19}},
	}
	r := newRNG(7)
	for _, op := range ops {
		for _, p := range pairs {
			a := randT(r, tensor.Float32, -3, 3, p[0]...)
			b := randT(r, tensor.Float32, 0.5, 3, p[1]...)
			name := fmt.Sprintf("%s %v %v", op.name, p[0], p[1])
			shape, want := naiveBroadcast(func(xs []float64) float64 { return float64(float32(op.ref(xs[0], xs[1]))) }, a, b)
			checkVals(t, name, op.fn(a, b), shape, want, 0)
		}
	}
}

// TestFloat32KernelReductions checks sums, maxima and softmax along the
// last axis and over everything against float64 references.
func TestFloat32KernelReductions(t *testing.T) {
	r := newRNG(8)
	a := randT(r, tensor.Float32, -3, 3, 3, 4, 100)
	vals := a.Values()
	for _, keep := range []bool{false, true} {
		s := tensor.Sum(a, keep, -1)
		m := tensor.Max(a, keep, 2)
		for row := 0; row < 12; row++ {
			ws, wm := 0.0, math.Inf(-1)
			for _, v := range vals[row*100 : (row+1)*100] {
				ws += v
				wm = max(wm, v)
			}
			if !near(s.Flat(row), ws, 1e-5) || m.Flat(row) != wm {
				t.Errorf("row %d: sum %v max %v, want %v %v", row, s.Flat(row), m.Flat(row), ws, wm)
			}
		}
	}
	total := 0.0
	for _, v := range vals {
		total += v
	}
	if got := tensor.Sum(a, false).Item(); !near(got, total, 1e-5) {
		t.Errorf("Sum = %v, want %v", got, total)
	}
	if got := tensor.Mean(a, false).Item(); !near(got, total/1200, 1e-5) {
		t.Errorf("Mean = %v, want %v", got, total/1200)
	}
	sm := tensor.Softmax(a, -1)
	for row := 0; row < 12; row++ {
		s := 0.0
		for j := 0; j < 100; j++ {
			s += sm.Flat(row*100 + j)
		}
		if !near(s, 1, 1e-5) {
			t.Errorf("softmax row %d sums to %v", row, s)
		}
	}
}
