package kernel

import "math"

// The float64 exponential and logarithm, in plain Go on every platform.
// The standard library's are assembly on amd64 and wrong at the edges
// there: its Exp overflows to +Inf from x ≈ 709.09 on, although e^x is
// finite up to ln(MaxFloat64) ≈ 709.78, and its Log is off by up to 35
// (log(5e-324) gives −709.09 for −744.44) on subnormal inputs. Both here
// return the correctly rounded result or one of its two neighbours (an
// error below 1 ulp of the exact value plus the final rounding) over the
// whole range; the tests compare them with 256-bit arithmetic.

const (
	// ln2Hi64 + ln2Lo64 = ln 2, with ln2Hi64's low 32 bits zero, so that k·ln2Hi64
	// is exact for |k| < 2²¹.
	ln2Hi64 = 6.93147180369123816490e-01 // 0x3fe62e42fee00000
	ln2Lo64 = 1.90821492927058770002e-10 // 0x3dea39ef35793c76
	invLn2  = 1.44269504088896338700e+00
	expOver = 7.09782712893383973096e+02  // ln(MaxFloat64): e^x overflows above
	expUnde = -7.45133219101941108420e+02 // e^x rounds to 0 below
)

// Exp64 returns e^x, within 1 ulp of the correctly rounded result: finite up to ln(MaxFloat64), subnormal
// below about −708.4, 0 below about −745.13.
func Exp64(x float64) float64 {
	switch {
	case x != x:
		return x
	case x > expOver:
		return math.Inf(1)
	case x < expUnde:
		return 0
	case x > -0x1p-54 && x < 0x1p-54:
		return 1 + x
	}
	// x = k·ln 2 + r with |r| ≤ ln 2 / 2, computed in two parts (hi − lo)
	// so that r carries no rounding error of k·ln 2.
	k := math.Floor(x*invLn2 + 0.5)
	hi := x - k*ln2Hi64
	lo := k * ln2Lo64
	r := hi - lo
	// e^r = 1 + r + r²/2 + … to r¹³/13!, whose remainder is below 2⁻⁶⁰
	// for |r| ≤ 0.347; the sum of the terms after 1 is formed first, so
	// that the last addition rounds once.
	p := r * (1 + r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040+r*(1.0/40320+
		r*(1.0/362880+r*(1.0/3628800+r*(1.0/39916800+r*(1.0/479001600+r*(1.0/6227020800)))))))))))))
	// r's own rounding error (hi − lo is not exact): e^r ≈ e^(hi−lo)·(1 −
	// (the error)), folded into p.
	p -= (lo - (hi - r)) * (1 + p)
	return math.Ldexp(1+p, int(k))
}

// Log64 returns the natural logarithm of x, within 1 ulp of the correctly
// rounded result: −Inf at 0, NaN
// below 0, right for subnormal x too.
func Log64(x float64) float64 {
	switch {
	case x != x || x == math.Inf(1):
		return x
	case x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	}
	// x = m·2ᵉ with m in [√2/2, √2), subnormals scaled up first.
	e := 0
	if x < 0x1p-1022 {
		x *= 0x1p52
		e = -52
	}
	b := math.Float64bits(x)
	e += int(b>>52) - 1023
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52) // in [1, 2)
	if m > math.Sqrt2 {
		m /= 2
		e++
	}
	// ln m = ln(1+f) = 2·atanh(s) with s = f/(2+f), |s| ≤ 0.172:
	// 2s + 2s³/3 + 2s⁵/5 + …, to s²³ (the remainder is below 2⁻⁶³·|s|).
	f := m - 1
	s := f / (2 + f)
	z := s * s
	t := z * (2.0/3 + z*(2.0/5+z*(2.0/7+z*(2.0/9+z*(2.0/11+z*(2.0/13+z*(2.0/15+z*(2.0/17+
		z*(2.0/19+z*(2.0/21+z*(2.0/23)))))))))))
	// 2s = f − f·s (since 2s = f − s·f exactly in real arithmetic), which
	// keeps the leading term f exact: ln(1+f) = f − s·(f − t).
	lnm := f - s*(f-t)
	fe := float64(e)
	return fe*ln2Hi64 + (lnm + fe*ln2Lo64)
}

// ExpF64 sets dst[i] = e^x[i] (Exp64) for i < len(dst).
func ExpF64(dst, x []float64) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = Exp64(v)
	}
}

// LogF64 sets dst[i] = ln x[i] (Log64) for i < len(dst).
func LogF64(dst, x []float64) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = Log64(v)
	}
}
