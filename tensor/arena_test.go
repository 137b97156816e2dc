package tensor

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

func TestArenaRecycles(t *testing.T) {
	var a Arena
	x := a.New(Float32, 4, 5)
	x.Fill(3)
	s := a.Scalar(Float64, 2)
	if a.Live() != 2 || x.Arena() != &a || s.Arena() != &a {
		t.Fatalf("%d live tensors, arenas %p %p; want 2 in %p", a.Live(), x.Arena(), s.Arena(), &a)
	}
	outside := New(Float32, 4, 5) // not made in an arena: never recycled
	if outside.Arena() != nil {
		t.Fatal("New made a tensor in an arena")
	}
	a.Release()
	if a.Live() != 0 {
		t.Fatalf("%d live tensors after Release", a.Live())
	}
	y := a.New(Float32, 20)     // the same length as x: x's memory, zeroed
	z := a.Scalar(Float64, 0.5) // s's
	w := a.New(Float32, 4, 5)   // a new one: nothing free of this size is left
	if y != x || z != s || w == outside || w == x {
		t.Errorf("recycling: y==x %v, z==s %v, w==outside %v", y == x, z == s, w == outside)
	}
	if len(y.Shape()) != 1 || y.Dim(0) != 20 || sum0(y) != 0 || z.Item() != 0.5 {
		t.Errorf("recycled tensors: shape %v sum %v, scalar %v", y.Shape(), sum0(y), z.Item())
	}
}

// Results computed from an arena's tensors are made in it; results of
// ordinary tensors are not, whatever arenas exist.
func TestArenaTravelsWithTheData(t *testing.T) {
	var a Arena
	rng := rand.New(rand.NewPCG(1, 2))
	plain := Randn(rng, Float32, 3, 4)
	in := a.View(plain)
	if in == plain || in.Arena() != &a || &in.Float32s()[0] != &plain.Float32s()[0] {
		t.Fatal("View does not share the storage in the arena")
	}
	for name, r := range map[string]*Tensor{
		"Exp": Exp(in), "Add(plain, in)": Add(plain, in), "MatMul": MatMul(plain, in, false, true),
		"Sum": Sum(in, false, 0), "Reshape": in.Reshape(4, 3), "Slice": Slice(in, 1, 0, 2),
		"Concat": Concat(0, plain, in), "ZerosLike": ZerosLike(in), "NewLike": NewLike(in, 7),
		"ScalarLike": ScalarLike(in, 1), "Copy": in.Copy(), "As": in.As(Float64),
	} {
		if r.Arena() != &a {
			t.Errorf("%s of an arena tensor is not in the arena", name)
		}
	}
	for name, r := range map[string]*Tensor{
		"Exp": Exp(plain), "Clone": in.Clone(), "Reshape": plain.Reshape(12), "New": New(Float32, 3),
	} {
		if r.Arena() != nil {
			t.Errorf("%s is in an arena", name)
		}
	}
	// The view's storage is the caller's: Release does not recycle it.
	a.Release()
	if got := a.New(Float32, 3, 4); &got.Float32s()[0] == &plain.Float32s()[0] {
		t.Error("Release recycled the storage of a view")
	}
}

// TestArenaPoison fills what Release takes back with NaN, so that a stale
// tensor reads NaN and a stale view reads nothing.
func TestArenaPoison(t *testing.T) {
	var a Arena
	a.SetPoison(true)
	x := a.New(Float64, 3)
	x.Fill(1)
	v := x.Reshape(1, 3)
	a.Release()
	for _, e := range x.Values() {
		if !math.IsNaN(e) {
			t.Fatalf("stale tensor holds %v, want NaN", x.Values())
		}
	}
	if v.Len() != 0 {
		t.Fatalf("stale view has %d elements", v.Len())
	}
	// A recycled tensor that an operation overwrites is right all the same.
	y := Exp(a.View(FromSlice([]float64{0, 1, 2})))
	if y != x || !AllClose(y, FromSlice([]float64{1, math.E, math.E * math.E}), 1e-15, 0) {
		t.Fatalf("recycled result %v", y)
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
		x0, y0 := Randn(rng, dt, 6, 5), Randn(rng, dt, 5, 7)
		row0 := Randn(rng, dt, 5)
		ops := func(x, y, row *Tensor) []*Tensor {
			return []*Tensor{Exp(x), Add(x, row), Mul(x, x), MatMul(x, y, false, false),
				MatMul(NewLike(x, 6, 0), NewLike(x, 0, 7), false, false), Softmax(x, 1), x.Copy(),
				BiasReLU(x, row), ReLUBackward(x, x), Greater(x, row), Sum(x, false, 1)}
		}
		want := ops(x0, y0, row0)
		var a Arena
		for round := range 3 {
			got := ops(a.View(x0), a.View(y0), a.View(row0))
			for i := range got {
				if got[i].Arena() != &a {
					t.Fatalf("operation %d: result not in the arena", i)
				}
				if !Equal(got[i], want[i]) {
					t.Fatalf("%v round %d: operation %d gives %v in an arena, %v outside", dt, round, i, got[i], want[i])
				}
				got[i].Fill(float64(round) + 1e9) // garbage for the next round
			}
			a.Release()
		}
	}
}

// Arenas on different goroutines never share memory, and ordinary tensor
// math beside them is never captured (run with -race).
func TestArenasOnManyGoroutines(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var a Arena
			x := FromSlice([]float64{1.5, float64(g)})
			for range 200 {
				var y *Tensor
				if g%2 == 0 {
					y = Mul(a.View(x), a.View(x)) // in the arena
				} else {
					y = Mul(x, x) // ordinary memory
				}
				if y.Flat(0) != 2.25 || y.Flat(1) != float64(g*g) {
					t.Errorf("goroutine %d: %v", g, y)
					return
				}
				a.Release()
			}
		}()
	}
	wg.Wait()
}
