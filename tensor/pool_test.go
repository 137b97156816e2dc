package tensor_test

import (
	"fmt"
	"math"
	"testing"

	"backprop/tensor"
)

var poolCases = []struct {
	x []int
	p tensor.PoolParams
}{
	{[]int{2, 3, 6, 8}, tensor.PoolParams{Kernel: [2]int{2, 2}}},
	{[]int{1, 2, 7, 9}, tensor.PoolParams{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}},
	{[]int{2, 1, 9, 7}, tensor.PoolParams{Kernel: [2]int{3, 2}, Stride: [2]int{1, 2}, Padding: [2]int{1, 0}}},
	{[]int{1, 2, 11, 10}, tensor.PoolParams{Kernel: [2]int{3, 3}, Stride: [2]int{2, 3}, Padding: [2]int{1, 1}, Dilation: [2]int{2, 3}}},
	{[]int{3, 2, 5, 5}, tensor.PoolParams{Kernel: [2]int{5, 4}, Stride: [2]int{1, 1}, Padding: [2]int{2, 1}}},
}

// refMaxPool is max pooling with PyTorch's rules written out: each
// window's first element inside the input starts at −∞, a larger one or a
// NaN takes over.
func refMaxPool(x *tensor.Tensor, p tensor.PoolParams) ([]float64, []int32) {
	s := x.Shape()
	st, dl := p.Stride, p.Dilation
	for i := range 2 {
		if st[i] == 0 {
			st[i] = p.Kernel[i]
		}
		dl[i] = max(dl[i], 1)
	}
	oh := (s[2]+2*p.Padding[0]-dl[0]*(p.Kernel[0]-1)-1)/st[0] + 1
	ow := (s[3]+2*p.Padding[1]-dl[1]*(p.Kernel[1]-1)-1)/st[1] + 1
	var ys []float64
	var idx []int32
	for n := range s[0] {
		for c := range s[1] {
			for oy := range oh {
				for ox := range ow {
					m, mi := math.Inf(-1), -1
					for ky := range p.Kernel[0] {
						for kx := range p.Kernel[1] {
							iy, ix := oy*st[0]-p.Padding[0]+ky*dl[0], ox*st[1]-p.Padding[1]+kx*dl[1]
							if iy < 0 || iy >= s[2] || ix < 0 || ix >= s[3] {
								continue
							}
							if mi < 0 {
								mi = iy*s[3] + ix
							}
							if v := x.At(n, c, iy, ix); v > m || math.IsNaN(v) {
								m, mi = v, iy*s[3]+ix
							}
						}
					}
					ys, idx = append(ys, m), append(idx, int32(mi))
				}
			}
		}
	}
	return ys, idx
}

func refAvgPool(x *tensor.Tensor, p tensor.PoolParams) []float64 {
	s := x.Shape()
	st := p.Stride
	for i := range 2 {
		if st[i] == 0 {
			st[i] = p.Kernel[i]
		}
	}
	oh := (s[2]+2*p.Padding[0]-p.Kernel[0])/st[0] + 1
	ow := (s[3]+2*p.Padding[1]-p.Kernel[1])/st[1] + 1
	var ys []float64
	for n := range s[0] {
		for c := range s[1] {
			for oy := range oh {
				for ox := range ow {
					sum, cnt := 0.0, 0
					for ky := range p.Kernel[0] {
						for kx := range p.Kernel[1] {
							iy, ix := oy*st[0]-p.Padding[0]+ky, ox*st[1]-p.Padding[1]+kx
							if iy >= 0 && iy < s[2] && ix >= 0 && ix < s[3] {
								sum += x.At(n, c, iy, ix)
								cnt++
							}
						}
					}
					div := float64(p.Kernel[0] * p.Kernel[1])
					if p.ExcludePad {
						div = float64(cnt)
					}
					ys = append(ys, sum/div)
				}
			}
		}
	}
	return ys
}

func TestMaxPool2d(t *testing.T) {
	rng := newRNG(31)
	for _, dt := range dtypes {
		for ci, tc := range poolCases {
			for _, ties := range []bool{false, true} {
				x := randT(rng, dt, -1, 1, tc.x...)
				if ties {
					x = randInts(rng, dt, -2, 2, tc.x...)
				}
				want, wantIdx := refMaxPool(x, tc.p)
				y, idx := tensor.MaxPool2d(x, tc.p)
				name := fmt.Sprintf("%v case %d ties=%v", dt, ci, ties)
				checkVals(t, name, y, tensor.PoolShape(tc.x, tc.p), want, 0)
				for i := range idx {
					if idx[i] != wantIdx[i] {
						t.Fatalf("%s: argmax[%d] = %d, want %d", name, i, idx[i], wantIdx[i])
					}
				}
			}
		}
	}
}

// TestMaxPool2dPyTorch checks cases whose results PyTorch 1.13's
// max_pool2d(return_indices=True) gave: NaN wins (its last one), ties go
// to the first element, padding is −∞ and a window of −∞ keeps the index
// of its first element inside the input.
func TestMaxPool2dPyTorch(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		x     []float64
		shape []int
		p     tensor.PoolParams
		y     []float64
		idx   []int32
	}{
		{[]float64{1, nan, 3, 0, 2, 5, 5, -1, 0, 1, 2, 3, 4, 4, 1, 1}, []int{1, 1, 4, 4}, tensor.PoolParams{Kernel: [2]int{2, 2}},
			[]float64{nan, 5, 4, 3}, []int32{1, 6, 12, 11}},
		{[]float64{5, 5, 5, 5}, []int{1, 1, 2, 2}, tensor.PoolParams{Kernel: [2]int{2, 2}}, []float64{5}, []int32{0}},
		{[]float64{1, 2, nan, nan}, []int{1, 1, 2, 2}, tensor.PoolParams{Kernel: [2]int{2, 2}}, []float64{nan}, []int32{3}},
		{[]float64{nan, 7, 9, nan}, []int{1, 1, 2, 2}, tensor.PoolParams{Kernel: [2]int{2, 2}}, []float64{nan}, []int32{3}},
		{[]float64{-inf, -inf, -inf, -inf}, []int{1, 1, 2, 2}, tensor.PoolParams{Kernel: [2]int{2, 2}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}},
			[]float64{-inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf}, []int32{0, 0, 1, 0, 0, 1, 2, 2, 3}},
		{[]float64{-inf, -1e30, -1e30, -1e30, -1e30, -1e30, -1e30, -1e30, -1e30}, []int{1, 1, 3, 3}, tensor.PoolParams{Kernel: [2]int{2, 2}, Padding: [2]int{1, 1}},
			[]float64{-inf, -1e30, -1e30, -1e30}, []int32{0, 1, 3, 4}},
	} {
		for _, dt := range dtypes {
			x := tensor.FromSlice(tc.x, tc.shape...).As(dt)
			y, idx := tensor.MaxPool2d(x, tc.p)
			checkVals(t, fmt.Sprintf("%v %v", dt, tc.x), y, y.Shape(), roundAll(dt, tc.y), 0)
			for i := range idx {
				if idx[i] != tc.idx[i] {
					t.Errorf("%v %v: argmax %v, want %v", dt, tc.x, idx, tc.idx)
					break
				}
			}
		}
	}
}

func roundAll(dt tensor.DType, v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = round(dt, x)
	}
	return out
}

func TestAvgPool2d(t *testing.T) {
	rng := newRNG(32)
	for _, dt := range dtypes {
		for ci, tc := range poolCases {
			if tc.p.Dilation != [2]int{} {
				continue
			}
			for _, ex := range []bool{false, true} {
				p := tc.p
				p.ExcludePad = ex
				x := randT(rng, dt, -1, 1, tc.x...)
				name := fmt.Sprintf("%v case %d exclude=%v", dt, ci, ex)
				checkVals(t, name, tensor.AvgPool2d(x, p), tensor.PoolShape(tc.x, p), refAvgPool(x, p), 4*eps(dt))
			}
		}
	}
}

func TestPoolGradients(t *testing.T) {
	rng := newRNG(33)
	dt := tensor.Float64
	for ci, tc := range poolCases {
		x := randT(rng, dt, -1, 1, tc.x...) // distinct values: no ties
		shape := tensor.PoolShape(tc.x, tc.p)
		r := randT(rng, dt, -1, 1, shape...)
		_, idx := tensor.MaxPool2d(x, tc.p)
		dx := tensor.MaxPool2dBackwardTo(tensor.Full(dt, 3, tc.x...), r, idx)
		f := func() *tensor.Tensor { y, _ := tensor.MaxPool2d(x, tc.p); return y }
		checkGrad(t, fmt.Sprintf("max case %d", ci), dx, numGrad(f, x, r, 1e-6), 1e-7)
		if tc.p.Dilation != [2]int{} {
			continue
		}
		for _, ex := range []bool{false, true} {
			p := tc.p
			p.ExcludePad = ex
			dx := tensor.AvgPool2dBackwardTo(tensor.Full(dt, 3, tc.x...), r, p)
			f := func() *tensor.Tensor { return tensor.AvgPool2d(x, p) }
			checkGrad(t, fmt.Sprintf("avg case %d exclude=%v", ci, ex), dx, numGrad(f, x, r, 1e-3), 1e-7)
		}
	}
	x := randT(rng, dt, -1, 1, 3, 4, 5, 6)
	r := randT(rng, dt, -1, 1, 3, 4)
	dx := tensor.GlobalAvgPool2dBackwardTo(tensor.Zeros(dt, 3, 4, 5, 6), r)
	checkGrad(t, "global", dx, numGrad(func() *tensor.Tensor { return tensor.GlobalAvgPool2d(x) }, x, r, 1e-3), 1e-7)
}

func TestGlobalAvgPool2d(t *testing.T) {
	rng := newRNG(34)
	for _, dt := range dtypes {
		x := randT(rng, dt, -1, 1, 2, 3, 7, 9)
		var want []float64
		for n := range 2 {
			for c := range 3 {
				s := 0.0
				for i := range 7 {
					for j := range 9 {
						s += x.At(n, c, i, j)
					}
				}
				want = append(want, s/63)
			}
		}
		checkVals(t, dt.String(), tensor.GlobalAvgPool2d(x), []int{2, 3}, want, 4*eps(dt))
		y4 := tensor.GlobalAvgPool2dTo(tensor.Zeros(dt, 2, 3, 1, 1), x)
		checkVals(t, dt.String()+" [N C 1 1]", y4, []int{2, 3, 1, 1}, want, 4*eps(dt))
	}
}

func TestPoolPanics(t *testing.T) {
	f := tensor.Float32
	x := tensor.Zeros(f, 2, 3, 6, 6)
	k2 := tensor.PoolParams{Kernel: [2]int{2, 2}}
	mustPanic(t, func() { tensor.MaxPool2d(tensor.Zeros(f, 3, 6, 6), k2) }, "MaxPool2d", "[3 6 6]")
	mustPanic(t, func() { tensor.MaxPool2d(x, tensor.PoolParams{Kernel: [2]int{2, 2}, Padding: [2]int{2, 0}}) }, "MaxPool2d", "more than half")
	mustPanic(t, func() { tensor.MaxPool2d(x, tensor.PoolParams{Kernel: [2]int{7, 2}}) }, "MaxPool2d", "larger than the input")
	mustPanic(t, func() { tensor.MaxPool2d(x, tensor.PoolParams{}) }, "MaxPool2d", "bad parameters")
	mustPanic(t, func() { tensor.AvgPool2d(x, tensor.PoolParams{Kernel: [2]int{2, 2}, Dilation: [2]int{2, 2}}) }, "AvgPool2d", "dilation")
	mustPanic(t, func() { tensor.MaxPool2dTo(tensor.Zeros(f, 2, 3, 3, 3), make([]int32, 5), x, k2) }, "MaxPool2d", "argmax has 5")
	mustPanic(t, func() { tensor.MaxPool2dTo(tensor.Zeros(f, 2, 3, 3, 2), make([]int32, 36), x, k2) }, "MaxPool2d", "destination shape")
	mustPanic(t, func() { tensor.AvgPool2dBackwardTo(x, tensor.Zeros(f, 2, 3, 3, 2), k2) }, "AvgPool2dBackward", "gradient shape [2 3 3 2]")
	mustPanic(t, func() { tensor.GlobalAvgPool2dTo(tensor.Zeros(f, 2, 4), x) }, "GlobalAvgPool2d", "[2 4]")
	if s := tensor.PoolShape([]int{1, 1, 7, 8}, tensor.PoolParams{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}); !tensor.SameShape(s, []int{1, 1, 4, 4}) {
		t.Errorf("PoolShape = %v", s)
	}
}
