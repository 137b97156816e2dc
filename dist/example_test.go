package dist_test

import (
	"fmt"

	"backprop/dist"
)

// A loop of one's own: every rank takes its share of the examples,
// computes a partial result, and Average combines them. Run as one
// process it is a single rank; under mpirun -np N (built with -tags mpi)
// each of the N processes sums its share and prints
// the same mean.
func Example() {
	c, err := dist.Init()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Finalize()
	examples := []float64{1, 2, 3, 4, 5, 6}
	lo, hi := dist.Share(len(examples), c.Rank(), c.Size())
	sum := []float64{0}
	for _, x := range examples[lo:hi] {
		sum[0] += x
	}
	if err := dist.AllReduce(c, sum); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("mean", sum[0]/float64(len(examples)))
	// Output: mean 3.5
}
