package kernel

import (
	"math/rand/v2"
	"testing"
)

// The benchmarks run every kernel of every variant (the Go variant is the
// plain Go loop) on an in-cache size (4 Ki elements) and on one larger
// than the caches (16 Mi elements, 64 MiB per slice). SetBytes counts the
// bytes the kernel reads and writes, so MB/s is its memory throughput.
// bench/kernels.sh runs them alternating and prints medians and ratios.

var benchSizes = []struct {
	name string
	n    int
}{{"4Ki", 4 << 10}, {"16Mi", 16 << 20}}

var benchBufs = map[int][3][]float32{}

func benchData(n int) (x, y, d []float32) {
	if b, ok := benchBufs[n]; ok {
		return b[0], b[1], b[2]
	}
	r := rand.New(rand.NewPCG(1, 2))
	x, y, d = make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 4)
		y[i] = float32(r.Float64() + 0.5)
		d[i] = 1
	}
	benchBufs[n] = [3][]float32{x, y, d}
	return x, y, d
}

var sink float32

func BenchmarkKernel(b *testing.B) {
	type bk struct {
		name  string
		bytes int // per element
		run   func(v *Variant, d, x, y []float32)
	}
	ks := []bk{
		{"Add", 12, func(v *Variant, d, x, y []float32) { v.Add(d, x, y) }},
		{"Mul", 12, func(v *Variant, d, x, y []float32) { v.Mul(d, x, y) }},
		{"Div", 12, func(v *Variant, d, x, y []float32) { v.Div(d, x, y) }},
		{"AddScalar", 8, func(v *Variant, d, x, y []float32) { v.AddScalar(d, x, 0.5) }},
		{"Scale", 8, func(v *Variant, d, x, y []float32) { v.Scale(d, x, 0.5) }},
		{"Axpy", 12, func(v *Variant, d, x, y []float32) { v.Axpy(d, 1e-3, x) }},
		{"BiasRows", 12, func(v *Variant, d, x, y []float32) { Rows(v.Add, d, x, y[:512], false) }},
		{"ReLU", 8, func(v *Variant, d, x, y []float32) { v.ReLU(d, x) }},
		{"ReLUBackward", 12, func(v *Variant, d, x, y []float32) { v.ReLUBackward(d, x, y) }},
		{"Sum", 4, func(v *Variant, d, x, y []float32) { sink = v.Sum(x) }},
		{"Max", 4, func(v *Variant, d, x, y []float32) { sink = v.Max(x) }},
		{"Dot", 8, func(v *Variant, d, x, y []float32) { sink = v.Dot(x, y) }},
		{"Exp", 8, func(v *Variant, d, x, y []float32) { v.Exp(d, x) }},
		{"Sigmoid", 8, func(v *Variant, d, x, y []float32) { v.Sigmoid(d, x) }},
		{"Tanh", 8, func(v *Variant, d, x, y []float32) { v.Tanh(d, x) }},
		{"GELU", 8, func(v *Variant, d, x, y []float32) { v.GELU(d, x) }},
		{"GELUBackward", 12, func(v *Variant, d, x, y []float32) { v.GELUBackward(d, x, y) }},
		{"Softmax1024", 8, func(v *Variant, d, x, y []float32) { v.Softmax(d, x, 1024) }},
	}
	for _, k := range ks {
		for _, sz := range benchSizes {
			for _, v := range Variants() {
				b.Run(k.name+"/"+sz.name+"/"+v.Name, func(b *testing.B) {
					x, y, d := benchData(sz.n)
					b.SetBytes(int64(k.bytes * sz.n))
					b.ReportAllocs()
					for b.Loop() {
						k.run(v, d, x, y)
					}
				})
			}
		}
	}
}
