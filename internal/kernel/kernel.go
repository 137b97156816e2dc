package kernel

import "math"

// Variant is one implementation of every kernel. Go is the reference;
// the others are assembly for one instruction set. The fields are the
// kernels; the methods (Softmax, LogSoftmax) are built from them.
type Variant struct {
	// Name is "go", "avx2" or "avx512".
	Name string

	// Add, Sub, Mul and Div set dst[i] = x[i] op y[i].
	Add, Sub, Mul, Div func(dst, x, y []float32)
	// AddScalar sets dst[i] = x[i] + s.
	AddScalar func(dst, x []float32, s float32)
	// SubFromScalar sets dst[i] = s − x[i].
	SubFromScalar func(dst, x []float32, s float32)
	// Scale sets dst[i] = x[i]·s.
	Scale func(dst, x []float32, s float32)
	// DivScalar sets dst[i] = x[i] / s.
	DivScalar func(dst, x []float32, s float32)
	// DivFromScalar sets dst[i] = s / x[i].
	DivFromScalar func(dst, x []float32, s float32)
	// Axpy sets y[i] += a·x[i], the product rounded before the sum.
	Axpy func(y []float32, a float32, x []float32)
	// ReLU sets dst[i] = 0 where x[i] ≤ 0 and x[i] elsewhere (NaN stays NaN).
	ReLU func(dst, x []float32)
	// ReLUBackward sets dx[i] = 0 where y[i] ≤ 0 and dy[i] elsewhere (also
	// where y[i] is NaN).
	ReLUBackward func(dx, y, dy []float32)
	// Sum returns the sum of x.
	Sum func(x []float32) float32
	// Max returns the largest element of x, NaN if x holds one, −∞ if x
	// is empty.
	Max func(x []float32) float32
	// Dot returns Σ x[i]·y[i] over len(x).
	Dot func(x, y []float32) float32
	// Exp sets dst[i] = eˣ⁽ⁱ⁾.
	Exp func(dst, x []float32)
	// Sigmoid sets dst[i] = 1/(1 + e⁻ˣ⁽ⁱ⁾).
	Sigmoid func(dst, x []float32)
	// Tanh sets dst[i] = tanh x[i].
	Tanh func(dst, x []float32)
	// GELU sets dst[i] = x[i]·Φ(x[i]), Φ the standard normal
	// distribution function.
	GELU func(dst, x []float32)
	// GELUBackward sets dst[i] = dy[i]·(Φ(x[i]) + x[i]·φ(x[i])), φ the
	// standard normal density: the gradient of GELU.
	GELUBackward func(dst, x, dy []float32)
	// ExpSubSum sets dst[i] = e^(x[i]−m) and returns their sum.
	ExpSubSum func(dst, x []float32, m float32) float32
	// SumExpSub returns Σ e^(x[i]−m) and writes nothing.
	SumExpSub func(x []float32, m float32) float32
}

// Go is the reference variant: plain Go loops.
var Go = &Variant{
	Name: "go",
	Add:  refAdd, Sub: refSub, Mul: refMul, Div: refDiv,
	AddScalar: refAddScalar, SubFromScalar: refSubFromScalar, Scale: refScale,
	DivScalar: refDivScalar, DivFromScalar: refDivFromScalar,
	Axpy: refAxpy, ReLU: refReLU, ReLUBackward: refReLUBackward,
	Sum: refSum, Max: refMax, Dot: refDot,
	Exp: refExp, Sigmoid: refSigmoid, Tanh: refTanh,
	GELU: refGELU, GELUBackward: refGELUBackward,
	ExpSubSum: refExpSubSum, SumExpSub: refSumExpSub,
}

// variants lists every variant this CPU can run, best first; the Go
// variant is always last. simdVariants is set per architecture.
var variants = append(simdVariants(), Go)

// active is the variant the package-level functions use.
var active = variants[0]

// Variants returns every variant this CPU can run, best first, the Go
// reference last.
func Variants() []*Variant { return append([]*Variant(nil), variants...) }

// Active returns the variant the package-level functions use.
func Active() *Variant { return active }

// Softmax sets each row of length n of dst to the softmax of that row of
// x: e^(x−m)/Σe^(x−m) with m the row's maximum. A row of −∞ gives NaN, as
// 0/0; a row holding NaN or +∞ gives NaN. dst may be x.
func (v *Variant) Softmax(dst, x []float32, n int) {
	checkRows("Softmax", dst, x, n)
	for r := 0; r < len(dst); r += n {
		xr, dr := x[r:r+n], dst[r:r+n]
		m := v.Max(xr)
		if math.IsInf(float64(m), -1) {
			m = 0
		}
		s := v.ExpSubSum(dr, xr, m)
		v.DivScalar(dr, dr, s)
	}
}

// LogSoftmax sets each row of length n of dst to x − m − ln Σe^(x−m), the
// logarithm of the softmax without taking the logarithm of 0. dst may
// be x.
func (v *Variant) LogSoftmax(dst, x []float32, n int) {
	checkRows("LogSoftmax", dst, x, n)
	for r := 0; r < len(dst); r += n {
		xr, dr := x[r:r+n], dst[r:r+n]
		m := v.Max(xr)
		if math.IsInf(float64(m), -1) {
			m = 0
		}
		ls := float32(math.Log(float64(v.SumExpSub(xr, m))))
		v.AddScalar(dr, xr, -m)
		v.AddScalar(dr, dr, -ls)
	}
}

func checkRows(op string, dst, x []float32, n int) {
	if len(x) != len(dst) || (n == 0 && len(dst) != 0) || (n > 0 && len(dst)%n != 0) {
		panic("kernel: " + op + ": lengths do not form rows")
	}
}

// Rows applies the binary kernel f row by row, with row broadcast over the
// rows of x (len(row) elements each): dst[r] = f(x[r], row), or
// f(row, x[r]) when rowFirst. It is the bias add of an [m, n] matrix.
func Rows(f func(dst, x, y []float32), dst, x, row []float32, rowFirst bool) {
	n := len(row)
	if n == 0 || len(dst)%n != 0 || len(x) < len(dst) {
		if len(dst) == 0 {
			return
		}
		panic("kernel: Rows: lengths do not form rows")
	}
	for r := 0; r < len(dst); r += n {
		if rowFirst {
			f(dst[r:r+n], row, x[r:r+n])
		} else {
			f(dst[r:r+n], x[r:r+n], row)
		}
	}
}

// The package-level functions run the active variant.

// Add sets dst[i] = x[i] + y[i].
func Add(dst, x, y []float32) { active.Add(dst, x, y) }

// Sub sets dst[i] = x[i] − y[i].
func Sub(dst, x, y []float32) { active.Sub(dst, x, y) }

// Mul sets dst[i] = x[i]·y[i].
func Mul(dst, x, y []float32) { active.Mul(dst, x, y) }

// Div sets dst[i] = x[i] / y[i].
func Div(dst, x, y []float32) { active.Div(dst, x, y) }

// AddScalar sets dst[i] = x[i] + s.
func AddScalar(dst, x []float32, s float32) { active.AddScalar(dst, x, s) }

// SubFromScalar sets dst[i] = s − x[i].
func SubFromScalar(dst, x []float32, s float32) { active.SubFromScalar(dst, x, s) }

// Scale sets dst[i] = x[i]·s.
func Scale(dst, x []float32, s float32) { active.Scale(dst, x, s) }

// DivScalar sets dst[i] = x[i] / s.
func DivScalar(dst, x []float32, s float32) { active.DivScalar(dst, x, s) }

// DivFromScalar sets dst[i] = s / x[i].
func DivFromScalar(dst, x []float32, s float32) { active.DivFromScalar(dst, x, s) }

// Axpy sets y[i] += a·x[i].
func Axpy(y []float32, a float32, x []float32) { active.Axpy(y, a, x) }

// ReLU sets dst[i] = max(x[i], 0), with NaN propagating as in PyTorch.
func ReLU(dst, x []float32) { active.ReLU(dst, x) }

// ReLUBackward sets dx[i] = 0 where y[i] ≤ 0 and dy[i] elsewhere: the
// gradient passes where y is NaN, as in PyTorch.
func ReLUBackward(dx, y, dy []float32) { active.ReLUBackward(dx, y, dy) }

// Sum returns the sum of x.
func Sum(x []float32) float32 { return active.Sum(x) }

// Max returns the largest element of x; NaN if there is one; −∞ if x is
// empty.
func Max(x []float32) float32 { return active.Max(x) }

// Dot returns Σ x[i]·y[i].
func Dot(x, y []float32) float32 { return active.Dot(x, y) }

// Exp sets dst[i] = eˣ⁽ⁱ⁾. The approximation (range reduction by n·ln2
// in two FMA steps, a degree-7 polynomial for eʳ on |r| ≤ ln2/2, and a
// two-step scaling by 2ⁿ) is within 1 ulp of math.Exp rounded to float32
// for every float32 input, subnormal results included, in every variant:
// measured over all 2³² bit patterns by go test -run TestAccuracy/Exp
// -args -exhaustive (the default test sweeps every 127th pattern). It
// overflows to +Inf for x > 88.72284, underflows to 0 below −103.97 and
// keeps NaN.
func Exp(dst, x []float32) { active.Exp(dst, x) }

// Sigmoid sets dst[i] = 1/(1 + e⁻ˣ⁽ⁱ⁾), computed from e^−|x| so that it
// neither overflows nor loses the tail for large |x|; within 2 ulps of the
// float64 sigmoid rounded to float32 (the largest error seen in the sweep
// of TestAccuracy is 2 ulps).
func Sigmoid(dst, x []float32) { active.Sigmoid(dst, x) }

// Tanh sets dst[i] = tanh x[i]: a polynomial for |x| < 0.625 and
// (1 − e^−2|x|)/(1 + e^−2|x|) with the sign of x elsewhere; within 2 ulps
// of math.Tanh rounded to float32 (the largest error seen in the sweep
// of TestAccuracy is 2 ulps).
func Tanh(dst, x []float32) { active.Tanh(dst, x) }

// GELU sets dst[i] = x[i]·Φ(x[i]), the exact form of the Gaussian error
// linear unit, Φ the standard normal distribution function. Φ comes from
// ½erfc(|x|/√2) by Abramowitz and Stegun's 7.1.26, t·P(t)·e^(−x²/2) with
// t = 1/(1 + 0.3275911·|x|/√2), whose own error is below 1.5·10⁻⁷, and
// e^(−x²/2) from Exp; everything in float32. The result is within
// 2.5·10⁻⁷·max(1, |x|) of x·Φ(x) in float64 for every float32 x (the
// sweep of TestGELUAccuracy). GELU(+∞) = +∞; GELU(−∞) is NaN, ∞·0, as
// PyTorch's.
func GELU(dst, x []float32) { active.GELU(dst, x) }

// GELUBackward sets dst[i] = dy[i]·(Φ(x[i]) + x[i]·φ(x[i])), φ(x) =
// e^(−x²/2)/√(2π): the gradient of GELU, computed as GELU computes Φ;
// the factor is within 5·10⁻⁷·max(1, |x|) of its float64 value.
func GELUBackward(dst, x, dy []float32) { active.GELUBackward(dst, x, dy) }

// Softmax applies the active variant's Softmax to rows of length n.
func Softmax(dst, x []float32, n int) { active.Softmax(dst, x, n) }

// LogSoftmax applies the active variant's LogSoftmax to rows of length n.
func LogSoftmax(dst, x []float32, n int) { active.LogSoftmax(dst, x, n) }
