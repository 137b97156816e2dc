package tensor

import (
	"math/rand/v2"
	"testing"
)

func TestArenaRecycles(t *testing.T) {
	var a Arena
	a.Begin()
	x := Full(Float32, 3, 4, 5)
	s := Scalar(Float64, 2)
	a.End()
	if a.Live() != 2 {
		t.Fatalf("%d live tensors, want 2", a.Live())
	}
	outside := New(Float32, 4, 5) // no arena active: not recycled
	a.Release()
	a.Begin()
	y := New(Float32, 20)     // the same length as x: x's memory, zeroed
	z := Scalar(Float64, 0.5) // s's
	w := New(Float32, 4, 5)   // a new one: nothing free of this size is left
	a.End()
	if y != x || z != s || w == outside {
		t.Errorf("recycling: y==x %v, z==s %v, w==outside %v", y == x, z == s, w == outside)
	}
	if len(y.Shape()) != 1 || y.Dim(0) != 20 || sum0(y) != 0 || z.Item() != 0.5 {
		t.Errorf("recycled tensors: shape %v sum %v, scalar %v", y.Shape(), sum0(y), z.Item())
	}
	a.Release()
	if ActiveArena() != nil {
		t.Error("an arena is still active")
	}
}

// sum0 returns the sum of the elements of t.
func sum0(t *Tensor) float64 {
	s := 0.0
	for _, v := range t.Values() {
		s += v
	}
	return s
}

// TestArenaResultsAreRight checks the operations whose results are not
// zeroed when recycled (they write every element) against the same
// operations outside an arena, with recycled memory full of garbage.
func TestArenaResultsAreRight(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, dt := range []DType{Float32, Float64} {
		x, y := Randn(rng, dt, 6, 5), Randn(rng, dt, 5, 7)
		row := Randn(rng, dt, 5)
		ops := func() []*Tensor {
			return []*Tensor{Exp(x), Add(x, row), Mul(x, x), MatMul(x, y, false, false),
				MatMul(New(dt, 6, 0), New(dt, 0, 7), false, false), Softmax(x, 1), x.Clone(),
				BiasReLU(x, row), ReLUBackward(x, x), Greater(x, row)}
		}
		want := ops()
		var a Arena
		for round := range 3 {
			a.Begin()
			got := ops()
			a.End()
			for i := range got {
				if !Equal(got[i], want[i]) {
					t.Fatalf("%v round %d: operation %d gives %v in an arena, %v outside", dt, round, i, got[i], want[i])
				}
				got[i].Fill(float64(round) + 1e9) // garbage for the next round
			}
			a.Release()
		}
	}
}

func TestArenaMisuse(t *testing.T) {
	var a, b Arena
	a.Begin()
	defer a.End()
	for _, f := range []func(){b.Begin, b.End} {
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
