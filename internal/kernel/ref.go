package kernel

import "math"

// This file holds the Go reference of every kernel: the loops here are the
// definitions that the assembly variants must reproduce.

func refAdd(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

func refSub(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] - y[i]
	}
}

func refMul(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] * y[i]
	}
}

func refDiv(dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] / y[i]
	}
}

func refAddScalar(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = x[i] + s
	}
}

func refSubFromScalar(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = s - x[i]
	}
}

func refScale(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = x[i] * s
	}
}

func refDivScalar(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = x[i] / s
	}
}

func refDivFromScalar(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = s / x[i]
	}
}

func refAxpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += float32(a * x[i]) // the conversion forbids fusing into an FMA
	}
}

func refReLU(dst, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		if x[i] <= 0 {
			dst[i] = 0
		} else {
			dst[i] = x[i] // NaN too
		}
	}
}

func refReLUBackward(dx, y, dy []float32) {
	y, dy = y[:len(dx)], dy[:len(dx)]
	for i := range dx {
		if y[i] <= 0 {
			dx[i] = 0
		} else {
			dx[i] = dy[i] // NaN y too
		}
	}
}

func refSum(x []float32) float32 {
	var s float32
	for _, v := range x {
		s += v
	}
	return s
}

func refDot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += float32(v * y[i])
	}
	return s
}

func refMax(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v != v {
			return v
		}
		if v > m {
			m = v
		}
	}
	return m
}

func refExp(dst, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = exp32(x[i])
	}
}

func refSigmoid(dst, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = sigmoid32(x[i])
	}
}

func refTanh(dst, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = tanh32(x[i])
	}
}

func refGELU(dst, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		phi, _ := geluPhi32(x[i])
		dst[i] = x[i] * phi
	}
}

func refGELUBackward(dst, x, dy []float32) {
	x, dy = x[:len(dst)], dy[:len(dst)]
	for i := range dst {
		phi, e := geluPhi32(x[i])
		dst[i] = fma32(x[i]*e, invSqrt2Pi, phi) * dy[i]
	}
}

func refExpSubSum(dst, x []float32, m float32) float32 {
	x = x[:len(dst)]
	var s float32
	for i := range dst {
		dst[i] = exp32(x[i] - m)
		s += dst[i]
	}
	return s
}

func refSumExpSub(x []float32, m float32) float32 {
	var s float32
	for _, v := range x {
		s += exp32(v - m)
	}
	return s
}

// The constants of the exp approximation; _asm/main.go holds the same
// values for the assembly.
const (
	expHi = 89   // e⁸⁹ overflows float32
	expLo = -104 // e⁻¹⁰⁴ is below half the smallest subnormal
	log2e = 1.44269504088896341
	ln2Hi = 0.693145751953125 // ln 2 = ln2Hi + ln2Lo
	ln2Lo = 1.428606765330187045e-06
	// eʳ ≈ 1 + r + r²·(p5 + r·(p4 + … + r·p0)) on |r| ≤ ln2/2 (Cephes expf).
	expP0 = 1.9875691500e-4
	expP1 = 1.3981999507e-3
	expP2 = 8.3334519073e-3
	expP3 = 4.1665795894e-2
	expP4 = 1.6666665459e-1
	expP5 = 5.0000001201e-1
	// tanh x ≈ x + x³·(t0 + x²·(t1 + … + x²·t4)) for |x| < tanhSmall,
	// a minimax fit of relative error (about 0.07 ulp before rounding).
	tanhSmall = 0.625
	tanhT0    = -0.333332807
	tanhT1    = 0.133314416
	tanhT2    = -0.0537397116
	tanhT3    = 0.0206390712
	tanhT4    = -0.00570497103
)

// The constants of GELU's Φ: ½erfc(z) ≈ t·(g1 + t·(g2 + … + t·g5))·e^(−z²)
// with t = 1/(1 + geluP·|x|), z = |x|/√2: Abramowitz and Stegun's 7.1.26
// with its p scaled by 1/√2 and its coefficients halved.
const (
	geluP      = 0.3275911 * 0.70710678118654752440
	geluG1     = 0.254829592 / 2
	geluG2     = -0.284496736 / 2
	geluG3     = 1.421413741 / 2
	geluG4     = -1.453152027 / 2
	geluG5     = 1.061405429 / 2
	invSqrt2Pi = 0.39894228040143267794
)

// geluPhi32 is the definition of Φ(x) in the GELU kernels, and returns
// e^(−x²/2) with it: h = ½erfc(|x|/√2) as above, Φ = 1 − h for x ≥ 0 (and
// NaN) and h for x < 0.
func geluPhi32(x float32) (phi, e float32) {
	e = exp32(float32(x*x) * -0.5)
	ax := math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	t := 1 / (float32(ax*geluP) + 1)
	p := float32(geluG5)
	p = fma32(p, t, geluG4)
	p = fma32(p, t, geluG3)
	p = fma32(p, t, geluG2)
	p = fma32(p, t, geluG1)
	h := float32(p*t) * e
	if x < 0 {
		return h, e
	}
	return 1 - h, e
}

// fma32 returns x·y + z rounded once to float64 and then to float32; the
// double rounding can differ from a float32 FMA in rare halfway cases,
// which the tests' ulp bounds absorb.
func fma32(x, y, z float32) float32 {
	return float32(math.FMA(float64(x), float64(y), float64(z)))
}

// exp32 is the definition of the exp kernel: clamp x to [expLo, expHi]
// (NaN passes), n = round(x·log₂e), r = x − n·ln2 in two FMA steps, eʳ
// by the polynomial, and the result scaled by 2ⁿ as 2^⌊n/2⌋·2^(n−⌊n/2⌋)
// so that subnormal results are rounded only once and e^89 overflows to
// +Inf.
func exp32(x float32) float32 {
	a := max(min(x, expHi), expLo)
	n := float32(math.RoundToEven(float64(a * log2e)))
	r := fma32(-n, ln2Hi, a)
	r = fma32(-n, ln2Lo, r)
	p := float32(expP0)
	p = fma32(p, r, expP1)
	p = fma32(p, r, expP2)
	p = fma32(p, r, expP3)
	p = fma32(p, r, expP4)
	p = fma32(p, r, expP5)
	z := r * r
	p = fma32(p, z, r) + 1
	ni := int32(n)
	if x != x {
		ni = 0
	}
	n1 := ni >> 1
	n2 := ni - n1
	s1 := math.Float32frombits(uint32(n1+127) << 23)
	s2 := math.Float32frombits(uint32(n2+127) << 23)
	return p * s1 * s2
}

// sigmoid32 is 1/(1+e⁻ˣ) for x ≥ 0 and eˣ/(1+eˣ) for x < 0, computed
// from e = e^−|x| with one division, so that neither form overflows.
func sigmoid32(x float32) float32 {
	e := exp32(math.Float32frombits(math.Float32bits(x) | 1<<31))
	num := float32(1)
	if x < 0 {
		num = e
	}
	return num / (1 + e)
}

// tanh32 is x + x³·T(x²) for |x| < 0.625 and sign(x)·(1−e)/(1+e) with
// e = e^−2|x| elsewhere.
func tanh32(x float32) float32 {
	ax := math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	e := exp32(ax * -2)
	big := (1 - e) / (1 + e)
	big = math.Float32frombits(math.Float32bits(big) | math.Float32bits(x)&(1<<31))
	z := x * x
	q := float32(tanhT4)
	q = fma32(q, z, tanhT3)
	q = fma32(q, z, tanhT2)
	q = fma32(q, z, tanhT1)
	q = fma32(q, z, tanhT0)
	small := fma32(q, z*x, x)
	if ax < tanhSmall {
		return small
	}
	return big
}
