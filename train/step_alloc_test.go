//go:build !race

// The race detector adds allocations of its own, so allocation counts are
// only meaningful without it; test.sh runs this in its plain pass.

package train_test

import (
	"runtime"
	"testing"

	"backprop/ag"
	"backprop/nn"
	"backprop/tensor"
)

// TestStepAllocatesNothing runs full training steps of the MLP —
// forward, loss, backward, SGD with momentum — in an ag.Graph and checks
// that after warm-up a step makes no heap allocation, on one core and on
// two, and that it computes exactly what the same steps without a graph
// compute; the graph poisons what it recycles, so a use of recycled
// memory would show.
func TestStepAllocatesNothing(t *testing.T) {
	for _, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		plain, inGraph := newMLPStep(16), newMLPStep(16)
		g := ag.NewGraph(ag.PoisonRecycled)
		for range 3 {
			want, got := plain.run(), inGraph.runInGraph(g)
			if want != got {
				t.Fatalf("GOMAXPROCS=%d: loss %v in a graph, %v without", procs, got, want)
			}
		}
		if n := testing.AllocsPerRun(20, func() { inGraph.runInGraph(g) }); n != 0 {
			t.Errorf("GOMAXPROCS=%d: a step allocates %v times", procs, n)
		}
		for range 21 {
			plain.run()
		}
		for i, p := range nn.Vars(plain.m) {
			q := nn.Vars(inGraph.m)[i]
			if !tensor.Equal(p.Value, q.Value) || !tensor.Equal(p.Grad, q.Grad) {
				t.Fatalf("GOMAXPROCS=%d: parameter %d differs after steps in a graph", procs, i)
			}
		}
		runtime.GOMAXPROCS(old)
	}
}
