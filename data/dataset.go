package data

import (
	"fmt"
	"math"
	"math/rand/v2"

	"backprop/tensor"
)

// Dataset is a labeled data set: X holds one example per row, shape
// [N, D], and Y the class of each, in [0, Classes).
type Dataset struct {
	X       *tensor.Tensor
	Y       []int
	Classes int
}

// New returns a Dataset of x ([N, D]) and labels y, checking that they
// agree; classes is one more than the largest label when 0.
func New(x *tensor.Tensor, y []int, classes int) *Dataset {
	if x.Dims() != 2 || x.Dim(0) != len(y) {
		panic(fmt.Sprintf("data: New: examples %v with %d labels: want [N D] with N labels", x.Shape(), len(y)))
	}
	if classes == 0 {
		for _, c := range y {
			classes = max(classes, c+1)
		}
	}
	for i, c := range y {
		if c < 0 || c >= classes {
			panic(fmt.Sprintf("data: New: label %d of example %d out of range [0,%d)", c, i, classes))
		}
	}
	return &Dataset{X: x, Y: y, Classes: classes}
}

// Len returns the number of examples.
func (ds *Dataset) Len() int { return len(ds.Y) }

// Features returns the number of inputs per example, D.
func (ds *Dataset) Features() int { return ds.X.Dim(1) }

// Subset returns a new Dataset holding copies of the examples idx, in that
// order.
func (ds *Dataset) Subset(idx []int) *Dataset {
	x := tensor.IndexSelect(ds.X, 0, idx)
	y := make([]int, len(idx))
	for i, j := range idx {
		y[i] = ds.Y[j]
	}
	return &Dataset{X: x, Y: y, Classes: ds.Classes}
}

// Head returns a copy of the first n examples (all of them if n exceeds
// the length), for quick experiments on a subset.
func (ds *Dataset) Head(n int) *Dataset {
	n = min(n, ds.Len())
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return ds.Subset(idx)
}

// Split holds out n examples for validation and returns the rest as the
// training set. With rng nil the last n examples are held out; otherwise a
// random permutation drawn from rng chooses them.
func (ds *Dataset) Split(n int, rng *rand.Rand) (train, val *Dataset) {
	if n < 0 || n > ds.Len() {
		panic(fmt.Sprintf("data: Split: %d validation examples of %d", n, ds.Len()))
	}
	perm := make([]int, ds.Len())
	for i := range perm {
		perm[i] = i
	}
	if rng != nil {
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	}
	k := ds.Len() - n
	return ds.Subset(perm[:k]), ds.Subset(perm[k:])
}

// Stats returns the mean and standard deviation of all the inputs of ds,
// over every example and feature, as used for MNIST (≈ 0.1307, 0.3081 on
// pixels scaled to [0, 1]).
func (ds *Dataset) Stats() (mean, std float64) {
	n := ds.X.Len()
	if n == 0 {
		return 0, 1
	}
	var s, ss float64
	for i := 0; i < n; i++ {
		v := ds.X.Flat(i)
		s += v
		ss += v * v
	}
	mean = s / float64(n)
	std = math.Sqrt(max(ss/float64(n)-mean*mean, 0))
	return mean, std
}

// Standardize sets every input x to (x − mean) / std in place. Compute mean
// and std on the training set (Stats) and apply the same to the
// validation and test sets. A zero std is treated as 1.
func (ds *Dataset) Standardize(mean, std float64) {
	if std == 0 {
		std = 1
	}
	tensor.ScaleTo(ds.X, tensor.AddScalarTo(ds.X, ds.X, -mean), 1/std)
}

// Spread returns a copy of n examples spread evenly over the data set
// (all of them if n is not smaller than its length): examples
// ⌊i·Len/n⌋ for i < n. On a data set ordered by class, such as Spiral,
// the subset keeps every class in proportion.
func (ds *Dataset) Spread(n int) *Dataset {
	total := ds.Len()
	n = max(min(n, total), 0)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i * total / n
	}
	return ds.Subset(idx)
}
