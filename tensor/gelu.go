package tensor

import (
	"math"

	"backprop/internal/kernel"
	"backprop/internal/parallel"
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
// float32 the exact form is the SIMD kernel kernel.GELU (Φ from
// Abramowitz and Stegun's erfc approximation 7.1.26, within
// 2.5·10⁻⁷·max(1, |x|) of the float64 result), and the tanh form runs in
// blocks around kernel.Tanh, within 3·10⁻⁷·max(1, |x|). Large tensors
// are split over all workers. dst may be a.
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
// Float32 runs as GELUTo does (the exact form by kernel.GELUBackward).
// dst may be x or dy.
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

// geluChunk is the number of elements one worker of gelu32 takes at a
// time: large enough that a chunk outweighs handing it to a helper.
const geluChunk = 1 << 14

// geluBlock is the number of elements the tanh form passes to kernel.Tanh
// at once, in a pooled buffer.
const geluBlock = 256

// gelu32 sets d to GELU(x), or, with dy, to dy ⊙ GELU′(x), in chunks on
// all workers: the exact form by the SIMD kernels kernel.GELU and
// kernel.GELUBackward, the tanh form in blocks around kernel.Tanh with the
// rest in scalar float64 arithmetic. d may be x or dy.
func gelu32(d, x, dy []float32, approx bool) {
	parallel.For(len(x), geluChunk, func(lo, hi int) {
		ds, xs := d[lo:hi], x[lo:hi]
		switch {
		case approx && dy == nil:
			geluTanh32(ds, xs, nil)
		case approx:
			geluTanh32(ds, xs, dy[lo:hi])
		case dy == nil:
			kernel.GELU(ds, xs)
		default:
			kernel.GELUBackward(ds, xs, dy[lo:hi])
		}
	})
}

// geluTanh32 is gelu32's tanh form on one chunk.
func geluTanh32(d, x, dy []float32) {
	buf := getRun[float32](min(geluBlock, len(x)))
	defer putRun(buf)
	for lo := 0; lo < len(x); lo += geluBlock {
		xs := x[lo:min(lo+geluBlock, len(x))]
		e := (*buf)[:len(xs)]
		for i, v := range xs {
			w := float64(v)
			e[i] = float32(sqrt2OverPi * (w + geluCubic*w*w*w))
		}
		kernel.Tanh(e, e)
		ds := d[lo : lo+len(xs)]
		for i, v := range xs {
			w, t := float64(v), float64(e[i])
			if dy == nil {
				ds[i] = float32(0.5 * w * (1 + t))
			} else {
				ds[i] = float32(float64(dy[lo+i]) * (0.5*(1+t) + 0.5*w*(1-t*t)*sqrt2OverPi*(1+3*geluCubic*w*w)))
			}
		}
	}
}
