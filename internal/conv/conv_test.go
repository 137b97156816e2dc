package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"unsafe"

	"backprop/internal/gemm"
)

// geoms are the geometries every operation is checked on: odd sizes,
// strides, padding (also wider than the kernel), dilations, groups
// (depthwise too), 1×1 kernels, batch 1 and more, and the layers of the
// benchmarks at small batch.
func geoms() []Geom {
	G := func(n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw, groups int) Geom {
		return Geom{N: n, C: c, H: h, W: w, K: k, R: r, S: s, StrideH: sh, StrideW: sw, PadH: ph, PadW: pw, DilH: dh, DilW: dw, Groups: groups}
	}
	return []Geom{
		G(1, 1, 5, 7, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1),
		G(2, 3, 9, 11, 5, 3, 2, 2, 1, 1, 2, 1, 2, 1),
		G(3, 4, 8, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2),
		G(2, 4, 7, 9, 4, 3, 3, 2, 2, 1, 1, 1, 1, 4),   // depthwise, stride 2
		G(1, 6, 10, 6, 12, 5, 3, 3, 2, 2, 1, 2, 1, 3), // groups with 2 outputs each
		G(2, 3, 6, 5, 7, 1, 1, 2, 3, 0, 0, 1, 1, 1),   // 1×1, strided
		G(1, 2, 4, 4, 3, 3, 3, 1, 1, 4, 3, 1, 1, 1),   // padding wider than the kernel
		G(2, 2, 13, 10, 9, 4, 5, 1, 2, 3, 0, 3, 1, 1), // even kernel, dilation 3
		G(1, 5, 3, 40, 37, 2, 3, 1, 1, 0, 1, 1, 1, 1), // wide rows, outputs past two tiles
		G(2, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1), // LeNet-5 conv1
		G(2, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1),
		G(1, 1, 28, 28, 32, 3, 3, 1, 1, 0, 0, 1, 1, 1), // MNIST CNN
		G(2, 32, 26, 26, 64, 3, 3, 1, 1, 0, 0, 1, 1, 1),
		G(1, 3, 0, 4, 2, 1, 2, 1, 1, 1, 0, 1, 1, 1), // empty input rows, all padding
		G(0, 3, 5, 5, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1), // empty batch
		G(1, 40, 6, 6, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1),
		G(1, 300, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1), // inner dimension past Kc
		G(2, 8, 12, 30, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1),
		G(1, 6, 10, 40, 7, 3, 2, 1, 1, 2, 1, 2, 3, 1),
		G(2, 16, 9, 33, 8, 3, 3, 1, 1, 1, 0, 1, 1, 2),
		G(1, 128, 5, 20, 9, 3, 3, 1, 1, 0, 0, 1, 1, 1),
	}
}

// data returns n values: small integers when exact (so that float32
// sums of their products are exact), uniform in [−1, 1) otherwise.
func data(rng *rand.Rand, n int, exact bool) []float64 {
	s := make([]float64, n)
	for i := range s {
		if exact {
			s[i] = float64(rng.IntN(9) - 4)
		} else {
			s[i] = rng.Float64()*2 - 1
		}
	}
	return s
}

func conv[T Float](s []float64) []T {
	if s == nil {
		return nil
	}
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = T(v)
	}
	return out
}

func eps[T Float]() float64 {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return 0x1p-23
	}
	return 0x1p-52
}

// near checks got against want element by element: exactly when exact,
// else within a few ulps of the terms' magnitude per term.
func near[T Float](t *testing.T, what string, got []T, want, mag []float64, terms int, exact bool) {
	t.Helper()
	if len(got) < len(want) {
		t.Fatalf("%s: %d elements, want %d", what, len(got), len(want))
	}
	for i, w := range want {
		g := float64(got[i])
		tol := 4 * eps[T]() * mag[i] * math.Sqrt(float64(terms)+1)
		if exact {
			tol = 0
		}
		if !(math.Abs(g-w) <= tol) {
			t.Fatalf("%s: element %d = %v, want %v (tolerance %g)", what, i, g, w, tol)
		}
	}
}

func TestForward(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		testForward[float32](t)
		testForward[float64](t)
	})
}

// eachPath runs f over every micro-kernel (eachMicro), with the choice
// of the wide scheme left to the code, and then with it forced off and
// on wherever it applies.
func eachPath(t *testing.T, f func(t *testing.T)) {
	for _, wide := range []int{-1, 0, 1} {
		t.Run(fmt.Sprintf("wide=%d", wide), func(t *testing.T) {
			testWide = wide
			defer func() { testWide = -1 }()
			eachMicro(t, f)
		})
	}
}

// eachMicro runs f with every micro-kernel of gemm forced in turn, for
// the tile edges of each.
func eachMicro(t *testing.T, f func(t *testing.T)) {
	n := len(gemm.Micros[float32]())
	if m := len(gemm.Micros[float64]()); m < n {
		n = m
	}
	for i := -1; i < n; i++ {
		name := "default"
		if i >= 0 {
			name = gemm.Micros[float32]()[i].Name()
		}
		t.Run(name, func(t *testing.T) {
			testMicro = i
			defer func() { testMicro = -1 }()
			f(t)
		})
	}
}

func testForward[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for gi, g := range geoms() {
		for _, exact := range []bool{true, false} {
			x := data(rng, g.inLen(), exact)
			w := data(rng, g.wLen(), exact)
			var bias []float64
			if gi%2 == 0 {
				bias = data(rng, g.K, exact)
			}
			want, mag := refForward(&g, x, w, bias)
			y := conv[T](data(rng, g.outLen()+3, false)) // garbage to overwrite, and a tail to keep
			tail := y[g.outLen():]
			tail0 := append([]T(nil), tail...)
			Forward(&g, y[:g.outLen()], conv[T](x), conv[T](w), conv[T](bias))
			what := fmt.Sprintf("%T %+v exact=%v bias=%v", y[0], g, exact, bias != nil)
			near(t, what, y, want, mag, g.C/g.Groups*g.R*g.S, exact)
			for i := range tail {
				if tail[i] != tail0[i] {
					t.Fatalf("%s: wrote past the output", what)
				}
			}
		}
	}
}

// withProcs runs f with GOMAXPROCS set to p.
func withProcs(p int, f func()) {
	old := runtime.GOMAXPROCS(p)
	defer runtime.GOMAXPROCS(old)
	f()
}

func TestBackwardData(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		testBackwardData[float32](t)
		testBackwardData[float64](t)
	})
}

func testBackwardData[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, g := range geoms() {
		for _, exact := range []bool{true, false} {
			dy := data(rng, g.outLen(), exact)
			w := data(rng, g.wLen(), exact)
			want, mag := refBackwardData(&g, dy, w)
			dx := conv[T](data(rng, g.inLen()+3, false))
			tail0 := append([]T(nil), dx[g.inLen():]...)
			BackwardData(&g, dx[:g.inLen()], conv[T](dy), conv[T](w))
			what := fmt.Sprintf("%T %+v exact=%v", dx[0], g, exact)
			near(t, what, dx, want, mag, g.K/g.Groups*g.R*g.S, exact)
			for i, v := range dx[g.inLen():] {
				if v != tail0[i] {
					t.Fatalf("%s: wrote past dx", what)
				}
			}
		}
	}
}

func TestBackwardWeight(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		testBackwardWeight[float32](t)
		testBackwardWeight[float64](t)
	})
}

func testBackwardWeight[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for gi, g := range geoms() {
		for _, exact := range []bool{true, false} {
			dy := data(rng, g.outLen(), exact)
			x := data(rng, g.inLen(), exact)
			want, mag := refBackwardWeight(&g, dy, x)
			acc := gi%2 == 1
			dw0 := data(rng, g.wLen()+3, exact)
			if acc {
				for i := range want {
					want[i] += dw0[i]
					mag[i] += abs(dw0[i])
				}
			}
			dw := conv[T](dw0)
			BackwardWeight(&g, dw[:g.wLen()], conv[T](dy), conv[T](x), acc)
			what := fmt.Sprintf("%T %+v exact=%v accumulate=%v", dw[0], g, exact, acc)
			near(t, what, dw, want, mag, g.N*g.OutH()*g.OutW()+1, exact)
			for i, v := range dw[g.wLen():] {
				if v != T(dw0[g.wLen()+i]) {
					t.Fatalf("%s: wrote past dw", what)
				}
			}
		}
	}
}

func TestBackwardBias(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for gi, g := range geoms() {
		dy := data(rng, g.outLen(), false)
		want, mag := refBackwardBias(&g, dy)
		acc := gi%2 == 1
		db0 := data(rng, g.K, false)
		if acc {
			for i := range want {
				want[i] += db0[i]
				mag[i] += abs(db0[i])
			}
		}
		db := conv[float32](db0)
		BackwardBias(&g, db, conv[float32](dy), acc)
		near(t, fmt.Sprintf("%+v", g), db, want, mag, g.N*g.OutH()*g.OutW()+1, false)
		db64 := conv[float64](db0)
		BackwardBias(&g, db64, dy, acc)
		near(t, fmt.Sprintf("%+v", g), db64, want, mag, g.N*g.OutH()*g.OutW()+1, false)
	}
}
