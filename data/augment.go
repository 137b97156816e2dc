package data

import (
	"fmt"
	"math/rand/v2"

	"backprop/tensor"
)

// Augmenter applies random transformations to batches of images, in
// place, as a training loop draws them: a random shift of up to ±Shift
// pixels in each direction, the pixels it uncovers set to Fill (0, or
// the background's value after standardisation: −mean/std for images
// whose background is 0), and, with Flip, a horizontal
// flip with probability ½. A random crop of the image padded with P
// zeros on every side, back to its own size, is the same as a shift of
// up to ±P with zero fill, so Shift = 2 is also the "pad 2, random crop"
// of CIFAR-style training.
//
// Its randomness is Rand, and nothing else: for every example, in the
// batch's order, it draws the vertical shift, then the horizontal shift
// (each rng.IntN(2·Shift+1) − Shift, when Shift > 0), then the flip
// (rng.IntN(2) == 1, with Flip). A run that saves the state of Rand's
// source (as train saves the one that shuffles, which may be the same
// *rand.Rand) and restores it continues with the same transformations.
//
// After the first batch, Apply allocates nothing. An Augmenter is not
// safe for use by several goroutines at once.
type Augmenter struct {
	C, H, W int // the shape of an example
	Shift   int
	Flip    bool
	Fill    float64 // the value of the pixels a shift uncovers
	Rand    *rand.Rand
	tmp32   []float32 // one plane, for the float32 batches
	tmp64   []float64 // the same for float64
}

// NewAugmenter returns an Augmenter for examples of shape [C H W] (such
// as a Dataset's ExampleShape), drawing from rng. It panics on a shape
// that is not of images, or a negative shift.
func NewAugmenter(shape []int, shift int, flip bool, rng *rand.Rand) *Augmenter {
	if len(shape) != 3 || shape[0] < 1 || shape[1] < 1 || shape[2] < 1 || shift < 0 || rng == nil {
		panic(fmt.Sprintf("data: NewAugmenter: shape %v, shift %d, random source %v: want images [C H W], a shift ≥ 0 and a source", shape, shift, rng != nil))
	}
	return &Augmenter{C: shape[0], H: shape[1], W: shape[2], Shift: shift, Flip: flip, Rand: rng}
}

// DigitAugmenter returns the augmentation for handwritten digits: random
// shifts of up to ±2 pixels. Digits are not flipped: a mirrored 2 is not
// a 2.
func DigitAugmenter(shape []int, rng *rand.Rand) *Augmenter {
	return NewAugmenter(shape, 2, false, rng)
}

// ClothesAugmenter returns the augmentation for Fashion-MNIST: random
// horizontal flips (a mirrored shoe is a shoe) and random crops of the
// image padded by 2 pixels (shifts of up to ±2).
func ClothesAugmenter(shape []int, rng *rand.Rand) *Augmenter {
	return NewAugmenter(shape, 2, true, rng)
}

// Apply transforms every example of the batch x, [B, C·H·W] as a Loader
// serves it, in place. A Loader's batches are copies, so the data set
// itself is unchanged.
func (a *Augmenter) Apply(x *tensor.Tensor) {
	d := a.C * a.H * a.W
	if x.Dims() != 2 || x.Dim(1) != d {
		panic(fmt.Sprintf("data: Augmenter.Apply: batch of shape %v for images [%d %d %d]: want [B %d]", x.Shape(), a.C, a.H, a.W, d))
	}
	if x.DType() == tensor.Float32 {
		if len(a.tmp32) != a.H*a.W {
			a.tmp32 = make([]float32, a.H*a.W)
		}
		augment(a, x.Float32s(), a.tmp32, x.Dim(0), float32(a.Fill))
	} else {
		if len(a.tmp64) != a.H*a.W {
			a.tmp64 = make([]float64, a.H*a.W)
		}
		augment(a, x.Float64s(), a.tmp64, x.Dim(0), a.Fill)
	}
}

func augment[T float32 | float64](a *Augmenter, x, tmp []T, n int, fill T) {
	plane := a.H * a.W
	for i := range n {
		dy, dx, flip := a.draw()
		if dy == 0 && dx == 0 && !flip {
			continue
		}
		for c := range a.C {
			p := x[(i*a.C+c)*plane : (i*a.C+c+1)*plane]
			copy(tmp, p)
			transform(p, tmp, a.H, a.W, dy, dx, flip, fill)
		}
	}
}

// draw returns the transformation of the next example.
func (a *Augmenter) draw() (dy, dx int, flip bool) {
	if a.Shift > 0 {
		dy = a.Rand.IntN(2*a.Shift+1) - a.Shift
		dx = a.Rand.IntN(2*a.Shift+1) - a.Shift
	}
	if a.Flip {
		flip = a.Rand.IntN(2) == 1
	}
	return dy, dx, flip
}

// transform sets dst, an h×w plane, to src flipped left to right (with
// flip) and then moved dy rows down and dx columns right, fill where the
// moved image does not reach:
//
//	dst[y][x] = s[y−dy][x−dx],  s[y][x] = src[y][w−1−x] if flip else src[y][x]
func transform[T float32 | float64](dst, src []T, h, w, dy, dx int, flip bool, fill T) {
	set := func(r []T) {
		for i := range r {
			r[i] = fill
		}
	}
	for y := range h {
		row := dst[y*w : (y+1)*w]
		sy := y - dy
		if sy < 0 || sy >= h {
			set(row)
			continue
		}
		srow := src[sy*w : (sy+1)*w]
		// The columns x with 0 ≤ x − dx < w.
		lo, hi := max(0, dx), min(w, w+dx)
		if lo >= hi {
			set(row)
			continue
		}
		set(row[:lo])
		set(row[hi:])
		if !flip {
			copy(row[lo:hi], srow[lo-dx:hi-dx])
			continue
		}
		for x := lo; x < hi; x++ {
			row[x] = srow[w-1-(x-dx)]
		}
	}
}
