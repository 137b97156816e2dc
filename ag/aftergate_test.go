package ag_test

import (
	"math/rand/v2"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// A two-layer network whose first weight is also read by an L2 term (so
// that three gate inputs read it) and whose hidden layer also feeds a
// branch the loss does not use. AfterGate must report every gate reached, with its inputs; a
// leaf's gradient, when the last gate reading it has been reported, must
// already be the final one; and the gradients must be those of a pass
// without the option, bit for bit (the fused gates' fast path stays on).
func TestAfterGate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	mk := func() (x, w1, b1, w2, b2 *tensor.Tensor) {
		return tensor.Randn(rng, tensor.Float32, 8, 5), tensor.Randn(rng, tensor.Float32, 4, 5),
			tensor.Randn(rng, tensor.Float32, 4), tensor.Randn(rng, tensor.Float32, 3, 4), tensor.Randn(rng, tensor.Float32, 3)
	}
	x, w1, b1, w2, b2 := mk()
	labels := []int{0, 1, 2, 0, 1, 2, 0, 1}
	run := func(opts ...func(loss *ag.Var, leaves []*ag.Var) ag.Option) []*ag.Var {
		leaves := []*ag.Var{ag.Param(w1.Clone()), ag.Param(b1.Clone()), ag.Param(w2.Clone()), ag.Param(b2.Clone())}
		g := ag.NewGraph()
		h := ag.BiasReLU(ag.MatMulT(g.Const(x), leaves[0], false, true), leaves[1])
		ag.Mul(h, h) // a branch the loss does not use
		logits := ag.Linear(h, leaves[2], leaves[3])
		loss := ag.Add(ag.SoftmaxCrossEntropy(logits, labels), ag.Sum(ag.Mul(leaves[0], leaves[0]), false))
		var o []ag.Option
		for _, f := range opts {
			o = append(o, f(loss, leaves))
		}
		ag.Backward(loss, o...)
		return leaves
	}
	want := run()

	var reached int
	early := map[*ag.Var]*tensor.Tensor{}
	got := run(func(loss *ag.Var, leaves []*ag.Var) ag.Option {
		// Count the gates that read each leaf, walking from the loss.
		readers := map[*ag.Var]int{}
		seen := map[*ag.Var]bool{}
		stack := []*ag.Var{loss}
		gates := 0
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[v] || v.Gate() == nil {
				continue
			}
			seen[v] = true
			gates++
			for _, in := range v.Inputs() {
				if in.Gate() == nil && in.RequiresGrad() {
					readers[in]++
				}
				stack = append(stack, in)
			}
		}
		if readers[leaves[0]] != 3 || readers[leaves[3]] != 1 { // w1: MatMulT and both inputs of Mul
			t.Fatalf("readers %v", readers)
		}
		t.Cleanup(func() {
			if reached != gates {
				t.Errorf("AfterGate reported %d gates, the graph has %d", reached, gates)
			}
		})
		return ag.AfterGate(func(v *ag.Var) {
			reached++
			if len(v.Inputs()) == 0 {
				t.Errorf("gate %v reported without its inputs", v)
			}
			for _, in := range v.Inputs() {
				if n, ok := readers[in]; ok {
					if readers[in] = n - 1; n == 1 {
						early[in] = in.Grad.Clone()
					}
				}
			}
		})
	})
	for i := range want {
		if !tensor.Equal(want[i].Grad, got[i].Grad) {
			t.Errorf("leaf %d: gradient differs with AfterGate", i)
		}
		if e := early[got[i]]; e == nil || !tensor.Equal(e, got[i].Grad) {
			t.Errorf("leaf %d: gradient when its last reader ran is not the final one", i)
		}
	}
}
