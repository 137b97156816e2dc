package tensor

import (
	"math"
	"math/rand/v2"
)

// Rand returns a tensor of uniform samples from [0, 1) drawn from rng.
func Rand(rng *rand.Rand, dt DType, shape ...int) *Tensor {
	return Uniform(rng, dt, 0, 1, shape...)
}

// Uniform returns a tensor of uniform samples from [lo, hi) drawn from rng.
func Uniform(rng *rand.Rand, dt DType, lo, hi float64, shape ...int) *Tensor {
	t := alloc("Uniform", dt, shape)
	for i := 0; i < t.Len(); i++ {
		t.set(i, lo+(hi-lo)*rng.Float64())
		if lo < hi && t.get(i) >= hi {
			// Rounding (of lo + (hi−lo)·u, or to float32) reached hi,
			// which [lo, hi) excludes: take the largest value below it.
			t.set(i, below(dt, hi))
		}
	}
	return t
}

// below returns the largest value of dtype dt less than x.
func below(dt DType, x float64) float64 {
	if dt == Float64 {
		return math.Nextafter(x, math.Inf(-1))
	}
	f := float32(x)
	if float64(f) >= x {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return float64(f)
}

// Randn returns a tensor of standard normal samples drawn from rng.
func Randn(rng *rand.Rand, dt DType, shape ...int) *Tensor {
	t := alloc("Randn", dt, shape)
	for i := 0; i < t.Len(); i++ {
		t.set(i, rng.NormFloat64())
	}
	return t
}
