package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"backprop/tensor"
)

func seq(n, d int) *Dataset {
	x := tensor.New(tensor.Float32, n, d)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			x.Set(float64(i), i, j)
		}
		y[i] = i % 3
	}
	return New(x, y, 0)
}

func TestLoaderCoversEveryExampleOnce(t *testing.T) {
	ds := seq(10, 2)
	ld := NewLoader(ds, 4, rand.New(rand.NewPCG(1, 2)))
	if ld.Batches() != 3 {
		t.Fatalf("Batches = %d", ld.Batches())
	}
	var orders [][]int
	for epoch := 0; epoch < 2; epoch++ {
		ld.Reset()
		var seen []int
		var sizes []int
		for ld.Next() {
			x, y := ld.Batch()
			sizes = append(sizes, x.Dim(0))
			for i := 0; i < x.Dim(0); i++ {
				k := int(x.At(i, 1))
				if y[i] != k%3 {
					t.Fatalf("label %d for example %d", y[i], k)
				}
				seen = append(seen, k)
			}
		}
		if !slices.Equal(sizes, []int{4, 4, 2}) {
			t.Errorf("batch sizes %v", sizes)
		}
		orders = append(orders, slices.Clone(seen))
		slices.Sort(seen)
		for i, k := range seen {
			if k != i {
				t.Fatalf("epoch %d visited %v", epoch, seen)
			}
		}
	}
	if slices.Equal(orders[0], orders[1]) {
		t.Errorf("two epochs in the same order %v", orders[0])
	}
	// The same seed gives the same order.
	ld2 := NewLoader(ds, 4, rand.New(rand.NewPCG(1, 2)))
	ld2.Reset()
	var first []int
	for ld2.Next() {
		x, _ := ld2.Batch()
		for i := 0; i < x.Dim(0); i++ {
			first = append(first, int(x.At(i, 0)))
		}
	}
	if !slices.Equal(first, orders[0]) {
		t.Errorf("seeded order %v, then %v", orders[0], first)
	}
}

func TestLoaderNoShuffleAllocatesNothing(t *testing.T) {
	ds := seq(9, 3)
	ld := NewLoader(ds, 3, nil)
	allocs := testing.AllocsPerRun(10, func() {
		ld.Reset()
		for ld.Next() {
		}
	})
	if allocs != 0 {
		t.Errorf("an epoch allocates %v times", allocs)
	}
	ld.Reset()
	ld.Next()
	x, _ := ld.Batch()
	if x.At(2, 0) != 2 {
		t.Errorf("unshuffled batch %v", x)
	}
}

func TestSplit(t *testing.T) {
	ds := seq(10, 1)
	tr, va := ds.Split(3, nil)
	if tr.Len() != 7 || va.Len() != 3 || va.X.At(0, 0) != 7 {
		t.Errorf("split: %d/%d, first validation %v", tr.Len(), va.Len(), va.X.At(0, 0))
	}
	tr, va = ds.Split(3, rand.New(rand.NewPCG(3, 4)))
	var all []int
	for _, d := range []*Dataset{tr, va} {
		for i := 0; i < d.Len(); i++ {
			all = append(all, int(d.X.At(i, 0)))
		}
	}
	slices.Sort(all)
	if !slices.Equal(all, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("shuffled split lost examples: %v", all)
	}
}

func TestStandardize(t *testing.T) {
	ds := New(tensor.FromSlice([]float32{1, 3, 5, 7}, 2, 2), []int{0, 1}, 2)
	m, s := ds.Stats()
	if m != 4 || math.Abs(s-math.Sqrt(5)) > 1e-12 {
		t.Fatalf("stats %v %v", m, s)
	}
	ds.Standardize(m, s)
	m, s = ds.Stats()
	if math.Abs(m) > 1e-7 || math.Abs(s-1) > 1e-6 {
		t.Errorf("after Standardize: %v %v", m, s)
	}
}

func TestSpiral(t *testing.T) {
	a := Spiral(rand.New(rand.NewPCG(0, 0)), 100, 3)
	b := Spiral(rand.New(rand.NewPCG(0, 0)), 100, 3)
	if a.Len() != 300 || a.Features() != 2 || a.Classes != 3 || !tensor.Equal(a.X, b.X) {
		t.Fatalf("spiral: %d×%d, %d classes, seeded equal %v", a.Len(), a.Features(), a.Classes, tensor.Equal(a.X, b.X))
	}
	// Radii grow from 0 to 1 along each arm.
	r := func(i int) float64 { return math.Hypot(a.X.At(i, 0), a.X.At(i, 1)) }
	if r(0) != 0 || math.Abs(r(99)-1) > 1e-6 || a.Y[150] != 1 {
		t.Errorf("radii %v %v, label %d", r(0), r(99), a.Y[150])
	}
}

func TestBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	ds := Spiral(rng, 100, 3)
	if got, want := Bytes(ds.Len(), ds.Features()), int64(ds.X.Len()*4+len(ds.Y)*8); got != want {
		t.Errorf("Bytes(%d, %d) = %d, the spiral holds %d", ds.Len(), ds.Features(), got, want)
	}
	if got := Bytes(1<<62, 2); got != math.MaxInt64 {
		t.Errorf("Bytes(2⁶², 2) = %d, want math.MaxInt64", got)
	}
}

func TestSpiralSplitsAndSpread(t *testing.T) {
	tr, val := SpiralSplit(5, SpiralTrain, 10, 3), SpiralSplit(5, SpiralVal, 10, 3)
	if tr.Len() != 30 || tr.Classes != 3 || tr.X.At(7, 0) == val.X.At(7, 0) {
		t.Errorf("splits: %d examples, %d classes, train and validation share point 7: %v", tr.Len(), tr.Classes, tr.X.At(7, 0) == val.X.At(7, 0))
	}
	if again := SpiralSplit(5, SpiralTrain, 10, 3); again.X.At(7, 0) != tr.X.At(7, 0) {
		t.Error("the same seed and split gave another sample")
	}
	s := tr.Spread(6)
	if s.Len() != 6 || fmt.Sprint(s.Y) != "[0 0 1 1 2 2]" || s.X.At(1, 0) != tr.X.At(5, 0) {
		t.Errorf("Spread(6): labels %v", s.Y)
	}
	if tr.Spread(100).Len() != 30 {
		t.Error("Spread beyond the length does not keep every example")
	}
}
