package tensor

import (
	"math"

	"backprop/internal/kernel"
)

// GELU's constants: 1/√2 for the exact form, √(2/π) and 0.044715 for the
// tanh approximation, and 1/√(2π) for the density φ.
const (
	invSqrt2    = 0.70710678118654752440
	sqrt2OverPi = 0.79788456080286535588
	geluCubic   = 0.044715
	invSqrt2Pi  = 0.39894228040143267794
)

// geluExact is x·Φ(x) = ½x(1 + erf(x/√2)).
func geluExact(x float64) float64 { return 0.5 * x * (1 + math.Erf(x*invSqrt2)) }

// geluExactGrad is Φ(x) + x·φ(x), the derivative of x·Φ(x).
func geluExactGrad(x float64) float64 {
	return 0.5*(1+math.Erf(x*invSqrt2)) + x*invSqrt2Pi*math.Exp(-0.5*x*x)
}

// geluTanh is ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
func geluTanh(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(sqrt2OverPi*(x+geluCubic*x*x*x)))
}

// geluTanhGrad is the derivative of geluTanh: with u = √(2/π)(x + 0.044715x³)
// and t = tanh u, ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²).
func geluTanhGrad(x float64) float64 {
	t := math.Tanh(sqrt2OverPi * (x + geluCubic*x*x*x))
	return 0.5*(1+t) + 0.5*x*(1-t*t)*sqrt2OverPi*(1+3*geluCubic*x*x)
}

// GELUTo sets dst to the Gaussian error linear unit of a, element by
// element: x·Φ(x) = ½x(1 + erf(x/√2)), Φ the standard normal distribution
// function, as PyTorch's gelu computes it by default; with approx, the
// tanh form ½x(1 + tanh(√(2/π)(x + 0.044715x³))) of PyTorch's
// approximate='tanh'. In float64 the exact form uses math.Erf. In
// float32 both run in blocks around the SIMD kernels of exp and tanh:
// the exact form through Φ(x) = 1 − ½erfc(x/√2) (x ≥ 0) with erfc from
// Abramowitz and Stegun's 7.1.26, erfc(z) ≈ t·P(t)·e^(−z²), t = 1/(1 +
// 0.3275911z), whose error is below 1.5·10⁻⁷; the results are within
// 3·10⁻⁷·max(1, |x|) of the float64 ones. dst may be a.
func GELUTo(dst, a *Tensor, approx bool) *Tensor {
	if a.dtype == Float32 {
		checkDst("GELU", dst, a.dtype, a.shape)
		gelu32(dst.s32(), a.s32(), nil, approx)
		return dst
	}
	if approx {
		return unary("GELU", dst, a, geluTanh)
	}
	return unary("GELU", dst, a, geluExact)
}

// GELU returns the Gaussian error linear unit of a; see GELUTo.
func GELU(a *Tensor, approx bool) *Tensor { return GELUTo(newLike("GELU", a), a, approx) }

// GELUBackwardTo sets dst = dy ⊙ GELU′(x), the gradient of GELU (the
// exact form, or the tanh form with approx) at its input x:
//
//	exact:  GELU′(x) = Φ(x) + x·φ(x),  φ(x) = e^(−x²/2)/√(2π)
//	tanh:   GELU′(x) = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²),
//	        t = tanh(√(2/π)(x + 0.044715x³))
//
// Float32 runs as GELUTo does. dst may be x or dy.
func GELUBackwardTo(dst, x, dy *Tensor, approx bool) *Tensor {
	dt := sameDType2("GELUBackward", x, dy)
	if !SameShape(x.shape, dy.shape) {
		panicf("GELUBackward", "shapes %v and %v differ", x.shape, dy.shape)
	}
	checkDst("GELUBackward", dst, dt, x.shape)
	f := geluExactGrad
	if approx {
		f = geluTanhGrad
	}
	if dt == Float32 {
		gelu32(dst.s32(), x.s32(), dy.s32(), approx)
		return dst
	}
	d, a, g := dst.s64(), x.s64(), dy.s64()
	for i := range d {
		d[i] = g[i] * f(a[i])
	}
	return dst
}

// GELUBackward returns dy ⊙ GELU′(x); see GELUBackwardTo.
func GELUBackward(x, dy *Tensor, approx bool) *Tensor {
	return GELUBackwardTo(newLike("GELUBackward", x), x, dy, approx)
}

// Abramowitz and Stegun's 7.1.26: erfc(z) ≈ t(a₁ + t(a₂ + t(a₃ + t(a₄ +
// t·a₅))))·e^(−z²), t = 1/(1 + p·z), for z ≥ 0, within 1.5·10⁻⁷.
const (
	asP  = 0.3275911
	asA1 = 0.254829592
	asA2 = -0.284496736
	asA3 = 1.421413741
	asA4 = -1.453152027
	asA5 = 1.061405429
)

// geluBlock is the number of elements gelu32 passes to a kernel at once,
// in a buffer on its stack.
const geluBlock = 256

// gelu32 sets d to GELU(x), or, with dy, to dy ⊙ GELU′(x), in blocks: the
// exponentials (exact form) or hyperbolic tangents (approx) of a block by
// the SIMD kernel, the rest in scalar float64 arithmetic. d may be x or
// dy.
func gelu32(d, x, dy []float32, approx bool) {
	var buf [geluBlock]float32
	for lo := 0; lo < len(x); lo += geluBlock {
		xs := x[lo:min(lo+geluBlock, len(x))]
		e := buf[:len(xs)]
		if approx {
			for i, v := range xs {
				w := float64(v)
				e[i] = float32(sqrt2OverPi * (w + geluCubic*w*w*w))
			}
			kernel.Tanh(e, e)
		} else {
			for i, v := range xs {
				e[i] = -0.5 * v * v // −z², z = x/√2
			}
			kernel.Exp(e, e)
		}
		ds := d[lo : lo+len(xs)]
		var gs []float32
		if dy != nil {
			gs = dy[lo : lo+len(xs)]
		}
		for i, v := range xs {
			w := float64(v)
			var y float64
			if approx {
				t := float64(e[i])
				if gs == nil {
					y = 0.5 * w * (1 + t)
				} else {
					y = float64(gs[i]) * (0.5*(1+t) + 0.5*w*(1-t*t)*sqrt2OverPi*(1+3*geluCubic*w*w))
				}
			} else {
				ex := float64(e[i]) // e^(−x²/2)
				t := 1 / (1 + asP*math.Abs(w)*invSqrt2)
				half := 0.5 * t * (asA1 + t*(asA2+t*(asA3+t*(asA4+t*asA5)))) * ex // ½erfc(|x|/√2)
				phi := half
				if w >= 0 {
					phi = 1 - half
				}
				if gs == nil {
					y = w * phi
				} else {
					y = float64(gs[i]) * (phi + w*invSqrt2Pi*ex)
				}
			}
			ds[i] = float32(y)
		}
	}
}
