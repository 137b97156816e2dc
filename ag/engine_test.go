package ag_test

import (
	"fmt"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

func vec(vs ...float64) *tensor.Tensor { return tensor.FromSlice(vs) }

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one containing %q", want)
		}
		msg := ""
		switch e := r.(type) {
		case error:
			msg = e.Error()
		case string:
			msg = e
		}
		if !strings.Contains(msg, want) {
			t.Fatalf("panic %q, want it to contain %q", msg, want)
		}
	}()
	f()
}

// A value used twice receives the sum of both gradients: d(x·x + x)/dx =
// 2x + 1.
func TestFanOutAccumulates(t *testing.T) {
	x := ag.Param(vec(3, -1))
	y := ag.Add(ag.Mul(x, x), x)
	ag.Backward(y)
	if got := x.Grad.Values(); got[0] != 7 || got[1] != -1 {
		t.Fatalf("grad %v, want [7 -1]", got)
	}
}

// Add hands the same upstream tensor to both inputs; the engine must not
// let the leaves share (and later corrupt) one buffer.
func TestLeafGradientsAreNotShared(t *testing.T) {
	x, y := ag.Param(vec(1, 2)), ag.Param(vec(3, 4))
	ag.Backward(ag.Add(x, y))
	if x.Grad == y.Grad {
		t.Fatal("x and y share a gradient tensor")
	}
	x.Grad.Fill(9)
	if y.Grad.Flat(0) != 1 {
		t.Fatalf("writing x.Grad changed y.Grad to %v", y.Grad)
	}
}

func TestSeedGradient(t *testing.T) {
	x := ag.Param(vec(1, 2, 3))
	y := ag.Mul(x, ag.Const(vec(2, 2, 2)))
	ag.Backward(y, ag.Seed(vec(1, 10, 100)))
	if got := x.Grad.Values(); got[0] != 2 || got[1] != 20 || got[2] != 200 {
		t.Fatalf("grad %v, want [2 20 200]", got)
	}
	mustPanic(t, "seed is float64[2]", func() {
		ag.Backward(ag.Mul(x, x), ag.Seed(vec(1, 2)))
	})
}

func TestFreedGraphPanics(t *testing.T) {
	x := ag.Param(vec(1, 2))
	y := ag.Sum(ag.Mul(x, x), false)
	ag.Backward(y)
	mustPanic(t, "already freed", func() { ag.Backward(y) })
	// A new graph over the same leaf is fine.
	ag.Backward(ag.Sum(x, false))
}

// With KeepGraph a second pass runs, leaves accumulate, and intermediate
// gradients are those of the latest pass.
func TestKeepGraphAccumulatesLeaves(t *testing.T) {
	x := ag.Param(vec(1, 2))
	h := ag.Mul(x, x)
	y := ag.Sum(h, false)
	ag.Backward(y, ag.KeepGraph())
	ag.Backward(y, ag.KeepGraph())
	if got := x.Grad.Values(); got[0] != 4 || got[1] != 8 {
		t.Fatalf("accumulated grad %v, want [4 8]", got)
	}
	if got := h.Grad.Values(); got[0] != 1 || got[1] != 1 {
		t.Fatalf("intermediate grad %v, want [1 1]", got)
	}
	ag.ZeroGrad(x)
	ag.Backward(y)
	if got := x.Grad.Values(); got[0] != 2 || got[1] != 4 {
		t.Fatalf("grad after ZeroGrad %v, want [2 4]", got)
	}
}

func TestBackwardWithoutParamsPanics(t *testing.T) {
	c := ag.Const(vec(1))
	mustPanic(t, "does not depend on any Var that requires a gradient", func() { ag.Backward(ag.Exp(c)) })
}

// A NoGrad graph records nothing computed from its Vars, even with
// parameters that require gradients; it changes nothing for other Vars.
func TestNoGradAndDetach(t *testing.T) {
	x := ag.Param(vec(1, 2))
	g := ag.NewGraph(ag.NoGrad)
	y := ag.Mul(ag.Mul(x, g.Const(vec(3, 4))), x)
	if y.RequiresGrad() || y.Gate() != nil || y.Graph() != g {
		t.Fatal("a gate of a NoGrad graph was recorded")
	}
	if got := y.Value.Values(); got[0] != 3 || got[1] != 16 {
		t.Fatalf("value %v, want [3 16]", got)
	}
	if z := ag.Mul(x, x); !z.RequiresGrad() || z.Gate() == nil {
		t.Fatal("a gate outside the NoGrad graph was not recorded")
	}
	if p := g.Param(vec(1)); p.RequiresGrad() {
		t.Fatal("a Param of a NoGrad graph requires a gradient")
	}
	d := ag.Detach(x)
	if d.RequiresGrad() || d.Value != x.Value {
		t.Fatal("Detach must share the value and require no gradient")
	}
	z := ag.Sum(ag.Mul(x, d), false) // gradient flows only through x
	ag.Backward(z)
	if got := x.Grad.Values(); got[0] != 1 || got[1] != 2 {
		t.Fatalf("grad %v, want [1 2]", got)
	}
}

// Broadcast inputs get gradients of their own shape, summed over the axes
// they were stretched along.
func TestBroadcastGradientIsReduced(t *testing.T) {
	w := ag.Param(tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3))
	b := ag.Param(vec(10, 20, 30))
	s := ag.Param(tensor.Scalar(tensor.Float64, 2))
	ag.Backward(ag.Mul(ag.Add(w, b), s))
	if !tensor.SameShape(b.Grad.Shape(), []int{3}) || b.Grad.Flat(0) != 4 {
		t.Fatalf("b.Grad %v %v, want [4 4 4]", b.Grad.Shape(), b.Grad)
	}
	if s.Grad.Dims() != 0 || s.Grad.Item() != 1+2+3+4+5+6+2*(10+20+30) {
		t.Fatalf("s.Grad %v", s.Grad)
	}
}

// A chain of a million gates back-propagates without growing the Go stack.
func TestDeepChain(t *testing.T) {
	x := ag.Param(tensor.Scalar(tensor.Float64, 1))
	y := x
	for i := 0; i < 1_000_000; i++ {
		y = ag.Neg(y)
	}
	ag.Backward(y)
	if x.Grad.Item() != 1 {
		t.Fatalf("grad %v, want 1 (an even number of negations)", x.Grad.Item())
	}
}

func TestFloat32Graph(t *testing.T) {
	x := ag.Param(tensor.FromSlice([]float32{0.5, -1}))
	y := ag.Sum(ag.Tanh(x), false)
	ag.Backward(y)
	if x.Grad.DType() != tensor.Float32 {
		t.Fatalf("grad dtype %v", x.Grad.DType())
	}
	if !tensor.AllClose(x.Grad.As(tensor.Float64), vec(0.7864477329659275, 0.41997434161402614), 1e-6, 0) {
		t.Fatalf("grad %v", x.Grad)
	}
}

func TestShapeMismatchPanicNamesOpAndShapes(t *testing.T) {
	a := ag.Param(tensor.Zeros(tensor.Float64, 2, 3))
	b := ag.Param(tensor.Zeros(tensor.Float64, 4))
	mustPanic(t, "tensor: Add: shapes [2 3] and [4] do not broadcast", func() { ag.Add(a, b) })
	mustPanic(t, "tensor: MatMul: shapes [2 3]·[2 3]", func() { ag.MatMul(a, a) })
}

// Graphs built and differentiated on several goroutines at once share the
// Var slabs and the Backward work list; each must still get its own
// gradients. Run with -race.
func TestConcurrentGraphs(t *testing.T) {
	const workers, rounds = 4, 200
	errs := make(chan string, workers)
	for w := range workers {
		go func() {
			for r := range rounds {
				v := float64(w*rounds + r)
				x := ag.Param(tensor.Scalar(tensor.Float64, v))
				y := ag.Mul(ag.Add(x, x), x) // 2x², dy/dx = 4x
				ag.Backward(y)
				if got := x.Grad.Item(); got != 4*v {
					errs <- fmt.Sprintf("worker %d round %d: grad %v, want %v", w, r, got, 4*v)
					return
				}
			}
			errs <- ""
		}()
	}
	for range workers {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}
