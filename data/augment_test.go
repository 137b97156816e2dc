package data

import (
	"math/rand/v2"
	"slices"
	"testing"

	"backprop/tensor"
)

// The transformations on a hand-made 3×4 image.
func TestTransform(t *testing.T) {
	src := []float64{
		1, 2, 3, 4,
		5, 6, 7, 8,
		9, 10, 11, 12,
	}
	for _, c := range []struct {
		dy, dx int
		flip   bool
		want   []float64
	}{
		{0, 0, false, src},
		{1, 0, false, []float64{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{-1, 0, false, []float64{5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0}},
		{0, 1, false, []float64{0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11}},
		{0, -2, false, []float64{3, 4, 0, 0, 7, 8, 0, 0, 11, 12, 0, 0}},
		{1, -1, false, []float64{0, 0, 0, 0, 2, 3, 4, 0, 6, 7, 8, 0}},
		{0, 0, true, []float64{4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9}},
		{-1, 1, true, []float64{0, 8, 7, 6, 0, 12, 11, 10, 0, 0, 0, 0}},
		{0, 4, false, make([]float64, 12)},
		{3, 0, true, make([]float64, 12)},
	} {
		// src has no zeros: every 0 of want is filled in.
		for _, fill := range []float64{0, -0.5} {
			want := slices.Clone(c.want)
			for i, v := range want {
				if v == 0 {
					want[i] = fill
				}
			}
			dst := slices.Repeat([]float64{-1}, 12)
			transform(dst, src, 3, 4, c.dy, c.dx, c.flip, fill)
			if !slices.Equal(dst, want) {
				t.Errorf("dy %d dx %d flip %v fill %v: %v, want %v", c.dy, c.dx, c.flip, fill, dst, want)
			}
		}
	}
}

// reference transforms one example as the documentation says, with its
// own copy of the random draws.
func reference(x []float64, c, h, w, shift int, flip bool, rng *rand.Rand) []float64 {
	dy, dx, f := 0, 0, false
	if shift > 0 {
		dy = rng.IntN(2*shift+1) - shift
		dx = rng.IntN(2*shift+1) - shift
	}
	if flip {
		f = rng.IntN(2) == 1
	}
	out := make([]float64, len(x))
	for ch := range c {
		for y := range h {
			for xx := range w {
				sy, sx := y-dy, xx-dx
				if sy < 0 || sy >= h || sx < 0 || sx >= w {
					continue
				}
				if f {
					sx = w - 1 - sx
				}
				out[(ch*h+y)*w+xx] = x[(ch*h+sy)*w+sx]
			}
		}
	}
	return out
}

func batchOf(rng *rand.Rand, dt tensor.DType, n int, shape []int) *tensor.Tensor {
	return tensor.Randn(rng, dt, n, shape[0]*shape[1]*shape[2])
}

// Every example is moved and flipped by the draws the documentation
// gives, every channel alike; the same seed gives the same batch.
func TestAugmenterFollowsItsDraws(t *testing.T) {
	shape := []int{2, 5, 6}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		for _, c := range []struct {
			shift int
			flip  bool
		}{{2, false}, {2, true}, {0, true}, {1, false}} {
			x := batchOf(rand.New(rand.NewPCG(1, 1)), dt, 7, shape)
			orig := x.Clone()
			a := NewAugmenter(shape, c.shift, c.flip, rand.New(rand.NewPCG(9, 9)))
			a.Apply(x)
			if !slices.Equal(x.Shape(), []int{7, 60}) {
				t.Fatalf("shape %v", x.Shape())
			}
			ref := rand.New(rand.NewPCG(9, 9))
			for i := range 7 {
				want := reference(tensor.Slice(orig, 0, i, i+1).Values(), 2, 5, 6, c.shift, c.flip, ref)
				if got := tensor.Slice(x, 0, i, i+1).Values(); !slices.Equal(got, want) {
					t.Errorf("%v shift %d flip %v: example %d\n%v\nwant\n%v", dt, c.shift, c.flip, i, got, want)
				}
			}
			// The generator is where the reference's is: the draws are
			// exactly the documented ones.
			if a.Rand.Uint64() != ref.Uint64() {
				t.Errorf("%v shift %d flip %v: the augmenter drew a different number of values", dt, c.shift, c.flip)
			}
		}
	}
}

// Over many draws every shift in [−2, 2]² and both flips occur, and
// nothing else; a seed determines the batch, and a restored source
// continues the same sequence.
func TestAugmenterDeterministicAndResumable(t *testing.T) {
	shape := []int{1, 9, 9}
	// A single bright pixel in the middle shows the shift and flip.
	x := tensor.New(tensor.Float32, 500, 81)
	for i := range 500 {
		x.Set(1, i, 4*9+3) // row 4, column 3: a flip moves it to column 5
	}
	src := rand.NewPCG(3, 4)
	a := ClothesAugmenter(shape, rand.New(src))
	a.Apply(x)
	seen := map[[2]int]bool{}
	for i := range 500 {
		row := tensor.Slice(x, 0, i, i+1).Values()
		at := slices.Index(row, 1)
		if at < 0 || slices.Index(row[at+1:], 1) >= 0 {
			t.Fatalf("example %d: the pixel is lost or doubled", i)
		}
		dy, col := at/9-4, at%9
		if dy < -2 || dy > 2 || col < 1 || col > 7 {
			t.Fatalf("example %d: the pixel moved to row %d column %d", i, at/9, col)
		}
		seen[[2]int{dy, col}] = true
	}
	if len(seen) != 5*7 { // columns 3±2 and 5±2: 1 … 7
		t.Errorf("%d of the 35 positions seen", len(seen))
	}
	// The same seed, the same batch; another seed, another.
	again := func(seed uint64) []float64 {
		y := batchOf(rand.New(rand.NewPCG(5, 5)), tensor.Float32, 20, shape)
		DigitAugmenter(shape, rand.New(rand.NewPCG(seed, 0))).Apply(y)
		return y.Values()
	}
	if !slices.Equal(again(1), again(1)) {
		t.Error("the same seed gave two batches")
	}
	if slices.Equal(again(1), again(2)) {
		t.Error("two seeds gave the same batch")
	}
	// Stop after one batch, save the source, continue elsewhere.
	b1 := batchOf(rand.New(rand.NewPCG(6, 6)), tensor.Float32, 20, shape)
	b2 := b1.Clone()
	src2 := rand.NewPCG(7, 7)
	whole := DigitAugmenter(shape, rand.New(src2))
	whole.Apply(b1.Clone())
	state, err := src2.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	whole.Apply(b1)
	src3 := rand.NewPCG(0, 0)
	if err := src3.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	DigitAugmenter(shape, rand.New(src3)).Apply(b2)
	if !slices.Equal(b1.Values(), b2.Values()) {
		t.Error("a restored source did not continue the same transformations")
	}
}

func TestAugmenterAllocatesNothingWhenWarm(t *testing.T) {
	shape := []int{1, 28, 28}
	x := batchOf(rand.New(rand.NewPCG(1, 1)), tensor.Float32, 64, shape)
	a := ClothesAugmenter(shape, rand.New(rand.NewPCG(2, 2)))
	a.Apply(x)
	if n := testing.AllocsPerRun(20, func() { a.Apply(x) }); n != 0 {
		t.Errorf("Apply allocates %v times per batch", n)
	}
}

func TestAugmenterPanics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, f := range []func(){
		func() { NewAugmenter([]int{784}, 2, false, rng) },
		func() { NewAugmenter([]int{1, 28, 28}, -1, false, rng) },
		func() { NewAugmenter([]int{1, 28, 28}, 2, false, nil) },
		func() { DigitAugmenter([]int{1, 28, 28}, rng).Apply(tensor.New(tensor.Float32, 2, 783)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		}()
	}
}

// A Dataset's example shape survives Subset, Head and Split.
func TestExampleShape(t *testing.T) {
	ds := seq(10, 4)
	if got := ds.ExampleShape(); !slices.Equal(got, []int{4}) {
		t.Errorf("flat: %v", got)
	}
	ds.Shape = []int{1, 2, 2}
	tr, val := ds.Split(3, rand.New(rand.NewPCG(1, 1)))
	for _, d := range []*Dataset{tr, val, ds.Head(2), ds.Subset([]int{1})} {
		if got := d.ExampleShape(); !slices.Equal(got, []int{1, 2, 2}) {
			t.Errorf("shape %v", got)
		}
	}
	ds.ExampleShape()[0] = 9
	if ds.Shape[0] != 1 {
		t.Error("ExampleShape returned the Dataset's own slice")
	}
}
