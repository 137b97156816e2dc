package ag_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// refSeqCE is cross-entropy with ignored positions written as a plain
// float64 loop: loss and gradient, from the definition.
func refSeqCE(x []float64, targets []int, c, ignore int) (float64, []float64) {
	grad := make([]float64, len(x))
	loss, k := 0.0, 0
	for i, y := range targets {
		if y == ignore {
			continue
		}
		k++
		row := x[i*c : (i+1)*c]
		m := slices.Max(row)
		s := 0.0
		for _, v := range row {
			s += math.Exp(v - m)
		}
		loss -= row[y] - m - math.Log(s)
		for j, v := range row {
			grad[i*c+j] = math.Exp(v-m) / s
		}
		grad[i*c+y]--
	}
	for i := range grad {
		grad[i] /= float64(k)
	}
	return loss / float64(k), grad
}

func TestSoftmaxCrossEntropyIgnoreAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, tt, c = 3, 7, 11
	x := tensor.Randn(rng, tensor.Float64, n, tt, c)
	targets := make([]int, n*tt)
	for i := range targets {
		targets[i] = rng.IntN(c)
		if rng.IntN(3) == 0 {
			targets[i] = ag.IgnoreIndex
		}
	}
	wantLoss, wantGrad := refSeqCE(x.Values(), targets, c, ag.IgnoreIndex)
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
		tol := 1e-12
		if dt == tensor.Float32 {
			tol = 1e-5
		}
		v := ag.Param(x.As(dt))
		loss := ag.SoftmaxCrossEntropyIgnore(v, targets, ag.IgnoreIndex)
		if got := loss.Value.Item(); math.Abs(got-wantLoss) > tol*math.Abs(wantLoss) {
			t.Errorf("%v: loss %.17g, want %.17g", dt, got, wantLoss)
		}
		ag.Backward(loss)
		for i, g := range v.Grad.Values() {
			if math.Abs(g-wantGrad[i]) > tol {
				t.Fatalf("%v: grad[%d] = %g, want %g", dt, i, g, wantGrad[i])
			}
			if targets[i/c] == ag.IgnoreIndex && g != 0 {
				t.Fatalf("%v: ignored position %d got gradient %g", dt, i/c, g)
			}
		}
	}
}

// TestSoftmaxCrossEntropyIgnoreNothingIgnored checks that with no target
// ignored the sequence loss is SoftmaxCrossEntropy over the flattened
// positions, bit for bit, value and gradient.
func TestSoftmaxCrossEntropyIgnoreNothingIgnored(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := tensor.Randn(rng, tensor.Float32, 2, 5, 9)
	targets := []int{0, 8, 3, 3, 1, 7, 2, 0, 5, 4}
	a, b := ag.Param(x.Clone()), ag.Param(x.Reshape(10, 9).Clone())
	la := ag.SoftmaxCrossEntropyIgnore(a, targets, ag.IgnoreIndex)
	lb := ag.SoftmaxCrossEntropy(b, targets)
	if la.Value.Item() != lb.Value.Item() {
		t.Fatalf("loss %v, SoftmaxCrossEntropy's %v", la.Value.Item(), lb.Value.Item())
	}
	ag.Backward(la)
	ag.Backward(lb)
	if !slices.Equal(a.Grad.Values(), b.Grad.Values()) {
		t.Fatal("gradients differ from SoftmaxCrossEntropy's")
	}
}

func TestSoftmaxCrossEntropyIgnoreAllIgnored(t *testing.T) {
	v := ag.Param(tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3))
	loss := ag.SoftmaxCrossEntropyIgnore(v, []int{-100, -100}, -100)
	if !math.IsNaN(loss.Value.Item()) {
		t.Fatalf("loss %v, want NaN (0/0, as PyTorch)", loss.Value.Item())
	}
	ag.Backward(loss)
	for i, g := range v.Grad.Values() {
		if g != 0 {
			t.Fatalf("grad[%d] = %g, want 0", i, g)
		}
	}
}

func TestSoftmaxCrossEntropyIgnorePanics(t *testing.T) {
	v := ag.Param(tensor.New(tensor.Float64, 2, 3, 4))
	mustPanic(t, "SoftmaxCrossEntropyIgnore: logits [2 3 4] with 5 targets", func() {
		ag.SoftmaxCrossEntropyIgnore(v, []int{0, 1, 2, 3, 0}, -100)
	})
	mustPanic(t, "SoftmaxCrossEntropyIgnore: target 4 at position 2 out of range [0,4), and not the ignore index -100", func() {
		ag.SoftmaxCrossEntropyIgnore(v, []int{0, 1, 4, 3, 0, -100}, -100)
	})
	mustPanic(t, "SoftmaxCrossEntropyIgnore: target -100 at position 0 out of range [0,4), and not the ignore index 0", func() {
		ag.SoftmaxCrossEntropyIgnore(v, []int{-100, 1, 2, 3, 0, 1}, 0)
	})
}
