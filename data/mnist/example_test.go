package mnist_test

import (
	"bytes"
	"fmt"

	"backprop/data/mnist"
)

// Reading an IDX file of two 2×2 images from memory, then a corrupt one.
func ExampleReadIDX() {
	file := []byte{
		0, 0, 8, 3, // unsigned bytes, 3 dimensions
		0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, // 2 images of 2×2
		0, 255, 128, 0,
		255, 255, 0, 0,
	}
	f, err := mnist.ReadIDX(bytes.NewReader(file), "tiny-images-idx3-ubyte")
	if err != nil {
		fmt.Println(err)
		return
	}
	x, _ := mnist.Images(f, "tiny-images-idx3-ubyte")
	fmt.Println(f.Dims, x.Shape(), x.At(0, 1))

	_, err = mnist.ReadIDX(bytes.NewReader([]byte{0x1f, 0x8c, 8, 3}), "train-images-idx3-ubyte.gz")
	fmt.Println(err)
	// Output:
	// [2 2 2] [2 4] 1
	// mnist: train-images-idx3-ubyte.gz: offset 0: bad magic 0x1f8c0803
}
