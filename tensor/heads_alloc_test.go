//go:build !race

// The race detector makes sync.Pool drop items at random (gemm's
// workspaces come from pools), so allocation counts are only checked
// without it.

package tensor_test

import (
	"runtime"
	"testing"

	"backprop/tensor"
)

// TestHeadMatMulAllocatesNothing checks that HeadMatMulTo on one worker
// makes no allocation: it runs a few dozen times in every attention step.
func TestHeadMatMulAllocatesNothing(t *testing.T) {
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	x := tensor.New(tensor.Float32, 2, 8, 24)
	s := tensor.New(tensor.Float32, 2, 2, 8, 8)
	if n := testing.AllocsPerRun(20, func() {
		tensor.HeadMatMulTo(tensor.Stacked(s), tensor.Heads(x, 0, 4), tensor.Heads(x, 8, 4), 2, false, true)
	}); n != 0 {
		t.Errorf("HeadMatMulTo allocates %v times per call", n)
	}
}
