package mnist_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"

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

// A small dark "7" near the corner of a large white canvas becomes an
// MNIST digit: light on dark, 20 pixels tall, placed lower in the field
// because its bar is heavy, so that its centre of mass is on the
// pixel (14, 14) of the 28×28 field.
func ExampleFromImage() {
	img := image.NewGray(image.Rect(0, 0, 640, 480))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	ink := image.NewUniform(color.Black)
	draw.Draw(img, image.Rect(600, 10, 624, 15), ink, image.Point{}, draw.Src) // the bar
	for y := 15; y < 50; y++ {                                                 // the stem, leaning left
		x := 619 - (y-15)/3
		draw.Draw(img, image.Rect(x, y, x+5, y+1), ink, image.Point{}, draw.Src)
	}
	x, err := mnist.FromImage(img)
	if err != nil {
		fmt.Println(err)
		return
	}
	var top, bottom, m, cx, cy float64
	top = -1
	for r := 0; r < 28; r++ {
		for c := 0; c < 28; c++ {
			v := x.At(0, r*28+c)
			if v > 0 && top < 0 {
				top = float64(r)
			}
			if v > 0 {
				bottom = float64(r)
			}
			m, cx, cy = m+v, cx+v*float64(c), cy+v*float64(r)
		}
	}
	fmt.Println(x.Shape())
	fmt.Printf("rows %v to %v, centre of mass (%.0f, %.0f)\n", top, bottom, cx/m, cy/m)

	_, err = mnist.FromImage(image.NewGray(image.Rect(0, 0, 28, 28)))
	fmt.Println(err)
	// Output:
	// [1 784]
	// rows 7 to 26, centre of mass (14, 14)
	// no digit in the image: it is all one shade
}

// The names of the classes, as predictions print them.
func ExampleDatasetNames() {
	names, _ := mnist.DatasetNames("fashion")
	fmt.Println(len(names), names[0], names[9])
	digits, _ := mnist.DatasetNames("mnist")
	fmt.Println(digits[7])
	// Output:
	// 10 T-shirt/top Ankle boot
	// 7
}
