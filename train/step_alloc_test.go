//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it; test.sh runs this in its plain
// pass.

package train_test

import (
	"runtime"
	"testing"

	"backprop/ag"
	"backprop/nn"
	"backprop/tensor"
)

// TestScopedStepAllocatesNothing runs full training steps of the MLP —
// forward, loss, backward, SGD with momentum — in an ag.Scope and checks
// that after warm-up a step makes no heap allocation, on one core and on
// two, and that it computes exactly what the same steps without a scope
// compute.
func TestScopedStepAllocatesNothing(t *testing.T) {
	for _, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		plain, scoped := newMLPStep(16), newMLPStep(16)
		var sc ag.Scope
		for range 3 {
			want, got := plain.run(), scoped.runScoped(&sc)
			if want != got {
				t.Fatalf("GOMAXPROCS=%d: loss %v in a scope, %v without", procs, got, want)
			}
		}
		if n := testing.AllocsPerRun(20, func() { scoped.runScoped(&sc) }); n != 0 {
			t.Errorf("GOMAXPROCS=%d: a scoped step allocates %v times", procs, n)
		}
		for range 21 {
			plain.run()
		}
		for i, p := range nn.Vars(plain.m) {
			q := nn.Vars(scoped.m)[i]
			if !tensor.Equal(p.Value, q.Value) || !tensor.Equal(p.Grad, q.Grad) {
				t.Fatalf("GOMAXPROCS=%d: parameter %d differs after scoped steps", procs, i)
			}
		}
		sc.Release()
		runtime.GOMAXPROCS(old)
	}
}
