package train

import (
	"math/rand/v2"
	"testing"

	"backprop/ag"
	"backprop/dist"
	"backprop/nn"
	"backprop/tensor"
)

// The buckets of the MNIST MLP, and a data-parallel step over one rank:
// the gradients are those of a plain step, bit for bit, and every bucket
// but the one of the first layer's weights is handed to the communication
// goroutine while Backward still has gates to run.
func TestBucketsAndOverlap(t *testing.T) {
	spec := nn.Spec{Sizes: []int{784, 512, 256, 10}, Activation: "relu"}
	x := tensor.Randn(rand.New(rand.NewPCG(1, 1)), tensor.Float32, 32, 784)
	y := make([]int, 32)
	for i := range y {
		y[i] = i % 10
	}
	for _, c := range []struct {
		bucketBytes int
		buckets     [][]int // parameters, by index: 0.weight 0.bias 2.weight 2.bias 4.weight 4.bias
	}{
		// 1 MiB for the first, then 4 MiB: 0.weight (1.5 MiB) has one of its own.
		{0, [][]int{{5, 4, 3, 2, 1}, {0}}},
		{1, [][]int{{5}, {4}, {3}, {2}, {1}, {0}}},
		{1 << 30, [][]int{{5, 4, 3, 2, 1}, {0}}},
	} {
		plain := nn.MLP(spec, rand.New(rand.NewPCG(2, 2)))
		par := nn.MLP(spec, rand.New(rand.NewPCG(2, 2)))
		g := ag.NewGraph()
		logits, loss := forwardStep(plain, g, x, y, nn.SoftmaxCrossEntropy, 1e-3, nn.Weights(plain))
		want, wantCorrect := loss.Item(), Correct(logits.Value, y)
		ag.Backward(loss)

		d := newDataParallel(dist.Single(), par, nn.Vars(par), c.bucketBytes)
		if len(d.buckets) != len(c.buckets) {
			t.Fatalf("BucketBytes %d: %d buckets, want %d", c.bucketBytes, len(d.buckets), len(c.buckets))
		}
		for b, bk := range d.buckets {
			if !equalInts(bk.params, c.buckets[b]) {
				t.Errorf("BucketBytes %d: bucket %d holds %v, want %v", c.bucketBytes, b, bk.params, c.buckets[b])
			}
		}
		g2 := ag.NewGraph()
		for range 2 { // the second step reuses the gradient buffers
			g2.Reset()
			ag.ZeroGrad(nn.Vars(par)...)
			r, err := d.step(g2, x, y, nn.SoftmaxCrossEntropy, Config{L2: 1e-3}, nn.Weights(par))
			if err != nil {
				t.Fatal(err)
			}
			if r.loss != want || r.correct != wantCorrect || r.stop {
				t.Errorf("BucketBytes %d: step %+v, want loss %v, %d correct", c.bucketBytes, r, want, wantCorrect)
			}
		}
		d.close()
		for i, p := range nn.Vars(par) {
			if !tensor.Equal(p.Grad, nn.Vars(plain)[i].Grad) {
				t.Errorf("BucketBytes %d: parameter %d: gradient differs from a plain step's", c.bucketBytes, i)
			}
		}
		if d.early != len(c.buckets)-1 {
			t.Errorf("BucketBytes %d: %d of %d buckets handed over before Backward's last gate, want all but the last", c.bucketBytes, d.early, len(c.buckets))
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
