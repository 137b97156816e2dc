package tensor_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"backprop/tensor"
)

// This file holds the helpers the tests share: panic checking, seeded
// random tensors, and naive reference implementations written without the
// package's own index machinery.

var dtypes = []tensor.DType{tensor.Float32, tensor.Float64}

// newRNG returns a deterministic generator for a test.
func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// mustPanic runs f and checks that it panics with a *tensor.Error whose
// message contains every one of want.
func mustPanic(t *testing.T, f func(), want ...string) *tensor.Error {
	t.Helper()
	var got any
	func() {
		defer func() { got = recover() }()
		f()
	}()
	if got == nil {
		t.Fatalf("no panic; want one mentioning %q", want)
		return nil
	}
	err, ok := got.(error)
	var te *tensor.Error
	if !ok || !errors.As(err, &te) {
		t.Fatalf("panic value %T %v, want *tensor.Error", got, got)
		return nil
	}
	msg := te.Error()
	if !strings.HasPrefix(msg, "tensor: ") {
		t.Errorf("message %q lacks the tensor: prefix", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q does not contain %q", msg, w)
		}
	}
	return te
}

// shapeStr formats a shape the way error messages do.
func shapeStr(s []int) string { return fmt.Sprint(s) }

// numel is the product of the dimensions.
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// unravel turns a row-major flat index into a multi-index.
func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for ax := len(shape) - 1; ax >= 0; ax-- {
		idx[ax] = i % shape[ax]
		i /= shape[ax]
	}
	return idx
}

// ravel turns a multi-index into a row-major flat index.
func ravel(idx, shape []int) int {
	off := 0
	for ax, x := range idx {
		off = off*shape[ax] + x
	}
	return off
}

// refBroadcastShape is an independent statement of NumPy's rule.
func refBroadcastShape(shapes ...[]int) ([]int, bool) {
	n := 0
	for _, s := range shapes {
		if len(s) > n {
			n = len(s)
		}
	}
	out := make([]int, n)
	for k := 1; k <= n; k++ { // k-th axis from the end
		size := 1
		for _, s := range shapes {
			if len(s) < k {
				continue
			}
			d := s[len(s)-k]
			if d == 1 {
				continue
			}
			if size != 1 && size != d {
				return nil, false
			}
			size = d
		}
		out[n-k] = size
	}
	return out, true
}

// srcIndex maps an index of the broadcast output to the flat index of an
// operand of shape s.
func srcIndex(outIdx, s []int) int {
	off := len(outIdx) - len(s)
	idx := make([]int, len(s))
	for ax := range s {
		if s[ax] != 1 {
			idx[ax] = outIdx[off+ax]
		}
	}
	return ravel(idx, s)
}

// naiveBroadcast computes f over the broadcast of the operands by index
// arithmetic over the output shape.
func naiveBroadcast(f func(xs []float64) float64, ts ...*tensor.Tensor) (shape []int, vals []float64) {
	shapes := make([][]int, len(ts))
	for i, t := range ts {
		shapes[i] = t.Shape()
	}
	shape, ok := refBroadcastShape(shapes...)
	if !ok {
		panic("naiveBroadcast: shapes do not broadcast")
	}
	vals = make([]float64, numel(shape))
	xs := make([]float64, len(ts))
	for i := range vals {
		idx := unravel(i, shape)
		for j, t := range ts {
			xs[j] = t.Flat(srcIndex(idx, t.Shape()))
		}
		vals[i] = f(xs)
	}
	return shape, vals
}

// randT returns a tensor of uniform values in [lo, hi).
func randT(rng *rand.Rand, dt tensor.DType, lo, hi float64, shape ...int) *tensor.Tensor {
	return tensor.Uniform(rng, dt, lo, hi, shape...)
}

// randInts returns a tensor of small integers in [lo, hi], so that
// comparisons see ties.
func randInts(rng *rand.Rand, dt tensor.DType, lo, hi int, shape ...int) *tensor.Tensor {
	t := tensor.Zeros(dt, shape...)
	for i := 0; i < t.Len(); i++ {
		t.SetFlat(i, float64(lo+rng.IntN(hi-lo+1)))
	}
	return t
}

// round rounds v to the precision of dt.
func round(dt tensor.DType, v float64) float64 {
	if dt == tensor.Float32 {
		return float64(float32(v))
	}
	return v
}

// eps returns a relative tolerance for results computed in dt.
func eps(dt tensor.DType) float64 {
	if dt == tensor.Float32 {
		return 2e-6
	}
	return 1e-13
}

// near reports whether got is within rel·max(1,|want|) of want, treating
// equal infinities and two NaNs as equal.
func near(got, want, rel float64) bool {
	if got == want || (math.IsNaN(got) && math.IsNaN(want)) {
		return true
	}
	if math.IsInf(got, 0) || math.IsInf(want, 0) || math.IsNaN(got) || math.IsNaN(want) {
		return false
	}
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))
}

// checkVals compares a tensor's shape and elements with a reference.
func checkVals(t *testing.T, name string, got *tensor.Tensor, shape []int, want []float64, rel float64) {
	t.Helper()
	if !tensor.SameShape(got.Shape(), shape) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape(), shape)
		return
	}
	if got.Len() != len(want) {
		t.Errorf("%s: %d elements, want %d", name, got.Len(), len(want))
		return
	}
	bad := 0
	for i, w := range want {
		if g := got.Flat(i); !near(g, w, rel) {
			if bad < 5 {
				t.Errorf("%s: element %d (index %v) = %v, want %v", name, i, unravel(i, shape), g, w)
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d bad elements in all", name, bad)
	}
}

// dot is ⟨a, b⟩ over the flat elements in float64.
func dot(a, b *tensor.Tensor) float64 {
	if a.Len() != b.Len() {
		panic("dot: lengths differ")
	}
	s := 0.0
	for i := 0; i < a.Len(); i++ {
		s += a.Flat(i) * b.Flat(i)
	}
	return s
}
