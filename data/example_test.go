package data_test

import (
	"fmt"
	"math/rand/v2"

	"backprop/data"
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
