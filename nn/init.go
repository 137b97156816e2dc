package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"backprop/tensor"
)

// Init fills a weight tensor of shape [fanOut, fanIn] (PyTorch's layout
// of a Linear layer), or [out, in/groups, kh, kw] (a convolution's), with
// random values drawn from rng.
type Init func(rng *rand.Rand, w *tensor.Tensor)

// fans returns the fan-in and fan-out of w, as PyTorch counts them: a
// convolution's receptive field kh·kw multiplies both.
func fans(w *tensor.Tensor) (in, out float64) {
	if w.Dims() < 2 {
		panic(&tensor.Error{Op: "nn.Init", Msg: fmt.Sprintf("weight of shape %v: want [out in …]", w.Shape())})
	}
	field := 1
	for _, d := range w.Shape()[2:] {
		field *= d
	}
	return float64(w.Dim(1) * field), float64(w.Dim(0) * field)
}

func fillUniform(rng *rand.Rand, w *tensor.Tensor, bound float64) {
	for i := 0; i < w.Len(); i++ {
		w.SetFlat(i, (2*rng.Float64()-1)*bound)
	}
}

func fillNormal(rng *rand.Rand, w *tensor.Tensor, std float64) {
	for i := 0; i < w.Len(); i++ {
		w.SetFlat(i, rng.NormFloat64()*std)
	}
}

// XavierUniform (Glorot) draws from U(−a, a), a = √(6 / (fanIn + fanOut)),
// keeping the variance of activations and gradients about constant through
// tanh or sigmoid layers.
func XavierUniform(rng *rand.Rand, w *tensor.Tensor) {
	in, out := fans(w)
	fillUniform(rng, w, math.Sqrt(6/(in+out)))
}

// XavierNormal (Glorot) draws from N(0, σ²), σ = √(2 / (fanIn + fanOut)).
func XavierNormal(rng *rand.Rand, w *tensor.Tensor) {
	in, out := fans(w)
	fillNormal(rng, w, math.Sqrt(2/(in+out)))
}

// HeUniform (Kaiming) draws from U(−a, a), a = √(6 / fanIn), for ReLU
// layers: the gain √2 makes up for the half of the units ReLU silences.
func HeUniform(rng *rand.Rand, w *tensor.Tensor) {
	in, _ := fans(w)
	fillUniform(rng, w, math.Sqrt(6/in))
}

// HeNormal (Kaiming) draws from N(0, σ²), σ = √(2 / fanIn).
func HeNormal(rng *rand.Rand, w *tensor.Tensor) {
	in, _ := fans(w)
	fillNormal(rng, w, math.Sqrt(2/in))
}

// Normal returns an Init drawing from N(0, std²), such as the small random
// weights (std 0.01) of the course's first networks.
func Normal(std float64) Init {
	return func(rng *rand.Rand, w *tensor.Tensor) { fillNormal(rng, w, std) }
}

// UniformFanIn draws from U(−a, a), a = 1/√fanIn: PyTorch's default
// initialisation of the weights of nn.Linear and nn.Conv2d
// (kaiming_uniform_ with a = √5, whose bound works out to 1/√fanIn).
func UniformFanIn(rng *rand.Rand, w *tensor.Tensor) {
	in, _ := fans(w)
	fillUniform(rng, w, 1/math.Sqrt(in))
}
