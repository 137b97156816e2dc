//go:build race

package web

// raceDetector is true in a build with the race detector, which makes the
// server's own work several times slower (not the layouts' WebAssembly):
// the abuse test then sends smaller costly requests, so that the load it
// puts on the server stays what it is without the detector.
const raceDetector = true
