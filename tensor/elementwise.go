package tensor

import (
	"math"

	"backprop/internal/kernel"
	"backprop/internal/parallel"
)

// This file holds the element-wise operations. Each has an allocating form
// (Exp) and a destination-first form (ExpTo) that writes into dst and
// returns it; dst may be the same tensor as an operand of the same shape.
// The loops here are the reference definitions. For float32 the hot
// operations (same-shape, scalar and row-broadcast add, sub, mul and div;
// exp, sigmoid, tanh, ReLU, scale and add-scalar) run the SIMD kernels of
// internal/kernel instead; they give the same bits as the loops except for
// exp, sigmoid and tanh, which are within 2 ulps (see kernel.Exp).

// unary applies f to every element of a, computing in float64.
func unary(op string, dst, a *Tensor, f func(float64) float64) *Tensor {
	checkDst(op, dst, a.dtype, a.shape)
	if a.dtype == Float32 {
		d, s := dst.s32(), a.s32()[:len(dst.s32())]
		for i, x := range s {
			d[i] = float32(f(float64(x)))
		}
	} else {
		d, s := dst.s64(), a.s64()[:len(dst.s64())]
		for i, x := range s {
			d[i] = f(x)
		}
	}
	return dst
}

// unaryK is unary with a float32 kernel k.
func unaryK(op string, dst, a *Tensor, k func(dst, x []float32), f func(float64) float64) *Tensor {
	if a.dtype != Float32 {
		return unary(op, dst, a, f)
	}
	checkDst(op, dst, a.dtype, a.shape)
	k(dst.s32(), a.s32())
	return dst
}

// asFloat32 reports whether s is a float32 value, so that a float32
// kernel with float32(s) gives the same bits as the float64 loop.
func asFloat32(s float64) (float32, bool) {
	f := float32(s)
	return f, float64(f) == s || s != s
}

func sigmoid(x float64) float64 {
	// Two branches keep exp from overflowing for large |x|.
	if x >= 0 {
		return 1 / (1 + kernel.Exp64(-x))
	}
	e := kernel.Exp64(x)
	return e / (1 + e)
}

// relu is max(x, 0) with NaN propagating, as in PyTorch.
func relu(x float64) float64 {
	if x <= 0 {
		return 0
	}
	return x
}

// NegTo sets dst = −a.
func NegTo(dst, a *Tensor) *Tensor {
	return unary("Neg", dst, a, func(x float64) float64 { return -x })
}

// ExpTo sets dst = eˣ element-wise.
func ExpTo(dst, a *Tensor) *Tensor { return unaryK("Exp", dst, a, kernel.Exp, kernel.Exp64) }

// LogTo sets dst = ln x element-wise.
func LogTo(dst, a *Tensor) *Tensor { return unary("Log", dst, a, kernel.Log64) }

// SqrtTo sets dst = √x element-wise.
func SqrtTo(dst, a *Tensor) *Tensor { return unary("Sqrt", dst, a, math.Sqrt) }

// AbsTo sets dst = |x| element-wise.
func AbsTo(dst, a *Tensor) *Tensor { return unary("Abs", dst, a, math.Abs) }

// SinTo sets dst = sin x element-wise.
func SinTo(dst, a *Tensor) *Tensor { return unary("Sin", dst, a, math.Sin) }

// CosTo sets dst = cos x element-wise.
func CosTo(dst, a *Tensor) *Tensor { return unary("Cos", dst, a, math.Cos) }

// TanhTo sets dst = tanh x element-wise.
func TanhTo(dst, a *Tensor) *Tensor { return unaryK("Tanh", dst, a, kernel.Tanh, math.Tanh) }

// SigmoidTo sets dst = σ(x) = 1/(1+e⁻ˣ) element-wise, without overflow for
// large |x|.
func SigmoidTo(dst, a *Tensor) *Tensor {
	return unaryK("Sigmoid", dst, a, kernel.Sigmoid, sigmoid)
}

// ReLUTo sets dst = max(x, 0) element-wise.
func ReLUTo(dst, a *Tensor) *Tensor { return unaryK("ReLU", dst, a, kernel.ReLU, relu) }

// LeakyReLUTo sets dst = x for x > 0 and slope·x otherwise.
func LeakyReLUTo(dst, a *Tensor, slope float64) *Tensor {
	return unary("LeakyReLU", dst, a, func(x float64) float64 {
		if x > 0 {
			return x
		}
		return slope * x
	})
}

// SignTo sets dst = −1, 0 or 1 by the sign of x.
func SignTo(dst, a *Tensor) *Tensor {
	return unary("Sign", dst, a, func(x float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return x // 0 or NaN
	})
}

// ScaleTo sets dst = s·a.
func ScaleTo(dst, a *Tensor, s float64) *Tensor {
	if s32, ok := asFloat32(s); ok && a.dtype == Float32 {
		checkDst("Scale", dst, a.dtype, a.shape)
		kernel.Scale(dst.s32(), a.s32(), s32)
		return dst
	}
	return unary("Scale", dst, a, func(x float64) float64 { return s * x })
}

// AddScalarTo sets dst = a + s.
func AddScalarTo(dst, a *Tensor, s float64) *Tensor {
	if s32, ok := asFloat32(s); ok && a.dtype == Float32 {
		checkDst("AddScalar", dst, a.dtype, a.shape)
		kernel.AddScalar(dst.s32(), a.s32(), s32)
		return dst
	}
	return unary("AddScalar", dst, a, func(x float64) float64 { return x + s })
}

// SubFromScalarTo sets dst = s − a.
func SubFromScalarTo(dst *Tensor, s float64, a *Tensor) *Tensor {
	if s32, ok := asFloat32(s); ok && a.dtype == Float32 {
		checkDst("SubFromScalar", dst, a.dtype, a.shape)
		kernel.SubFromScalar(dst.s32(), a.s32(), s32)
		return dst
	}
	return unary("SubFromScalar", dst, a, func(x float64) float64 { return s - x })
}

// DivFromScalarTo sets dst = s / a.
func DivFromScalarTo(dst *Tensor, s float64, a *Tensor) *Tensor {
	if s32, ok := asFloat32(s); ok && a.dtype == Float32 {
		checkDst("DivFromScalar", dst, a.dtype, a.shape)
		kernel.DivFromScalar(dst.s32(), a.s32(), s32)
		return dst
	}
	return unary("DivFromScalar", dst, a, func(x float64) float64 { return s / x })
}

// PowScalarTo sets dst = aᵖ element-wise.
func PowScalarTo(dst, a *Tensor, p float64) *Tensor {
	return unary("PowScalar", dst, a, func(x float64) float64 { return math.Pow(x, p) })
}

// newLike returns the destination of an element-wise operation on a,
// which writes every element.
func newLike(op string, a *Tensor) *Tensor { return allocIn(a.arena, op, a.dtype, a.shape, false) }

// Neg returns −a.
func Neg(a *Tensor) *Tensor { return NegTo(newLike("Neg", a), a) }

// Exp returns eᵃ element-wise.
func Exp(a *Tensor) *Tensor { return ExpTo(newLike("Exp", a), a) }

// Log returns ln a element-wise.
func Log(a *Tensor) *Tensor { return LogTo(newLike("Log", a), a) }

// Sqrt returns √a element-wise.
func Sqrt(a *Tensor) *Tensor { return SqrtTo(newLike("Sqrt", a), a) }

// Abs returns |a| element-wise.
func Abs(a *Tensor) *Tensor { return AbsTo(newLike("Abs", a), a) }

// Sin returns sin a element-wise.
func Sin(a *Tensor) *Tensor { return SinTo(newLike("Sin", a), a) }

// Cos returns cos a element-wise.
func Cos(a *Tensor) *Tensor { return CosTo(newLike("Cos", a), a) }

// Tanh returns tanh a element-wise.
func Tanh(a *Tensor) *Tensor { return TanhTo(newLike("Tanh", a), a) }

// Sigmoid returns σ(a) element-wise.
func Sigmoid(a *Tensor) *Tensor { return SigmoidTo(newLike("Sigmoid", a), a) }

// ReLU returns max(a, 0) element-wise.
func ReLU(a *Tensor) *Tensor { return ReLUTo(newLike("ReLU", a), a) }

// LeakyReLU returns a where a > 0 and slope·a elsewhere.
func LeakyReLU(a *Tensor, slope float64) *Tensor {
	return LeakyReLUTo(newLike("LeakyReLU", a), a, slope)
}

// Sign returns the sign of a element-wise (−1, 0 or 1).
func Sign(a *Tensor) *Tensor { return SignTo(newLike("Sign", a), a) }

// Scale returns s·a.
func Scale(a *Tensor, s float64) *Tensor { return ScaleTo(newLike("Scale", a), a, s) }

// SubFromScalar returns s − a.
func SubFromScalar(s float64, a *Tensor) *Tensor {
	return SubFromScalarTo(newLike("SubFromScalar", a), s, a)
}

// AddScalar returns a + s.
func AddScalar(a *Tensor, s float64) *Tensor {
	return AddScalarTo(newLike("AddScalar", a), a, s)
}

// PowScalar returns aᵖ element-wise.
func PowScalar(a *Tensor, p float64) *Tensor {
	return PowScalarTo(newLike("PowScalar", a), a, p)
}

// BroadcastShapes returns the NumPy broadcast of the given shapes: aligned
// at the trailing axis, each pair of sizes must be equal or one of them 1.
// ok is false when they do not broadcast.
func BroadcastShapes(shapes ...[]int) (out []int, ok bool) {
	n := 0
	for _, s := range shapes {
		n = max(n, len(s))
	}
	out = make([]int, n)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := n - len(s)
		for i, d := range s {
			switch {
			case out[off+i] == d || d == 1:
			case out[off+i] == 1:
				out[off+i] = d
			default:
				return nil, false
			}
		}
	}
	return out, true
}

// broadcastsTo reports whether shape s broadcasts to shape to, unchanged.
func broadcastsTo(s, to []int) bool {
	if len(s) > len(to) {
		return false
	}
	off := len(to) - len(s)
	for i, d := range s {
		if d != 1 && d != to[off+i] {
			return false
		}
	}
	return true
}

// bstrides returns the strides with which a tensor of shape s is read when
// broadcast to shape out: 0 along broadcast axes.
func bstrides(s, out []int) []int {
	st := make([]int, len(out))
	off := len(out) - len(s)
	acc := 1
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != 1 {
			st[off+i] = acc
		}
		acc *= s[i]
	}
	return st
}

// walk calls fn(dstIndex, offs) for every element of shape in row-major
// order, where offs[j] is the flat offset into operand j, read with
// strides[j]. It is the one general broadcasting loop of the package.
func walk(shape []int, strides [][]int, fn func(i int, offs []int)) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if n == 0 {
		return
	}
	offs := make([]int, len(strides))
	idx := make([]int, len(shape))
	for i := 0; i < n; i++ {
		fn(i, offs)
		// Advance the odometer.
		for ax := len(shape) - 1; ax >= 0; ax-- {
			idx[ax]++
			for j, st := range strides {
				offs[j] += st[ax]
			}
			if idx[ax] < shape[ax] {
				break
			}
			for j, st := range strides {
				offs[j] -= st[ax] * shape[ax]
			}
			idx[ax] = 0
		}
	}
}

func broadcastOrPanic(op string, a, b *Tensor) []int {
	// The common cases without allocating: the result's shape is an
	// operand's (the caller copies it).
	switch {
	case SameShape(a.shape, b.shape) || len(b.shape) == 0:
		return a.shape
	case len(a.shape) == 0:
		return b.shape
	}
	out, ok := BroadcastShapes(a.shape, b.shape)
	if !ok {
		panicf(op, "shapes %v and %v do not broadcast", a.shape, b.shape)
	}
	return out
}

// binKernels are the float32 kernels of one arithmetic operation: vv for
// two vectors, vs for a vector and a scalar, sv for a scalar and a vector.
type binKernels struct {
	vv     func(dst, x, y []float32)
	vs, sv func(dst, x []float32, s float32)
}

var (
	addK = &binKernels{kernel.Add, kernel.AddScalar, kernel.AddScalar}
	subK = &binKernels{kernel.Sub, func(dst, x []float32, s float32) { kernel.AddScalar(dst, x, -s) }, kernel.SubFromScalar}
	mulK = &binKernels{kernel.Mul, kernel.Scale, kernel.Scale}
	divK = &binKernels{kernel.Div, kernel.DivScalar, kernel.DivFromScalar}
)

// isRowOf reports whether r broadcasts over the rows of shape: its last
// size is shape's and all its other sizes are 1, with no more axes.
func isRowOf(r, shape []int) bool {
	if len(r) == 0 || len(r) > len(shape) || r[len(r)-1] != shape[len(shape)-1] {
		return false
	}
	for _, d := range r[:len(r)-1] {
		if d != 1 {
			return false
		}
	}
	return true
}

// binaryFast runs the float32 kernels of k when a and b have the same
// shape, or one is a single element or a row broadcast over the other; it
// reports whether it did. None of these cases allocates.
func binaryFast(op string, dst, a, b *Tensor, k *binKernels) bool {
	if a.dtype != Float32 {
		return false
	}
	switch {
	case SameShape(a.shape, b.shape):
		checkDst(op, dst, Float32, a.shape)
		d, x, y := dst.s32(), a.s32(), b.s32()
		if !splitElems(len(d)) {
			k.vv(d, x, y)
			break
		}
		parallel.For(len(d), splitChunk, func(lo, hi int) { k.vv(d[lo:hi], x[lo:hi], y[lo:hi]) })
	case b.n == 1 && len(b.shape) <= len(a.shape):
		checkDst(op, dst, Float32, a.shape)
		d, x, s := dst.s32(), a.s32(), b.s32()[0]
		if !splitElems(len(d)) {
			k.vs(d, x, s)
			break
		}
		parallel.For(len(d), splitChunk, func(lo, hi int) { k.vs(d[lo:hi], x[lo:hi], s) })
	case a.n == 1 && len(a.shape) <= len(b.shape):
		checkDst(op, dst, Float32, b.shape)
		d, x, s := dst.s32(), b.s32(), a.s32()[0]
		if !splitElems(len(d)) {
			k.sv(d, x, s)
			break
		}
		parallel.For(len(d), splitChunk, func(lo, hi int) { k.sv(d[lo:hi], x[lo:hi], s) })
	case isRowOf(b.shape, a.shape):
		checkDst(op, dst, Float32, a.shape)
		d, x, row := dst.s32(), a.s32(), b.s32()
		if !splitElems(len(d)) || len(row) == 0 {
			kernel.Rows(k.vv, d, x, row, false)
			break
		}
		parallel.For(len(d), chunkOf(len(row)), func(lo, hi int) { kernel.Rows(k.vv, d[lo:hi], x[lo:hi], row, false) })
	case isRowOf(a.shape, b.shape):
		checkDst(op, dst, Float32, b.shape)
		d, x, row := dst.s32(), b.s32(), a.s32()
		if !splitElems(len(d)) || len(row) == 0 {
			kernel.Rows(k.vv, d, x, row, true)
			break
		}
		parallel.For(len(d), chunkOf(len(row)), func(lo, hi int) { kernel.Rows(k.vv, d[lo:hi], x[lo:hi], row, true) })
	default:
		return false
	}
	return true
}

// splitMin is the length from which an element-wise float32 kernel is
// spread over the workers, and splitChunk the elements of a chunk: below
// them, handing a chunk to a helper costs more than the kernel.
const (
	splitMin   = 1 << 17
	splitChunk = 1 << 15
)

// splitElems reports whether an element-wise float32 kernel over n elements
// is spread over the workers, in chunks of splitChunk(unit) elements; the
// kernels are element-wise, so the bits do not depend on the split. The
// callers build their closures only when it does, so that the serial path
// allocates nothing.
func splitElems(n int) bool { return n >= splitMin && parallel.Workers() > 1 }

// chunkOf returns the chunk of a split over rows of unit elements: about
// splitChunk elements, whole rows.
func chunkOf(unit int) int { return max(1, splitChunk/max(unit, 1)) * max(unit, 1) }

// binaryK is binary with the float32 kernels k.
func binaryK(op string, dst, a, b *Tensor, k *binKernels, f func(x, y float64) float64) *Tensor {
	sameDType2(op, a, b)
	if binaryFast(op, dst, a, b, k) {
		return dst
	}
	return binary(op, dst, a, b, f)
}

// binary sets dst = f(a, b) with broadcasting.
func binary(op string, dst, a, b *Tensor, f func(x, y float64) float64) *Tensor {
	dt := sameDType2(op, a, b)
	if SameShape(a.shape, b.shape) {
		// Equal shapes need no broadcasting, and so no allocation.
		checkDst(op, dst, dt, a.shape)
		if dt == Float32 {
			d, x, y := dst.s32(), a.s32(), b.s32()
			for i := range d {
				d[i] = float32(f(float64(x[i]), float64(y[i])))
			}
		} else {
			d, x, y := dst.s64(), a.s64(), b.s64()
			for i := range d {
				d[i] = f(x[i], y[i])
			}
		}
		return dst
	}
	shape := broadcastOrPanic(op, a, b)
	checkDst(op, dst, dt, shape)
	st := [][]int{bstrides(a.shape, shape), bstrides(b.shape, shape)}
	if dt == Float32 {
		d, x, y := dst.s32(), a.s32(), b.s32()
		walk(shape, st, func(i int, o []int) { d[i] = float32(f(float64(x[o[0]]), float64(y[o[1]]))) })
	} else {
		d, x, y := dst.s64(), a.s64(), b.s64()
		walk(shape, st, func(i int, o []int) { d[i] = f(x[o[0]], y[o[1]]) })
	}
	return dst
}

func newBroadcast(op string, a, b *Tensor) *Tensor {
	return allocIn(arenaOf(a, b), op, sameDType2(op, a, b), broadcastOrPanic(op, a, b), false)
}

func fadd(x, y float64) float64 { return x + y }
func fsub(x, y float64) float64 { return x - y }
func fmul(x, y float64) float64 { return x * y }
func fdiv(x, y float64) float64 { return x / y }

func b2f(c bool) float64 {
	if c {
		return 1
	}
	return 0
}

// AddTo sets dst = a + b with broadcasting.
func AddTo(dst, a, b *Tensor) *Tensor { return binaryK("Add", dst, a, b, addK, fadd) }

// SubTo sets dst = a − b with broadcasting.
func SubTo(dst, a, b *Tensor) *Tensor { return binaryK("Sub", dst, a, b, subK, fsub) }

// MulTo sets dst = a ⊙ b with broadcasting.
func MulTo(dst, a, b *Tensor) *Tensor { return binaryK("Mul", dst, a, b, mulK, fmul) }

// DivTo sets dst = a / b with broadcasting.
func DivTo(dst, a, b *Tensor) *Tensor { return binaryK("Div", dst, a, b, divK, fdiv) }

// PowTo sets dst = aᵇ with broadcasting.
func PowTo(dst, a, b *Tensor) *Tensor { return binary("Pow", dst, a, b, math.Pow) }

// MaximumTo sets dst = max(a, b) with broadcasting; NaN propagates.
func MaximumTo(dst, a, b *Tensor) *Tensor {
	return binary("Maximum", dst, a, b, func(x, y float64) float64 {
		if x >= y || x != x {
			return x
		}
		return y
	})
}

// MinimumTo sets dst = min(a, b) with broadcasting; NaN propagates.
func MinimumTo(dst, a, b *Tensor) *Tensor {
	return binary("Minimum", dst, a, b, func(x, y float64) float64 {
		if x <= y || x != x {
			return x
		}
		return y
	})
}

// GreaterTo sets dst = 1 where a > b and 0 elsewhere, with broadcasting.
func GreaterTo(dst, a, b *Tensor) *Tensor {
	return binary("Greater", dst, a, b, func(x, y float64) float64 { return b2f(x > y) })
}

// GreaterEqualTo sets dst = 1 where a ≥ b and 0 elsewhere.
func GreaterEqualTo(dst, a, b *Tensor) *Tensor {
	return binary("GreaterEqual", dst, a, b, func(x, y float64) float64 { return b2f(x >= y) })
}

// LessTo sets dst = 1 where a < b and 0 elsewhere.
func LessTo(dst, a, b *Tensor) *Tensor {
	return binary("Less", dst, a, b, func(x, y float64) float64 { return b2f(x < y) })
}

// LessEqualTo sets dst = 1 where a ≤ b and 0 elsewhere.
func LessEqualTo(dst, a, b *Tensor) *Tensor {
	return binary("LessEqual", dst, a, b, func(x, y float64) float64 { return b2f(x <= y) })
}

// EqualTo sets dst = 1 where a = b and 0 elsewhere.
func EqualTo(dst, a, b *Tensor) *Tensor {
	return binary("Equal", dst, a, b, func(x, y float64) float64 { return b2f(x == y) })
}

// NotEqualTo sets dst = 1 where a ≠ b and 0 elsewhere.
func NotEqualTo(dst, a, b *Tensor) *Tensor {
	return binary("NotEqual", dst, a, b, func(x, y float64) float64 { return b2f(x != y) })
}

// Add returns a + b with broadcasting.
func Add(a, b *Tensor) *Tensor { return AddTo(newBroadcast("Add", a, b), a, b) }

// Sub returns a − b with broadcasting.
func Sub(a, b *Tensor) *Tensor { return SubTo(newBroadcast("Sub", a, b), a, b) }

// Mul returns a ⊙ b with broadcasting.
func Mul(a, b *Tensor) *Tensor { return MulTo(newBroadcast("Mul", a, b), a, b) }

// Div returns a / b with broadcasting.
func Div(a, b *Tensor) *Tensor { return DivTo(newBroadcast("Div", a, b), a, b) }

// Pow returns aᵇ with broadcasting.
func Pow(a, b *Tensor) *Tensor { return PowTo(newBroadcast("Pow", a, b), a, b) }

// Maximum returns the element-wise maximum with broadcasting.
func Maximum(a, b *Tensor) *Tensor { return MaximumTo(newBroadcast("Maximum", a, b), a, b) }

// Minimum returns the element-wise minimum with broadcasting.
func Minimum(a, b *Tensor) *Tensor { return MinimumTo(newBroadcast("Minimum", a, b), a, b) }

// Greater returns 1 where a > b and 0 elsewhere.
func Greater(a, b *Tensor) *Tensor { return GreaterTo(newBroadcast("Greater", a, b), a, b) }

// GreaterEqual returns 1 where a ≥ b and 0 elsewhere.
func GreaterEqual(a, b *Tensor) *Tensor {
	return GreaterEqualTo(newBroadcast("GreaterEqual", a, b), a, b)
}

// Less returns 1 where a < b and 0 elsewhere.
func Less(a, b *Tensor) *Tensor { return LessTo(newBroadcast("Less", a, b), a, b) }

// LessEqual returns 1 where a ≤ b and 0 elsewhere.
func LessEqual(a, b *Tensor) *Tensor { return LessEqualTo(newBroadcast("LessEqual", a, b), a, b) }

// Eq returns 1 where a = b and 0 elsewhere (Equal compares whole tensors).
func Eq(a, b *Tensor) *Tensor { return EqualTo(newBroadcast("Equal", a, b), a, b) }

// NotEqual returns 1 where a ≠ b and 0 elsewhere.
func NotEqual(a, b *Tensor) *Tensor { return NotEqualTo(newBroadcast("NotEqual", a, b), a, b) }

// WhereTo sets dst = a where cond ≠ 0 and b elsewhere, broadcasting all
// three. cond may have either dtype.
func WhereTo(dst, cond, a, b *Tensor) *Tensor {
	dt := sameDType2("Where", a, b)
	shape, ok := BroadcastShapes(cond.shape, a.shape, b.shape)
	if !ok {
		panicf("Where", "shapes %v, %v and %v do not broadcast", cond.shape, a.shape, b.shape)
	}
	checkDst("Where", dst, dt, shape)
	st := [][]int{bstrides(cond.shape, shape), bstrides(a.shape, shape), bstrides(b.shape, shape)}
	walk(shape, st, func(i int, o []int) {
		if cond.get(o[0]) != 0 {
			dst.set(i, a.get(o[1]))
		} else {
			dst.set(i, b.get(o[2]))
		}
	})
	return dst
}

// Where returns a where cond ≠ 0 and b elsewhere, broadcasting all three.
func Where(cond, a, b *Tensor) *Tensor {
	shape, ok := BroadcastShapes(cond.shape, a.shape, b.shape)
	if !ok {
		panicf("Where", "shapes %v, %v and %v do not broadcast", cond.shape, a.shape, b.shape)
	}
	return WhereTo(allocIn(arenaOfAll([]*Tensor{cond, a, b}), "Where", sameDType2("Where", a, b), shape, true), cond, a, b)
}

// BroadcastTo copies a into dst, repeating it along broadcast axes; a's
// shape must broadcast to dst's.
func BroadcastTo(dst, a *Tensor) *Tensor {
	if dst.dtype != a.dtype {
		panicf("BroadcastTo", "destination is %v, source is %v", dst.dtype, a.dtype)
	}
	if !broadcastsTo(a.shape, dst.shape) {
		panicf("BroadcastTo", "shape %v does not broadcast to %v", a.shape, dst.shape)
	}
	if a.n == 1 { // the gradient of a full reduction: one value everywhere
		if a.dtype == Float32 {
			v, d := a.s32()[0], dst.s32()
			for i := range d {
				d[i] = v
			}
		} else {
			dst.Fill(a.s64()[0])
		}
		return dst
	}
	st := [][]int{bstrides(a.shape, dst.shape)}
	if a.dtype == Float32 {
		walk(dst.shape, st, func(i int, o []int) { dst.s32()[i] = a.s32()[o[0]] })
	} else {
		walk(dst.shape, st, func(i int, o []int) { dst.s64()[i] = a.s64()[o[0]] })
	}
	return dst
}

// ReduceTo sets dst to the sum of src over the axes along which dst's shape
// broadcasts to src's: the reverse of broadcasting, used to bring a
// gradient back to the shape of an input that was broadcast.
func ReduceTo(dst, src *Tensor) *Tensor {
	if dst.dtype != src.dtype {
		panicf("ReduceTo", "destination is %v, source is %v", dst.dtype, src.dtype)
	}
	if SameShape(dst.shape, src.shape) {
		return CopyTo(dst, src) // nothing to reduce, nothing to allocate
	}
	shape, ok := BroadcastShapes(dst.shape, src.shape)
	if !ok || !SameShape(shape, src.shape) {
		panicf("ReduceTo", "shape %v does not broadcast to %v", dst.shape, src.shape)
	}
	if dst.n > 0 && src.n > 0 && isRowOf(dst.shape, src.shape) {
		// The bias gradient: a sum of rows, added in the same order as
		// below, so with the same sums.
		sumRows(dst, src)
		return dst
	}
	dst.Zero()
	st := [][]int{bstrides(dst.shape, src.shape)}
	if src.dtype == Float32 {
		walk(src.shape, st, func(i int, o []int) { dst.s32()[o[0]] += src.s32()[i] })
	} else {
		walk(src.shape, st, func(i int, o []int) { dst.s64()[o[0]] += src.s64()[i] })
	}
	return dst
}
