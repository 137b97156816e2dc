package optim

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// TestSGD32MatchesReference checks the float32 kernel path of SGD against
// the float64 reference loop, for every combination of momentum, Nesterov
// and weight decay, on a length that is no multiple of the chunk.
func TestSGD32MatchesReference(t *testing.T) {
	const n = 3*sgdChunk + 77
	rng := rand.New(rand.NewPCG(1, 2))
	for _, mu := range []float64{0, 0.9} {
		for _, nest := range []bool{false, true} {
			for _, wd := range []float64{0, 1e-2} {
				if nest && mu == 0 {
					continue
				}
				th, g, v := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
				th2, v2 := slices.Clone(th), slices.Clone(v)
				for range 3 {
					sgd(th, g, v, 0.1, mu, wd, nest)
					sgd32(th2, g, v2, 0.1, float32(mu), float32(wd), nest)
				}
				for i := range th {
					if d := math.Abs(float64(th[i] - th2[i])); d > 1e-5*(1+math.Abs(float64(th[i]))) {
						t.Fatalf("mu=%v nesterov=%v wd=%v: θ[%d] = %v, reference %v", mu, nest, wd, i, th2[i], th[i])
					}
				}
			}
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// TestSGDSameForAnyCores checks that the update gives the same bits
// whatever GOMAXPROCS is.
func TestSGDSameForAnyCores(t *testing.T) {
	run := func(procs int) []float32 {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		rng := rand.New(rand.NewPCG(3, 4))
		p := ag.Param(tensor.Uniform(rng, tensor.Float32, -1, 1, 5*sgdChunk+3))
		p.Grad = tensor.Uniform(rng, tensor.Float32, -1, 1, 5*sgdChunk+3)
		o := NewSGD([]*ag.Var{p}, 0.05)
		o.Momentum, o.WeightDecay = 0.9, 1e-3
		for range 4 {
			o.Step()
		}
		return slices.Clone(p.Value.Float32s())
	}
	one := run(1)
	for _, procs := range []int{2, 3, 8} {
		if !slices.Equal(one, run(procs)) {
			t.Fatalf("GOMAXPROCS=%d gives other values than 1", procs)
		}
	}
}

// BenchmarkSGDMomentum updates the 535,818 parameters of the
// 784-512-256-10 network once per iteration: the reference loop against
// the kernel path.
func BenchmarkSGDMomentum(b *testing.B) {
	const n = 784*512 + 512 + 512*256 + 256 + 256*10 + 10
	rng := rand.New(rand.NewPCG(1, 2))
	th, g, v := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
	b.Run("reference", func(b *testing.B) {
		for b.Loop() {
			sgd(th, g, v, 1e-6, 0.9, 0, false)
		}
	})
	b.Run("kernels", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sgd32(th, g, v, 1e-6, 0.9, 0, false)
		}
	})
}
