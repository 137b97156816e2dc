package main

import (
	"fmt"

	"backprop/data/mnist"
	"backprop/tensor"
)

// readImage reads the image file at path as the [1, 784] input of a model
// trained on dataset (MNIST's digits, or Fashion-MNIST's clothes), raw
// pixels in [0, 1] before the model's standardisation (see
// mnist.FromImageFor). Its errors name the file.
func readImage(path, dataset string) (*tensor.Tensor, error) {
	img, err := mnist.ReadImageFile(path)
	if err != nil {
		return nil, err
	}
	x, err := mnist.FromImageFor(dataset, img)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return x, nil
}
