package ag_test

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

func TestEmbeddingLooksUpRows(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		w := tensor.FromSlice([]float64{0, 1, 10, 11, 20, 21, 30, 31}, 4, 2).As(dt)
		y := ag.Embedding(ag.Const(w), []int{3, 0, 3, 2, 1, 1}, 2, 3)
		if got := y.Value.Shape(); !slices.Equal(got, []int{2, 3, 2}) {
			t.Fatalf("%v: shape %v, want [2 3 2]", dt, got)
		}
		want := []float64{30, 31, 0, 1, 30, 31, 20, 21, 10, 11, 10, 11}
		if got := y.Value.Values(); !slices.Equal(got, want) {
			t.Errorf("%v: values %v, want %v", dt, got, want)
		}
		if got := ag.Embedding(ag.Const(w), []int{2}).Value.Shape(); !slices.Equal(got, []int{1, 2}) {
			t.Errorf("%v: one index without a shape: %v, want [1 2]", dt, got)
		}
	}
}

// TestEmbeddingGradient checks the scatter-add against sums written out,
// both into a fresh gradient and added to one a previous pass left (the
// gate writes straight into the weight's buffer).
func TestEmbeddingGradient(t *testing.T) {
	for _, d := range []int{3, 80} { // short rows and rows for the kernels
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
			rng := rand.New(rand.NewPCG(1, uint64(d)))
			w := ag.Param(tensor.Randn(rng, dt, 5, d))
			idx := []int{4, 0, 4, 1, 0, 4}
			up := tensor.Randn(rng, dt, 2, 3, d)
			want := make([]float64, 5*d)
			for p, ix := range idx {
				for j := range d {
					want[ix*d+j] += up.Flat(p*d + j)
				}
			}
			for pass := 1; pass <= 2; pass++ {
				ag.Backward(ag.Embedding(w, idx, 2, 3), ag.Seed(up))
				for i, v := range w.Grad.Values() {
					if math.Abs(v-float64(pass)*want[i]) > 1e-5 {
						t.Fatalf("d %d %v pass %d: grad[%d] = %g, want %g", d, dt, pass, i, v, float64(pass)*want[i])
					}
				}
			}
			for j := range d {
				if g := w.Grad.Flat(2*d + j); g != 0 { // rows 2 and 3 are never looked up
					t.Fatalf("d %d %v: row 2 got gradient %g", d, dt, g)
				}
			}
		}
	}
}

// TestEmbeddingPadding checks PyTorch's padding_idx: the padding row is
// looked up like any other but gets no gradient, the others get theirs.
func TestEmbeddingPadding(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	idx := []int{1, 0, 1, 3, 0}
	for _, pad := range []int{1, -3} { // −3 of 4 rows is row 1
		w := ag.Param(tensor.Randn(rng, tensor.Float64, 4, 2))
		plain := ag.Param(w.Value.Clone())
		y := ag.EmbeddingPadded(w, idx, pad)
		if !slices.Equal(y.Value.Values(), ag.Embedding(plain, idx).Value.Values()) {
			t.Fatalf("padding %d: the lookup differs from Embedding's", pad)
		}
		up := tensor.Randn(rng, tensor.Float64, 5, 2)
		ag.Backward(y, ag.Seed(up))
		ag.Backward(ag.Embedding(plain, idx), ag.Seed(up))
		for i := range 8 {
			got, other := w.Grad.Flat(i), plain.Grad.Flat(i)
			switch {
			case i/2 == 1 && got != 0:
				t.Errorf("padding %d: padding row element %d got gradient %g", pad, i, got)
			case i/2 == 1 && other == 0:
				t.Errorf("padding %d: without padding, row 1 should get a gradient", pad)
			case i/2 != 1 && got != other:
				t.Errorf("padding %d: element %d got %g, want %g", pad, i, got, other)
			}
		}
	}
}

func TestEmbeddingPanics(t *testing.T) {
	w := ag.Param(tensor.New(tensor.Float32, 5, 3))
	mustPanic(t, "ag: Embedding: index 7 at position 1 out of range [0,5) of weight [5 3]", func() {
		ag.Embedding(w, []int{0, 7})
	})
	mustPanic(t, "ag: Embedding: index -1 at position 0 out of range [0,5)", func() {
		ag.Embedding(w, []int{-1})
	})
	mustPanic(t, "ag: Embedding: 3 indices in shape [2 2], weight [5 3]", func() {
		ag.Embedding(w, []int{0, 1, 2}, 2, 2)
	})
	mustPanic(t, "ag: Embedding: weight [5 3 1]: want [V D]", func() {
		ag.Embedding(ag.Param(tensor.New(tensor.Float32, 5, 3, 1)), []int{0})
	})
	mustPanic(t, "ag: Embedding: padding index 5 out of range", func() {
		ag.EmbeddingPadded(w, []int{0}, 5)
	})
	mustPanic(t, "ag: Embedding: padding index -6 out of range", func() {
		ag.EmbeddingPadded(w, []int{0}, -6)
	})
}

// TestEmbeddingOfJoinsTheIndicesGraph: a model's table belongs to no
// graph, the batch of indices to the step's; the lookup and everything
// after it compute in the step's graph, with its flags.
func TestEmbeddingOfJoinsTheIndicesGraph(t *testing.T) {
	w := ag.Param(tensor.FromSlice([]float32{0, 1, 10, 11, 20, 21}, 3, 2))
	ids := tensor.FromSlice([]float32{2, 0, 2, 1}, 2, 2)
	g := ag.NewGraph(0)
	y := ag.EmbeddingOf(w, g.Const(ids), ag.NoPadding)
	if y.Graph() != g || !y.RequiresGrad() {
		t.Fatalf("graph %p (want %p), requires grad %v", y.Graph(), g, y.RequiresGrad())
	}
	if want := []float64{20, 21, 0, 1, 20, 21, 10, 11}; !slices.Equal(y.Value.Values(), want) || !slices.Equal(y.Shape(), []int{2, 2, 2}) {
		t.Fatalf("%v %v", y.Shape(), y.Value.Values())
	}
	ag.Backward(ag.Sum(y, false))
	if want := []float64{1, 1, 1, 1, 2, 2}; !slices.Equal(w.Grad.Values(), want) {
		t.Errorf("grad %v, want %v", w.Grad.Values(), want)
	}
	g.Reset()
	off := ag.NewGraph(ag.NoGrad)
	if y := ag.EmbeddingOf(w, off.Const(ids), 0); y.Graph() != off || y.RequiresGrad() || y.Gate() != nil {
		t.Errorf("under NoGrad: graph %p, requires grad %v, gate %v", y.Graph(), y.RequiresGrad(), y.Gate())
	}
	mustPanic(t, "ag: Embedding: id 1.5 at position 1 of [3] is not an index in [0,3) of weight [3 2]", func() {
		ag.EmbeddingOf(w, ag.Const(tensor.FromSlice([]float32{0, 1.5, 2})), ag.NoPadding)
	})
	mustPanic(t, "ag: Embedding: id 3 at position 0 of [1] is not an index in [0,3)", func() {
		ag.EmbeddingOf(w, ag.Const(tensor.FromSlice([]float32{3})), ag.NoPadding)
	})
	mustPanic(t, "ag: Embedding: padding index -4 out of range", func() {
		ag.EmbeddingOf(w, ag.Const(ids), -4)
	})
}

// A warm forward of EmbeddingOf in a recycling graph takes its output
// from the graph's memory and allocates none the size of the output: only
// the gate's few small pieces (its indices among them).
func TestEmbeddingOfAllocatesNoOutput(t *testing.T) {
	const v, d, n = 8, 1024, 256 // an output of 1 MiB
	w := ag.Param(tensor.Ones(tensor.Float32, v, d))
	ids := tensor.New(tensor.Float32, 1, n)
	g := ag.NewGraph(ag.NoGrad)
	step := func() { g.Reset(); ag.EmbeddingOf(w, g.Const(ids), ag.NoPadding) }
	step()
	var m1, m2 runtime.MemStats
	runtime.ReadMemStats(&m1)
	const steps = 10
	for range steps {
		step()
	}
	runtime.ReadMemStats(&m2)
	if b := (m2.TotalAlloc - m1.TotalAlloc) / steps; b > n*d*4/8 {
		t.Errorf("a warm forward allocates %d bytes, the output is %d", b, n*d*4)
	}
}
