package tensor_test

import (
	"fmt"
	"runtime"
	"testing"

	"backprop/tensor"
)

// refConv is the convolution by its definition, seven nested loops in
// float64 over the tensors' elements.
func refConv(x, w *tensor.Tensor, b *tensor.Tensor, p tensor.ConvParams) []float64 {
	xs, ws := x.Shape(), w.Shape()
	N, H, W := xs[0], xs[2], xs[3]
	K, cg, R, S := ws[0], ws[1], ws[2], ws[3]
	G := max(p.Groups, 1)
	st, pd, dl := p.Stride, p.Padding, p.Dilation
	for i := range 2 {
		st[i], dl[i] = max(st[i], 1), max(dl[i], 1)
	}
	OH := (H+2*pd[0]-dl[0]*(R-1)-1)/st[0] + 1
	OW := (W+2*pd[1]-dl[1]*(S-1)-1)/st[1] + 1
	kg := K / G
	out := make([]float64, 0, N*K*OH*OW)
	for n := range N {
		for k := range K {
			for oy := range OH {
				for ox := range OW {
					s := 0.0
					if b != nil {
						s = b.At(k)
					}
					for c := range cg {
						for ky := range R {
							for kx := range S {
								iy, ix := oy*st[0]-pd[0]+ky*dl[0], ox*st[1]-pd[1]+kx*dl[1]
								if iy >= 0 && iy < H && ix >= 0 && ix < W {
									s += x.At(n, k/kg*cg+c, iy, ix) * w.At(k, c, ky, kx)
								}
							}
						}
					}
					out = append(out, s)
				}
			}
		}
	}
	return out
}

var convCases = []struct {
	x, w []int
	p    tensor.ConvParams
}{
	{[]int{1, 1, 5, 6}, []int{2, 1, 3, 3}, tensor.ConvParams{}},
	{[]int{2, 3, 7, 5}, []int{4, 3, 3, 2}, tensor.ConvParams{Stride: [2]int{2, 1}, Padding: [2]int{1, 2}, Dilation: [2]int{1, 2}}},
	{[]int{2, 4, 6, 6}, []int{4, 1, 3, 3}, tensor.ConvParams{Padding: [2]int{1, 1}, Groups: 4}}, // depthwise
	{[]int{1, 4, 8, 7}, []int{6, 2, 2, 3}, tensor.ConvParams{Stride: [2]int{3, 2}, Dilation: [2]int{2, 1}, Groups: 2}},
	{[]int{3, 2, 9, 10}, []int{3, 2, 3, 3}, tensor.ConvParams{Padding: [2]int{2, 1}}},
	{[]int{1, 6, 6, 9}, []int{4, 6, 3, 3}, tensor.ConvParams{Padding: [2]int{1, 1}}},
}

func TestConv2d(t *testing.T) {
	rng := newRNG(21)
	for _, dt := range dtypes {
		for ci, tc := range convCases {
			x := randT(rng, dt, -1, 1, tc.x...)
			w := randT(rng, dt, -1, 1, tc.w...)
			b := randT(rng, dt, -1, 1, tc.w[0])
			shape := tensor.Conv2dShape(tc.x, tc.w, tc.p)
			name := fmt.Sprintf("%v case %d", dt, ci)
			checkVals(t, name, tensor.Conv2d(x, w, tc.p), shape, refConv(x, w, nil, tc.p), 20*eps(dt))
			checkVals(t, name+" bias", tensor.Conv2dBias(x, w, b, tc.p), shape, refConv(x, w, b, tc.p), 20*eps(dt))
			// The destination form, into a destination holding garbage.
			y := tensor.Full(dt, 7, shape...)
			tensor.Conv2dTo(y, x, w, tc.p)
			checkVals(t, name+" To", y, shape, refConv(x, w, nil, tc.p), 20*eps(dt))
		}
	}
}

// TestConv2dGradients checks the three backward functions against
// centered differences of the forward convolution in float64 (exact up
// to rounding for any step, the convolution being linear in each
// operand), for a random upstream gradient, and the accumulating form of the weight and
// bias gradients.
func TestConv2dGradients(t *testing.T) {
	rng := newRNG(22)
	dt := tensor.Float64
	for ci, tc := range convCases {
		x := randT(rng, dt, -1, 1, tc.x...)
		w := randT(rng, dt, -1, 1, tc.w...)
		b := randT(rng, dt, -1, 1, tc.w[0])
		shape := tensor.Conv2dShape(tc.x, tc.w, tc.p)
		r := randT(rng, dt, -1, 1, shape...)
		f := func() *tensor.Tensor { return tensor.Conv2dBias(x, w, b, tc.p) }
		name := fmt.Sprintf("case %d", ci)
		checkGrad(t, name+" dx", tensor.Conv2dBackwardData(r, w, tc.x, tc.p), numGrad(f, x, r, 1e-3), 1e-7)
		checkGrad(t, name+" dw", tensor.Conv2dBackwardWeight(r, x, tc.w, tc.p), numGrad(f, w, r, 1e-3), 1e-7)
		checkGrad(t, name+" db", tensor.Conv2dBackwardBias(r), numGrad(f, b, r, 1e-3), 1e-7)

		dw := tensor.Full(dt, 0.5, tc.w...)
		tensor.Conv2dBackwardWeightTo(dw, r, x, tc.p, true)
		want := tensor.AddScalar(tensor.Conv2dBackwardWeight(r, x, tc.w, tc.p), 0.5)
		checkVals(t, name+" dw accumulated", dw, tc.w, want.Values(), 1e-12)
		db := tensor.Full(dt, -1, tc.w[0])
		tensor.Conv2dBackwardBiasTo(db, r, true)
		checkVals(t, name+" db accumulated", db, tc.w[:1], tensor.AddScalar(tensor.Conv2dBackwardBias(r), -1).Values(), 1e-12)
	}
}

func TestConv2dPanics(t *testing.T) {
	f := tensor.Float32
	x, w := tensor.Zeros(f, 2, 4, 5, 5), tensor.Zeros(f, 6, 2, 3, 3)
	g2 := tensor.ConvParams{Groups: 2}
	y := tensor.Zeros(f, 2, 6, 3, 3)
	mustPanic(t, func() { tensor.Conv2d(x, tensor.Zeros(f, 6, 4, 3, 3), g2) }, "Conv2d", "[2 4 5 5]", "[6 4 3 3]", "groups")
	mustPanic(t, func() { tensor.Conv2d(x, w, tensor.ConvParams{}) }, "Conv2d", "[2 4 5 5]", "[6 2 3 3]")
	mustPanic(t, func() { tensor.Conv2d(tensor.Zeros(f, 4, 5, 5), w, g2) }, "Conv2d", "[4 5 5]")
	mustPanic(t, func() { tensor.Conv2d(x, tensor.Zeros(f, 6, 2, 7, 3), g2) }, "Conv2d", "larger than the padded input")
	mustPanic(t, func() { tensor.Conv2d(x, w, tensor.ConvParams{Groups: 2, Stride: [2]int{-1, 1}}) }, "Conv2d", "negative")
	mustPanic(t, func() { tensor.Conv2d(x, tensor.Zeros(tensor.Float64, 6, 2, 3, 3), g2) }, "Conv2d", "mixed dtypes")
	mustPanic(t, func() { tensor.Conv2dTo(tensor.Zeros(f, 2, 6, 3, 4), x, w, g2) }, "Conv2d", "destination shape [2 6 3 4], want [2 6 3 3]")
	mustPanic(t, func() { tensor.Conv2dBiasTo(y, x, w, tensor.Zeros(f, 5), g2) }, "Conv2dBias", "bias shape [5]")
	mustPanic(t, func() {
		tensor.Conv2dTo(x.Reshape(2, 4, 5, 5), x, tensor.Zeros(f, 4, 1, 1, 1), tensor.ConvParams{Groups: 4})
	}, "shares storage")
	mustPanic(t, func() { tensor.Conv2dBackwardDataTo(tensor.Zeros(f, 2, 4, 5, 5), tensor.Zeros(f, 2, 6, 3, 2), w, g2) }, "Conv2dBackwardData", "gradient shape [2 6 3 2], want [2 6 3 3]")
	mustPanic(t, func() {
		tensor.Conv2dBackwardWeightTo(tensor.Zeros(f, 6, 2, 3, 3), tensor.Zeros(f, 2, 6, 3, 3), x, tensor.ConvParams{}, false)
	}, "Conv2dBackwardWeight", "groups")
	mustPanic(t, func() { tensor.Conv2dBackwardBiasTo(tensor.Zeros(f, 5), y, false) }, "Conv2dBackwardBias", "[5]", "[2 6 3 3]")
	if s := tensor.Conv2dShape([]int{8, 3, 32, 32}, []int{16, 3, 5, 5}, tensor.ConvParams{Stride: [2]int{2, 2}, Padding: [2]int{2, 2}}); !tensor.SameShape(s, []int{8, 16, 16, 16}) {
		t.Errorf("Conv2dShape = %v, want [8 16 16 16]", s)
	}
}

// TestConv2dWorkers checks bit-identical results on one and two cores.
func TestConv2dWorkers(t *testing.T) {
	rng := newRNG(23)
	x := randT(rng, tensor.Float32, -1, 1, 6, 8, 12, 12)
	w := randT(rng, tensor.Float32, -1, 1, 16, 8, 3, 3)
	p := tensor.ConvParams{Padding: [2]int{1, 1}}
	var outs [2][]*tensor.Tensor
	for i, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		y := tensor.Conv2d(x, w, p)
		outs[i] = []*tensor.Tensor{y, tensor.Conv2dBackwardData(y, w, x.Shape(), p), tensor.Conv2dBackwardWeight(y, x, w.Shape(), p)}
		runtime.GOMAXPROCS(old)
	}
	for j := range outs[0] {
		if !tensor.Equal(outs[0][j], outs[1][j]) {
			t.Errorf("output %d differs between 1 and 2 cores", j)
		}
	}
}
