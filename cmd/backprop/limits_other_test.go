//go:build !linux

package main

import (
	"runtime/debug"
	"testing"
)

// underMemoryLimit sets Go's soft memory limit to extra bytes for the rest
// of the test, where no address-space limit is at hand (the memory
// available then follows it), and returns true: the test goes on in this
// process.
func underMemoryLimit(t *testing.T, extra int64) bool {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	debug.SetMemoryLimit(extra)
	return true
}
