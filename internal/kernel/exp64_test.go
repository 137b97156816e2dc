package kernel

import (
	"math"
	"math/big"
	"math/rand/v2"
	"sync"
	"testing"
)

// The references: e^x and ln x in 256-bit arithmetic, rounded once to
// float64 (big.Float rounds to nearest even, subnormals included), so
// they are correctly rounded.
const refPrec = 256

var refLn2 = sync.OnceValue(func() *big.Float {
	// ln 2 = 2·atanh(1/3) = 2·Σ (1/3)^(2n+1)/(2n+1)
	return bigAtanh2(new(big.Float).SetPrec(refPrec).Quo(big.NewFloat(1), big.NewFloat(3)))
})

// bigAtanh2 returns 2·atanh(s) for |s| < 1/2, by its series.
func bigAtanh2(s *big.Float) *big.Float {
	s2 := new(big.Float).SetPrec(refPrec).Mul(s, s)
	pow := new(big.Float).SetPrec(refPrec).Set(s)
	sum := new(big.Float).SetPrec(refPrec)
	for n := 0; n < 2000; n++ {
		term := new(big.Float).SetPrec(refPrec).Quo(pow, big.NewFloat(float64(2*n+1)))
		sum.Add(sum, term)
		if term.Sign() == 0 || term.MantExp(nil)-sum.MantExp(nil) < -refPrec-8 {
			break
		}
		pow.Mul(pow, s2)
	}
	return sum.Mul(sum, big.NewFloat(2))
}

func bigExp(x float64) float64 {
	k := math.Round(x / math.Ln2)
	r := new(big.Float).SetPrec(refPrec).SetFloat64(x)
	r.Sub(r, new(big.Float).SetPrec(refPrec).Mul(refLn2(), big.NewFloat(k)))
	sum := new(big.Float).SetPrec(refPrec).SetInt64(1)
	term := new(big.Float).SetPrec(refPrec).SetInt64(1)
	for n := 1; n < 200; n++ {
		term.Mul(term, r)
		term.Quo(term, big.NewFloat(float64(n)))
		sum.Add(sum, term)
		if term.Sign() == 0 || term.MantExp(nil) < -refPrec-8 {
			break
		}
	}
	f, _ := new(big.Float).SetMantExp(sum, int(k)).Float64()
	return f
}

func bigLog(x float64) float64 {
	m, e := math.Frexp(x) // x = m·2ᵉ, m in [½, 1)
	m, e = 2*m, e-1
	M := new(big.Float).SetPrec(refPrec).SetFloat64(m)
	num := new(big.Float).SetPrec(refPrec).Sub(M, big.NewFloat(1))
	den := new(big.Float).SetPrec(refPrec).Add(M, big.NewFloat(1))
	l := bigAtanh2(num.Quo(num, den)) // ln m, with (m−1)/(m+1) < 1/3
	l.Add(l, new(big.Float).SetPrec(refPrec).Mul(refLn2(), big.NewFloat(float64(e))))
	f, _ := l.Float64()
	return f
}

// ulpErr returns |got − want| in units of the spacing of float64 values
// at want (2⁻¹⁰⁷⁴ among subnormals); infinities must agree exactly.
func ulpErr(got, want float64) float64 {
	if got == want || (math.IsNaN(got) && math.IsNaN(want)) {
		return 0
	}
	if math.IsInf(want, 0) || math.IsInf(got, 0) || math.IsNaN(got) || math.IsNaN(want) {
		return math.Inf(1)
	}
	a := math.Abs(want)
	ulp := math.Nextafter(a, math.Inf(1)) - a
	if math.IsInf(ulp, 0) {
		ulp = a - math.Nextafter(a, 0)
	}
	return math.Abs(got-want) / ulp
}

func TestExp64(t *testing.T) {
	xs := []float64{0, -0.0, 1, -1, 0.5, 1e-300, -1e-300, 0x1p-60, math.Ln2, -math.Ln2, 10, -10, 100,
		700, 709, 709.09, 709.5, 709.78, 709.782712893383, expOver, -700, -708.39, -708.4, -720, -740,
		-745, -745.13, expUnde}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		xs = append(xs, -745.2+rng.Float64()*(709.79+745.2))
	}
	for range 5000 {
		xs = append(xs, (rng.Float64()-0.5)*2) // around 0
	}
	worst, at := 0.0, 0.0
	for _, x := range xs {
		if e := ulpErr(Exp64(x), bigExp(x)); e > worst {
			worst, at = e, x
		}
	}
	t.Logf("Exp64: worst error %.3f ulp at x = %v", worst, at)
	if worst > 1 {
		t.Errorf("Exp64(%v) = %v, correctly rounded %v: %.3f ulp", at, Exp64(at), bigExp(at), worst)
	}
	for _, c := range []struct{ x, want float64 }{
		{math.Inf(1), math.Inf(1)}, {math.Inf(-1), 0}, {710, math.Inf(1)}, {-746, 0},
	} {
		if got := Exp64(c.x); got != c.want {
			t.Errorf("Exp64(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if !math.IsNaN(Exp64(math.NaN())) {
		t.Error("Exp64(NaN) is not NaN")
	}
	if got := Exp64(709.78); math.IsInf(got, 0) || got < 1.79e308 {
		t.Errorf("Exp64(709.78) = %v, want 1.7928e308", got)
	}
}

func TestLog64(t *testing.T) {
	xs := []float64{1, 2, 0.5, math.E, 10, 1e-300, 1e300, math.MaxFloat64, 0x1p-1022, 5e-324, 1e-310,
		2.2250738585072014e-308, 2.225073858507201e-308, 1 + 0x1p-52, 1 - 0x1p-53, math.Sqrt2, math.Sqrt2 / 2}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 { // every exponent, subnormals included
		xs = append(xs, math.Float64frombits(rng.Uint64N(0x7ff0000000000000)))
	}
	for range 5000 { // near 1
		xs = append(xs, 1+(rng.Float64()-0.5)*0.1)
	}
	worst, at := 0.0, 0.0
	for _, x := range xs {
		if x == 0 {
			continue
		}
		if e := ulpErr(Log64(x), bigLog(x)); e > worst {
			worst, at = e, x
		}
	}
	t.Logf("Log64: worst error %.3f ulp at x = %v", worst, at)
	if worst > 1 {
		t.Errorf("Log64(%v) = %v, correctly rounded %v: %.3f ulp", at, Log64(at), bigLog(at), worst)
	}
	if got := Log64(5e-324); math.Abs(got+744.4400719213812) > 1e-12 {
		t.Errorf("Log64(5e-324) = %v, want −744.44", got)
	}
	for _, c := range []struct{ x, want float64 }{{0, math.Inf(-1)}, {math.Inf(1), math.Inf(1)}, {1, 0}} {
		if got := Log64(c.x); got != c.want {
			t.Errorf("Log64(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	for _, x := range []float64{-1, math.Inf(-1), math.NaN(), -5e-324} {
		if !math.IsNaN(Log64(x)) {
			t.Errorf("Log64(%v) = %v, want NaN", x, Log64(x))
		}
	}
}

func BenchmarkExp64(b *testing.B) {
	x := make([]float64, 4096)
	for i := range x {
		x[i] = float64(i)/4096*20 - 10
	}
	dst := make([]float64, len(x))
	b.Run("kernel", func(b *testing.B) {
		for b.Loop() {
			ExpF64(dst, x)
		}
	})
	b.Run("math", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				dst[i] = math.Exp(v)
			}
		}
	})
}
