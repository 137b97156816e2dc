package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
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
		G(2, 4, 11, 13, 6, 3, 3, 1, 1, 1, 2, 2, 3, 2), // dilated and grouped at stride 1, batch 2
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
// of the wide scheme left to the code, and then with it forced off, to
// its tap mode and to its full mode wherever it applies, each storing
// its tiles straight into the output or compacting wide rows.
func eachPath(t *testing.T, f func(t *testing.T)) {
	for _, wide := range []int{-1, 0, 1, 2} {
		for _, direct := range []int{-1, 0, 1} {
			if wide <= 0 && direct >= 0 {
				continue
			}
			t.Run(fmt.Sprintf("wide=%d/direct=%d", wide, direct), func(t *testing.T) {
				testWide, testDirect = wide, direct
				defer func() { testWide, testDirect = -1, -1 }()
				eachMicro(t, wide == -1 && direct == -1, f)
			})
		}
	}
}

// eachMicro runs f with every micro-kernel of gemm forced in turn, for
// the tile edges of each, or, unless all, with the default and the
// pure-Go one (the smallest tile).
func eachMicro(t *testing.T, all bool, f func(t *testing.T)) {
	n := len(gemm.Micros[float32]())
	if m := len(gemm.Micros[float64]()); m < n {
		n = m
	}
	for i := -1; i < n; i++ {
		if !all && i >= 0 && gemm.Micros[float32]()[i].Name() != "go" {
			continue
		}
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

// A refCase is the inputs of one case and the reference's result with
// the magnitudes of its terms. Cases are memoised, since every path and
// micro-kernel runs them: their inputs come from a generator seeded by
// the operation, the geometry and exactness alone.
type refCase struct {
	a, b, c   []float64
	want, mag []float64
}

var refMemo sync.Map

func memo(op string, gi int, exact bool, f func(rng *rand.Rand) *refCase) *refCase {
	key := fmt.Sprint(op, gi, exact)
	if c, ok := refMemo.Load(key); ok {
		return c.(*refCase)
	}
	seed := uint64(1)
	if exact {
		seed = 2
	}
	c := f(rand.New(rand.NewPCG(uint64(gi), seed+uint64(len(op))<<8)))
	refMemo.Store(key, c)
	return c
}

func testForward[T Float](t *testing.T) {
	for gi, g := range geoms() {
		for _, exact := range []bool{true, false} {
			rc := memo("forward", gi, exact, func(rng *rand.Rand) *refCase {
				c := &refCase{a: data(rng, g.inLen(), exact), b: data(rng, g.wLen(), exact)}
				if gi%2 == 0 {
					c.c = data(rng, g.K, exact)
				}
				c.want, c.mag = refForward(&g, c.a, c.b, c.c)
				return c
			})
			y := make([]T, g.outLen()+3) // garbage to overwrite, and a tail to keep
			for i := range y {
				y[i] = T(i%7) - 3.5
			}
			tail := y[g.outLen():]
			tail0 := append([]T(nil), tail...)
			Forward(&g, y[:g.outLen()], conv[T](rc.a), conv[T](rc.b), conv[T](rc.c))
			what := fmt.Sprintf("%T %+v exact=%v bias=%v", y[0], g, exact, rc.c != nil)
			near(t, what, y, rc.want, rc.mag, g.C/g.Groups*g.R*g.S, exact)
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
	for _, fold := range []int{0, 1} {
		t.Run(fmt.Sprintf("fold=%d", fold), func(t *testing.T) {
			testFold = fold
			defer func() { testFold = -1 }()
			eachMicro(t, true, func(t *testing.T) {
				testBackwardData[float32](t)
				testBackwardData[float64](t)
			})
		})
	}
}

func testBackwardData[T Float](t *testing.T) {
	for gi, g := range geoms() {
		for _, exact := range []bool{true, false} {
			rc := memo("data", gi, exact, func(rng *rand.Rand) *refCase {
				c := &refCase{a: data(rng, g.outLen(), exact), b: data(rng, g.wLen(), exact)}
				c.want, c.mag = refBackwardData(&g, c.a, c.b)
				return c
			})
			dx := make([]T, g.inLen()+3)
			for i := range dx {
				dx[i] = T(i%5) - 2.5
			}
			tail0 := append([]T(nil), dx[g.inLen():]...)
			BackwardData(&g, dx[:g.inLen()], conv[T](rc.a), conv[T](rc.b))
			what := fmt.Sprintf("%T %+v exact=%v", dx[0], g, exact)
			near(t, what, dx, rc.want, rc.mag, g.K/g.Groups*g.R*g.S, exact)
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
	for gi, g := range geoms() {
		for _, exact := range []bool{true, false} {
			acc := gi%2 == 1
			rc := memo("weight", gi, exact, func(rng *rand.Rand) *refCase {
				c := &refCase{a: data(rng, g.outLen(), exact), b: data(rng, g.inLen(), exact), c: data(rng, g.wLen()+3, exact)}
				c.want, c.mag = refBackwardWeight(&g, c.a, c.b)
				if acc {
					for i := range c.want {
						c.want[i] += c.c[i]
						c.mag[i] += abs(c.c[i])
					}
				}
				return c
			})
			dw := conv[T](rc.c)
			BackwardWeight(&g, dw[:g.wLen()], conv[T](rc.a), conv[T](rc.b), acc)
			what := fmt.Sprintf("%T %+v exact=%v accumulate=%v", dw[0], g, exact, acc)
			near(t, what, dw, rc.want, rc.mag, g.N*g.OutH()*g.OutW()+1, exact)
			for i, v := range dw[g.wLen():] {
				if v != T(rc.c[g.wLen()+i]) {
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
