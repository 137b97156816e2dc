package text_test

import (
	"fmt"
	"math/rand/v2"

	"backprop/data/text"
	"backprop/tensor"
)

// A corpus of one file, split by position, walked in windows of 16 bytes
// drawn from a seeded source.
func ExampleSampler() {
	c, err := text.Open("testdata/one.txt", text.Options{ValidFraction: 0.1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("train", c.Train.Len(), "bytes, validation", c.Valid.Len())
	m, err := text.NewSampler(c.Train, 2, 16, tensor.Float32, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Windows(), "windows in", m.Batches(), "batches")
	m.Next()
	x, y := m.Batch()
	in := m.Inputs()
	fmt.Println(x.Shape(), len(y))
	for i := range x.Dim(0) {
		fmt.Printf("%q → %q\n", bytesOf(in[i*16:(i+1)*16]), bytesOf(y[i*16:(i+1)*16]))
	}
	// Output:
	// train 277 bytes, validation 31
	// 17 windows in 9 batches
	// [2 16] 32
	// "ily is unhappy i" → "ly is unhappy in"
	// "ppy families are" → "py families are "
}

func bytesOf(v []int) []byte {
	b := make([]byte, len(v))
	for i, c := range v {
		b[i] = byte(c)
	}
	return b
}
