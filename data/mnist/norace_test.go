//go:build !race

package mnist_test

const raceDetector = false
