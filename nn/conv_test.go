package nn

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// smallCNN is Unflatten → Conv2d → BatchNorm → ReLU → MaxPool → Flatten →
// Linear, over 1×8×8 images.
func smallCNN(rng *rand.Rand) *Sequential {
	return NewSequential(
		Unflatten{Shape: []int{1, 8, 8}},
		NewConv2d(rng, 1, 4, [2]int{3, 3}, tensor.ConvParams{Padding: [2]int{1, 1}}, true, nil),
		NewBatchNorm(4, true),
		ReLU{},
		MaxPool2d{P: tensor.PoolParams{Kernel: [2]int{2, 2}}},
		Flatten{},
		NewLinear(rng, 64, 3, nil),
	)
}

func TestCNNModule(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := smallCNN(rng)
	var names []string
	for _, p := range StateDict(m) {
		names = append(names, p.Name)
	}
	want := []string{"1.weight", "1.bias", "2.weight", "2.bias", "6.weight", "6.bias",
		"2.running_mean", "2.running_var", "2.num_batches_tracked"}
	if !slices.Equal(names, want) {
		t.Fatalf("state_dict names %v, want %v", names, want)
	}
	x := tensor.Randn(rng, tensor.Float32, 5, 64)
	y := m.Forward(ag.Const(x))
	if !slices.Equal(y.Shape(), []int{5, 3}) {
		t.Fatalf("output shape %v", y.Shape())
	}
	ag.Backward(SoftmaxCrossEntropy(y, []int{0, 1, 2, 0, 1}))
	for _, p := range m.Parameters() {
		if p.Var.Grad == nil {
			t.Errorf("%s has no gradient", p.Name)
		}
	}
	bn := m.Layers[2].(*BatchNorm)
	if bn.NumBatchesTracked.Item() != 1 {
		t.Errorf("num_batches_tracked = %v after one training batch", bn.NumBatchesTracked.Item())
	}
	// The running statistics moved 10% of the way to the batch's: the
	// batch statistics of the convolution's output, recomputed here.
	conv := m.Layers[1].Forward(m.Layers[0].Forward(ag.Const(x))).Value
	for c := range 4 {
		var vals []float64
		for n := range 5 {
			vals = append(vals, tensor.Slice(tensor.Slice(conv, 0, n, n+1), 1, c, c+1).Values()...)
		}
		mean, sq := 0.0, 0.0
		for _, v := range vals {
			mean += v
		}
		mean /= float64(len(vals))
		for _, v := range vals {
			sq += (v - mean) * (v - mean)
		}
		unbiased := sq / float64(len(vals)-1)
		if got := bn.RunningMean.Flat(c); math.Abs(got-0.1*mean) > 1e-5 {
			t.Errorf("running mean %d: %v, want %v", c, got, 0.1*mean)
		}
		if got := bn.RunningVar.Flat(c); math.Abs(got-(0.9+0.1*unbiased)) > 1e-4 {
			t.Errorf("running var %d: %v, want %v", c, got, 0.9+0.1*unbiased)
		}
	}
	// Evaluation uses the running statistics: a single example gives the
	// same output alone as in a batch.
	m.SetTraining(false)
	all := m.Forward(ag.Const(x)).Value
	one := m.Forward(ag.Const(tensor.Slice(x, 0, 2, 3))).Value
	if !tensor.AllClose(one, tensor.Slice(all, 0, 2, 3), 1e-6, 1e-6) {
		t.Errorf("evaluation depends on the batch: %v vs %v", one, tensor.Slice(all, 0, 2, 3))
	}

	// The state, buffers included, survives a safetensors round trip.
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, StateDict(m), nil); err != nil {
		t.Fatal(err)
	}
	st, err := ReadSafetensors(bytes.NewReader(buf.Bytes()), "cnn")
	if err != nil {
		t.Fatal(err)
	}
	m2 := smallCNN(rand.New(rand.NewPCG(9, 9)))
	if err := st.Load(m2); err != nil {
		t.Fatal(err)
	}
	m2.SetTraining(false)
	if got := m2.Forward(ag.Const(x)).Value; !tensor.Equal(got, all) {
		t.Errorf("the reloaded model computes %v, the saved one %v", got, all)
	}
}

func TestNormModules(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := tensor.Randn(rng, tensor.Float32, 2, 4, 3, 3)
	for name, m := range map[string]Module{
		"layer": NewLayerNorm([]int{3, 3}, true), "group": NewGroupNorm(2, 4, true),
		"batch1d": NewBatchNorm(4, false),
	} {
		in := x
		if name == "batch1d" {
			in = x.Reshape(2, 4, 9)
		}
		y := m.Forward(ag.Const(in)).Value
		if !tensor.SameShape(y.Shape(), in.Shape()) {
			t.Errorf("%s: shape %v", name, y.Shape())
		}
		// Normalised: mean about 0 over what was normalised.
		if mean := tensor.Mean(y, false).Item(); math.Abs(mean) > 1e-5 {
			t.Errorf("%s: mean %v", name, mean)
		}
	}
}
