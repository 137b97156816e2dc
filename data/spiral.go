package data

import (
	"math"
	"math/rand/v2"

	"backprop/tensor"
)

// Spiral returns the CS231n spiral data set: k classes of n points each in
// the plane, every class an arm of a spiral, which no linear classifier
// separates. Point i of class j has radius r = i/(n−1) and angle
// t = 4j + 4r + 0.2·ε with ε standard normal from rng, and lies at
// (r·sin t, r·cos t). Examples are ordered by class.
func Spiral(rng *rand.Rand, n, k int) *Dataset {
	x := tensor.New(tensor.Float32, n*k, 2)
	y := make([]int, n*k)
	for j := 0; j < k; j++ {
		for i := 0; i < n; i++ {
			r := 0.0
			if n > 1 {
				r = float64(i) / float64(n-1)
			}
			t := 4*float64(j) + 4*r + 0.2*rng.NormFloat64()
			row := j*n + i
			x.Set(r*math.Sin(t), row, 0)
			x.Set(r*math.Cos(t), row, 1)
			y[row] = j
		}
	}
	return &Dataset{X: x, Y: y, Classes: k}
}

// The splits of the spiral: each is a fresh sample of the same spiral,
// drawn from its own stream of one seed (see SpiralSplit).
const (
	SpiralTrain = iota
	SpiralVal
	SpiralTest
)

// SpiralSplit returns split (SpiralTrain, SpiralVal or SpiralTest) of the
// spiral of k classes of n points drawn from seed: Spiral with the random
// stream rand.NewPCG(seed, split). The three splits are independent
// samples, so a model trained on one is measured on points it has not
// seen, and the same seed gives the same splits everywhere (train, eval,
// the page).
func SpiralSplit(seed uint64, split, n, k int) *Dataset {
	return Spiral(rand.New(rand.NewPCG(seed, uint64(split))), n, k)
}
