//go:build !purego

package kernel

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// simdVariants returns the assembly variants this CPU supports, best
// first.
func simdVariants() []*Variant {
	var vs []*Variant
	x := &cpu.X86
	if x.HasAVX512F && x.HasAVX2 && x.HasFMA {
		vs = append(vs, &Variant{
			Name: "avx512",
			Add:  vv(addAVX512), Sub: vv(subAVX512), Mul: vv(mulAVX512), Div: vv(divAVX512),
			AddScalar: vs1(addScalarAVX512), SubFromScalar: vs1(subFromScalarAVX512),
			Scale: vs1(scaleAVX512), DivScalar: vs1(divScalarAVX512), DivFromScalar: vs1(divFromScalarAVX512),
			Axpy: axpy(axpyAVX512), ReLU: v1(reluAVX512), ReLUBackward: vv(reluBackwardAVX512),
			Sum: red(sumAVX512), Max: red(maxAVX512), Dot: dot(dotAVX512),
			Exp: v1(expAVX512), Sigmoid: v1(sigmoidAVX512), Tanh: v1(tanhAVX512),
			GELU: v1(geluAVX512), GELUBackward: vv(geluBackwardAVX512),
			ExpSubSum: ess(expSubSumAVX512), SumExpSub: ses(sumExpSubAVX512),
		})
	}
	if x.HasAVX2 && x.HasFMA {
		vs = append(vs, &Variant{
			Name: "avx2",
			Add:  vv(addAVX2), Sub: vv(subAVX2), Mul: vv(mulAVX2), Div: vv(divAVX2),
			AddScalar: vs1(addScalarAVX2), SubFromScalar: vs1(subFromScalarAVX2),
			Scale: vs1(scaleAVX2), DivScalar: vs1(divScalarAVX2), DivFromScalar: vs1(divFromScalarAVX2),
			Axpy: axpy(axpyAVX2), ReLU: v1(reluAVX2), ReLUBackward: vv(reluBackwardAVX2),
			Sum: red(sumAVX2), Max: red(maxAVX2), Dot: dot(dotAVX2),
			Exp: v1(expAVX2), Sigmoid: v1(sigmoidAVX2), Tanh: v1(tanhAVX2),
			GELU: v1(geluAVX2), GELUBackward: vv(geluBackwardAVX2),
			ExpSubSum: ess(expSubSumAVX2), SumExpSub: ses(sumExpSubAVX2),
		})
	}
	return vs
}

// The adapters below check lengths the way the reference loops would
// (inputs at least len(dst) long) and pass base pointers to the assembly.

func short() { panic("kernel: input shorter than the destination") }

func p(s []float32) *float32 { return unsafe.SliceData(s) }

func vv(f func(dst, x, y *float32, n int)) func(dst, x, y []float32) {
	return func(dst, x, y []float32) {
		if len(x) < len(dst) || len(y) < len(dst) {
			short()
		}
		f(p(dst), p(x), p(y), len(dst))
	}
}

func vs1(f func(dst, x *float32, s float32, n int)) func(dst, x []float32, s float32) {
	return func(dst, x []float32, s float32) {
		if len(x) < len(dst) {
			short()
		}
		f(p(dst), p(x), s, len(dst))
	}
}

func axpy(f func(y, x *float32, a float32, n int)) func(y []float32, a float32, x []float32) {
	return func(y []float32, a float32, x []float32) {
		if len(x) < len(y) {
			short()
		}
		f(p(y), p(x), a, len(y))
	}
}

func v1(f func(dst, x *float32, n int)) func(dst, x []float32) {
	return func(dst, x []float32) {
		if len(x) < len(dst) {
			short()
		}
		f(p(dst), p(x), len(dst))
	}
}

func red(f func(x *float32, n int) float32) func(x []float32) float32 {
	return func(x []float32) float32 { return f(p(x), len(x)) }
}

func dot(f func(x, y *float32, n int) float32) func(x, y []float32) float32 {
	return func(x, y []float32) float32 {
		if len(y) < len(x) {
			short()
		}
		return f(p(x), p(y), len(x))
	}
}

func ess(f func(dst, x *float32, m float32, n int) float32) func(dst, x []float32, m float32) float32 {
	return func(dst, x []float32, m float32) float32 {
		if len(x) < len(dst) {
			short()
		}
		return f(p(dst), p(x), m, len(dst))
	}
}

func ses(f func(x *float32, m float32, n int) float32) func(x []float32, m float32) float32 {
	return func(x []float32, m float32) float32 { return f(p(x), m, len(x)) }
}
