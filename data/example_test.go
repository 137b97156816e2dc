package data_test

import (
	"fmt"
	"math/rand/v2"

	"backprop/data"
	"backprop/tensor"
)

// Walking the spiral data set in shuffled mini-batches after holding out a
// validation set.
func ExampleLoader() {
	rng := rand.New(rand.NewPCG(1, 2))
	ds := data.Spiral(rng, 50, 3) // 150 points in 3 classes
	train, val := ds.Split(30, rng)
	ld := data.NewLoader(train, 32, rng)
	for ld.Next() {
		x, y := ld.Batch()
		fmt.Println(x.Shape(), len(y))
	}
	fmt.Println("validation:", val.Len())
	// Output:
	// [32 2] 32
	// [32 2] 32
	// [32 2] 32
	// [24 2] 24
	// validation: 30
}

// Augmenting a batch of 3×3 images: each is shifted by up to one pixel
// in each direction, zero filled, and flipped half the time; the draws
// come from the seeded source alone.
func ExampleAugmenter() {
	x := tensor.FromSlice([]float32{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	}, 1, 9)
	a := data.NewAugmenter([]int{1, 3, 3}, 1, true, rand.New(rand.NewPCG(1, 2)))
	for range 3 {
		b := x.Clone()
		a.Apply(b)
		v := b.Values()
		fmt.Println(v[0:3], v[3:6], v[6:9])
	}
	// Output:
	// [0 0 0] [1 2 3] [4 5 6]
	// [0 0 0] [2 3 0] [5 6 0]
	// [3 2 1] [6 5 4] [9 8 7]
}
