package main

import (
	"fmt"

	"backprop/data/mnist"
	"backprop/tensor"
)

// readDigit reads the image file at path as the [1, 784] input of an MNIST
// model, raw pixels in [0, 1] before the model's standardisation (see
// mnist.FromImage). Its errors name the file.
func readDigit(path string) (*tensor.Tensor, error) {
	img, err := mnist.ReadImageFile(path)
	if err != nil {
		return nil, err
	}
	x, err := mnist.FromImage(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return x, nil
}
