//go:build race

package mnist_test

// raceDetector is true in a build with the race detector, where the
// accuracy measurements (a model trained on 60,000 digits, 500 digits
// rendered) would take minutes.
const raceDetector = true
