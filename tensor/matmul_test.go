package tensor_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"backprop/tensor"
)

// mat is a plain row-major matrix for the reference product.
type mat struct {
	r, c int
	v    []float64
}

func randMat(rng *rand.Rand, r, c int) mat {
	m := mat{r, c, make([]float64, r*c)}
	for i := range m.v {
		m.v[i] = rng.Float64()*2 - 1
	}
	return m
}

func (m mat) t() mat {
	out := mat{m.c, m.r, make([]float64, len(m.v))}
	for i := 0; i < m.r; i++ {
		for j := 0; j < m.c; j++ {
			out.v[j*m.r+i] = m.v[i*m.c+j]
		}
	}
	return out
}

// mul is the triple loop.
func (m mat) mul(o mat) mat {
	if m.c != o.r {
		panic("mat.mul: inner dimensions")
	}
	out := mat{m.r, o.c, make([]float64, m.r*o.c)}
	for i := 0; i < m.r; i++ {
		for j := 0; j < o.c; j++ {
			s := 0.0
			for p := 0; p < m.c; p++ {
				s += m.v[i*m.c+p] * o.v[p*o.c+j]
			}
			out.v[i*o.c+j] = s
		}
	}
	return out
}

// stored returns the matrix as the operand holding it: its transpose when
// the flag is set, so that op(operand) = m.
func (m mat) stored(trans bool) mat {
	if trans {
		return m.t()
	}
	return m
}

func (m mat) tensor(dt tensor.DType) *tensor.Tensor {
	return tensor.FromSlice(m.v, m.r, m.c).As(dt)
}

// roundMat rounds m's values to dt so that both dtypes see the same inputs.
func roundMat(dt tensor.DType, m mat) mat {
	for i, v := range m.v {
		m.v[i] = round(dt, v)
	}
	return m
}

// mmTol is a tolerance for a length-k dot product of values in [−1, 1].
func mmTol(dt tensor.DType, k int) float64 {
	return eps(dt) * float64(k+1)
}

var mmSizes = [][3]int{ // m, n, k
	{1, 1, 1}, {1, 5, 3}, {4, 1, 3}, {3, 4, 1}, {1, 1, 7},
	{2, 3, 4}, {5, 7, 3}, {7, 5, 9}, {17, 13, 19}, {16, 16, 16}, {33, 1, 65},
	{0, 3, 4}, {3, 0, 4}, {3, 4, 0},
}

func TestMatMul2D(t *testing.T) {
	rng := newRNG(2000)
	for _, dt := range dtypes {
		for _, sz := range mmSizes {
			m, n, k := sz[0], sz[1], sz[2]
			A := roundMat(dt, randMat(rng, m, k))
			B := roundMat(dt, randMat(rng, k, n))
			want := A.mul(B)
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					a, b := A.stored(ta).tensor(dt), B.stored(tb).tensor(dt)
					ac, bc := a.Clone(), b.Clone()
					name := fmt.Sprintf("MatMul %v m=%d n=%d k=%d transA=%v transB=%v", dt, m, n, k, ta, tb)
					got := tensor.MatMul(a, b, ta, tb)
					if got.DType() != dt {
						t.Errorf("%s: dtype %v", name, got.DType())
					}
					checkVals(t, name, got, []int{m, n}, want.v, mmTol(dt, k))
					dst := tensor.Full(dt, 42, m, n) // old contents must not leak in
					if tensor.MatMulTo(dst, a, b, ta, tb) != dst {
						t.Errorf("%s: MatMulTo does not return dst", name)
					}
					checkVals(t, name+" To", dst, []int{m, n}, want.v, mmTol(dt, k))
					if !tensor.Equal(a, ac) || !tensor.Equal(b, bc) {
						t.Errorf("%s: operands modified", name)
					}
				}
			}
		}
	}
}

func TestMatMulSmall(t *testing.T) {
	a := tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	b := tensor.FromSlice([]float64{7, 8, 9, 10, 11, 12}, 3, 2)
	if got := tensor.MatMul(a, b, false, false).Values(); !slices.Equal(got, []float64{58, 64, 139, 154}) {
		t.Errorf("a·b = %v", got)
	}
	if got := tensor.MatMul(a, a, false, true).Values(); !slices.Equal(got, []float64{14, 32, 32, 77}) {
		t.Errorf("a·aᵀ = %v", got)
	}
	if got := tensor.MatMul(a, a, true, false); !slices.Equal(got.Shape(), []int{3, 3}) || got.At(2, 2) != 45 || got.At(0, 1) != 22 {
		t.Errorf("aᵀ·a = %v", got)
	}
	if got := tensor.MatMul(b, a, true, true).Values(); !slices.Equal(got, []float64{58, 139, 64, 154}) {
		t.Errorf("bᵀ·aᵀ = %v", got)
	}
}

// batchCase describes a batched product: the batch shapes of the two
// operands and of the result.
type batchCase struct{ ba, bb, out []int }

func TestMatMulBatched(t *testing.T) {
	rng := newRNG(2100)
	cases := []batchCase{
		{[]int{3}, []int{3}, []int{3}},
		{nil, []int{4}, []int{4}},
		{[]int{4}, nil, []int{4}},
		{[]int{2, 1}, []int{3}, []int{2, 3}},
		{[]int{1}, []int{5}, []int{5}},
		{[]int{2, 3}, []int{2, 3}, []int{2, 3}},
		{[]int{2, 1}, []int{1, 3}, []int{2, 3}},
		{[]int{0}, []int{1}, []int{0}},
	}
	for _, dt := range dtypes {
		for _, bc := range cases {
			for _, sz := range [][3]int{{2, 3, 4}, {1, 5, 1}, {3, 1, 2}} {
				m, n, k := sz[0], sz[1], sz[2]
				for _, ta := range []bool{false, true} {
					for _, tb := range []bool{false, true} {
						// One reference matrix per operand batch element.
						as := make([]mat, numel(bc.ba))
						bs := make([]mat, numel(bc.bb))
						var aData, bData []float64
						for i := range as {
							as[i] = roundMat(dt, randMat(rng, m, k))
							aData = append(aData, as[i].stored(ta).v...)
						}
						for i := range bs {
							bs[i] = roundMat(dt, randMat(rng, k, n))
							bData = append(bData, bs[i].stored(tb).v...)
						}
						ar, ac := m, k
						if ta {
							ar, ac = k, m
						}
						br, bcols := k, n
						if tb {
							br, bcols = n, k
						}
						a := tensor.FromSlice(aData, append(slices.Clone(bc.ba), ar, ac)...).As(dt)
						b := tensor.FromSlice(bData, append(slices.Clone(bc.bb), br, bcols)...).As(dt)
						var want []float64
						for o := 0; o < numel(bc.out); o++ {
							oidx := unravel(o, bc.out)
							want = append(want, as[srcIndex(oidx, bc.ba)].mul(bs[srcIndex(oidx, bc.bb)]).v...)
						}
						outShape := append(slices.Clone(bc.out), m, n)
						name := fmt.Sprintf("MatMul %v %v·%v transA=%v transB=%v", dt, a.Shape(), b.Shape(), ta, tb)
						checkVals(t, name, tensor.MatMul(a, b, ta, tb), outShape, want, mmTol(dt, k))
						dst := tensor.Full(dt, 1, outShape...)
						tensor.MatMulTo(dst, a, b, ta, tb)
						checkVals(t, name+" To", dst, outShape, want, mmTol(dt, k))
					}
				}
			}
		}
	}
}

// TestMatMulVectors checks 1-d operands against NumPy's matmul rules: a
// vector on the left is a row, on the right a column, and its axis is
// left out of the result; flags do not apply to it.
func TestMatMulVectors(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		v3, v4 := tensor.Randn(rng, dt, 3), tensor.Randn(rng, dt, 4)
		m34 := tensor.Randn(rng, dt, 3, 4)
		b234 := tensor.Randn(rng, dt, 2, 3, 4)
		dot := func(a, b []float64) float64 {
			s := 0.0
			for i := range a {
				s += a[i] * b[i]
			}
			return s
		}
		col := func(m *tensor.Tensor, j int) []float64 { // column j of the last two axes' matrix
			out := make([]float64, m.Dim(-2))
			for i := range out {
				out[i] = m.At(i, j)
			}
			return out
		}
		row := func(m *tensor.Tensor, i int) []float64 { return tensor.Slice(m, 0, i, i+1).Values() }
		for _, c := range []struct {
			name  string
			got   *tensor.Tensor
			shape []int
			want  func(i int) float64
		}{
			{"v·v", tensor.MatMul(v4, v4, false, false), nil, func(int) float64 { return dot(v4.Values(), v4.Values()) }},
			{"v·M", tensor.MatMul(v3, m34, false, false), []int{4}, func(j int) float64 { return dot(v3.Values(), col(m34, j)) }},
			{"v·Mᵀ", tensor.MatMul(v4, m34, true, true), []int{3}, func(j int) float64 { return dot(v4.Values(), row(m34, j)) }},
			{"M·v", tensor.MatMul(m34, v4, false, false), []int{3}, func(i int) float64 { return dot(row(m34, i), v4.Values()) }},
			{"Mᵀ·v", tensor.MatMul(m34, v3, true, false), []int{4}, func(j int) float64 { return dot(col(m34, j), v3.Values()) }},
			{"B·v", tensor.MatMul(b234, v4, false, false), []int{2, 3}, func(k int) float64 {
				return dot(tensor.Slice(tensor.Slice(b234, 0, k/3, k/3+1), 1, k%3, k%3+1).Values(), v4.Values())
			}},
			{"v·B", tensor.MatMul(v3, b234, false, false), []int{2, 4}, func(k int) float64 {
				return dot(v3.Values(), col(tensor.Slice(b234, 0, k/4, k/4+1).Reshape(3, 4), k%4))
			}},
		} {
			if !slices.Equal(c.got.Shape(), c.shape) && !(len(c.shape) == 0 && c.got.Dims() == 0) {
				t.Fatalf("%v %s: shape %v, want %v", dt, c.name, c.got.Shape(), c.shape)
			}
			for i := range c.got.Len() {
				if w := c.want(i); math.Abs(c.got.Flat(i)-w) > 1e-5*(1+math.Abs(w)) {
					t.Errorf("%v %s: element %d is %v, want %v", dt, c.name, i, c.got.Flat(i), w)
				}
			}
			dst := tensor.Full(dt, 7, c.got.Shape()...)
			if c.name == "v·v" || c.name == "M·v" {
				a, b := v4, v4
				if c.name == "M·v" {
					a = m34
				}
				if tensor.MatMulTo(dst, a, b, false, false); !tensor.Equal(dst, c.got) {
					t.Errorf("%v %s: MatMulTo %v, MatMul %v", dt, c.name, dst, c.got)
				}
			}
		}
	}
}

func TestMatMulPanics(t *testing.T) {
	z := func(s ...int) *tensor.Tensor { return tensor.Zeros(tensor.Float32, s...) }
	mustPanic(t, func() { tensor.MatMul(z(3, 4), z(5, 6), false, false) }, "tensor: MatMul: shapes [3 4]·[5 6]", "inner dimensions 4 and 5")
	mustPanic(t, func() { tensor.MatMul(z(3, 4), z(3, 4), false, false) }, "MatMul", "[3 4]·[3 4]", "inner dimensions 4 and 3")
	mustPanic(t, func() { tensor.MatMul(z(3, 4), z(3, 4), true, true) }, "MatMul", "transA=true transB=true", "inner dimensions 3 and 4")
	mustPanic(t, func() { tensor.MatMul(z(3, 4), z(5, 4), false, false) }, "MatMul", "[3 4]·[5 4]")
	mustPanic(t, func() { tensor.MatMulTo(z(3, 6), z(3, 4), z(5, 6), false, false) }, "MatMul", "[3 4]·[5 6]")
	mustPanic(t, func() { tensor.MatMul(z(5), z(4, 2), false, false) }, "MatMul", "[5]·[4 2]", "inner dimensions 5 and 4")
	mustPanic(t, func() { tensor.MatMul(z(2, 4), z(5), false, false) }, "MatMul", "[2 4]·[5]", "inner dimensions 4 and 5")
	mustPanic(t, func() { tensor.MatMul(z(2, 4), tensor.Scalar(tensor.Float32, 1), false, false) }, "MatMul", "a scalar is not a matrix")
	mustPanic(t, func() { tensor.MatMul(z(2, 3, 4), z(3, 4, 5), false, false) }, "MatMul", "[2 3 4]·[3 4 5]", "batch dimensions do not broadcast")
	mustPanic(t, func() { tensor.MatMul(z(2, 3), tensor.Zeros(tensor.Float64, 3, 2), false, false) }, "MatMul", "mixed dtypes")
	x, sq3 := z(2, 3), z(3, 3)
	mustPanic(t, func() { tensor.MatMulTo(x, x, sq3, false, false) }, "MatMul", "destination aliases an operand")
	mustPanic(t, func() { tensor.MatMulTo(sq3, z(3, 3), sq3, false, true) }, "MatMul", "destination aliases an operand")
	mustPanic(t, func() { tensor.MatMulTo(z(2, 2), z(2, 3), z(3, 4), false, false) }, "MatMul", "destination shape [2 2]", "[2 4]")
	mustPanic(t, func() { tensor.MatMulTo(z(4, 2), z(2, 3), z(3, 4), false, false) }, "MatMul", "destination shape [4 2]")
	mustPanic(t, func() { tensor.MatMulTo(tensor.Zeros(tensor.Float64, 2, 4), z(2, 3), z(3, 4), false, false) }, "MatMul", "destination is float64")
	// A square operand used as both inputs is fine (only dst may not alias).
	sq := tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	if got := tensor.MatMul(sq, sq, false, false).Values(); !slices.Equal(got, []float64{7, 10, 15, 22}) {
		t.Errorf("sq·sq = %v", got)
	}
}

// TestMatMulFloat32VsFloat64 runs one product in both precisions; the
// float32 error bound grows with the length k of the dot products.
func TestMatMulFloat32VsFloat64(t *testing.T) {
	rng := newRNG(2200)
	for _, k := range []int{1, 10, 100, 1000, 4000} {
		m, n := 5, 7
		A := roundMat(tensor.Float32, randMat(rng, m, k))
		B := roundMat(tensor.Float32, randMat(rng, k, n))
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				a32, b32 := A.stored(ta).tensor(tensor.Float32), B.stored(tb).tensor(tensor.Float32)
				c32 := tensor.MatMul(a32, b32, ta, tb)
				c64 := tensor.MatMul(a32.As(tensor.Float64), b32.As(tensor.Float64), ta, tb)
				// |fl(Σ aᵢbᵢ) − Σ aᵢbᵢ| ≤ k·u·Σ|aᵢbᵢ| (plus rounding of the result).
				absA, absB := mat{A.r, A.c, make([]float64, len(A.v))}, mat{B.r, B.c, make([]float64, len(B.v))}
				for i, v := range A.v {
					absA.v[i] = math.Abs(v)
				}
				for i, v := range B.v {
					absB.v[i] = math.Abs(v)
				}
				bound := absA.mul(absB)
				u := math.Ldexp(1, -24)
				worst := 0.0
				for i := 0; i < c32.Len(); i++ {
					diff := math.Abs(c32.Flat(i) - c64.Flat(i))
					tol := float64(k+1)*u*bound.v[i] + u*math.Abs(c64.Flat(i))
					if diff > tol {
						t.Errorf("k=%d transA=%v transB=%v: element %d float32 %v float64 %v (diff %g > %g)",
							k, ta, tb, i, c32.Flat(i), c64.Flat(i), diff, tol)
					}
					worst = max(worst, diff/(bound.v[i]+1e-300))
				}
				t.Logf("k=%d transA=%v transB=%v: worst relative error %.3g (bound %.3g)", k, ta, tb, worst, float64(k+1)*u)
			}
		}
	}
}
