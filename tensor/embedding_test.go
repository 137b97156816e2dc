package tensor_test

import (
	"slices"
	"testing"

	"backprop/tensor"
)

func TestEmbeddingToAndAddTo(t *testing.T) {
	for _, d := range []int{2, 70} { // plain loops and the kernels' rows
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
			w := tensor.New(dt, 3, d)
			for i := range w.Len() {
				w.SetFlat(i, float64(i))
			}
			idx := []int{2, 0, 2, 1}
			y := tensor.EmbeddingTo(tensor.New(dt, 2, 2, d), w, idx)
			for p, ix := range idx {
				for j := range d {
					if got := y.Flat(p*d + j); got != float64(ix*d+j) {
						t.Fatalf("d %d %v: y[%d,%d] = %g, want %d", d, dt, p, j, got, ix*d+j)
					}
				}
			}
			dw := tensor.New(dt, 3, d).Fill(1)
			tensor.EmbeddingAddTo(dw, y, idx, 1)
			for v := range 3 {
				for j := range d {
					want := 1.0
					switch v {
					case 0:
						want += float64(j)
					case 2:
						want += 2 * float64(2*d+j)
					}
					if got := dw.Flat(v*d + j); got != want {
						t.Fatalf("d %d %v: dw[%d,%d] = %g, want %g (row 1 is skipped)", d, dt, v, j, got, want)
					}
				}
			}
		}
	}
}

func TestEmbeddingAllocatesNothing(t *testing.T) {
	w := tensor.New(tensor.Float32, 256, 64)
	idx := []int{3, 255, 0, 3, 17, 200}
	y := tensor.New(tensor.Float32, 2, 3, 64)
	dw := tensor.New(tensor.Float32, 256, 64)
	if n := testing.AllocsPerRun(20, func() { tensor.EmbeddingTo(y, w, idx) }); n != 0 {
		t.Errorf("EmbeddingTo: %v allocations", n)
	}
	if n := testing.AllocsPerRun(20, func() { tensor.EmbeddingAddTo(dw, y, idx, -1) }); n != 0 {
		t.Errorf("EmbeddingAddTo: %v allocations", n)
	}
}

func TestEmbeddingPanicsNameIndexAndV(t *testing.T) {
	defer func() {
		r := recover()
		e, ok := r.(*tensor.Error)
		if !ok || !slices.Contains([]string{"tensor: Embedding: index 9 (position 1) out of range [0,4) of weight [4 2]"}, e.Error()) {
			t.Fatalf("panic %v", r)
		}
	}()
	tensor.EmbeddingTo(tensor.New(tensor.Float64, 2, 2), tensor.New(tensor.Float64, 4, 2), []int{0, 9})
}
