// Package data holds in-memory data sets for classification, the batches a
// training loop draws from them, and the preprocessing they need.
//
// A Dataset is a matrix of examples X, one row per example, with integer
// class labels Y. Spiral generates the CS231n toy data set; package
// data/mnist reads the MNIST digits. A Loader walks a Dataset in
// mini-batches, reshuffled every epoch from an explicit *rand.Rand, reusing
// its batch buffers so that an epoch allocates nothing per step. Split
// holds out a validation set, and Standardize shifts and scales the inputs
// with statistics computed on the training set only. A Dataset of images
// records the shape of an example ([1 28 28]) for the network to infer
// its input sizes from, and an Augmenter shifts and flips a loader's
// batches of images in place, seeded and resumable like the shuffling.
package data
