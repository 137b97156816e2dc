package ag_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// TestUsePackedWeights checks that a graph that records no gradients and
// multiplies through packed weights gives the bits of one that does not,
// for Linear and the recurrent gates, on one position of one sequence (a
// decoder's step), a few positions of a few, and more rows than are
// packed; a recording graph given packed weights gives the same bits too.
func TestUsePackedWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	const in, h = 10, 12
	wl, bl := tensor.Randn(rng, tensor.Float32, 20, in), tensor.Randn(rng, tensor.Float32, 20)
	type rec struct {
		name  string
		gates int
		f     func(x, h0, c0, wih, whh, bih, bhh *ag.Var) *ag.Var
	}
	recs := []rec{
		{"LSTM", 4, func(x, h0, c0, wih, whh, bih, bhh *ag.Var) *ag.Var {
			return ag.LSTM(x, h0, c0, wih, whh, bih, bhh, true)
		}},
		{"GRU", 3, func(x, h0, _, wih, whh, bih, bhh *ag.Var) *ag.Var { return ag.GRU(x, h0, wih, whh, bih, bhh, true) }},
		{"RNN", 1, func(x, h0, _, wih, whh, bih, bhh *ag.Var) *ag.Var { return ag.RNN(x, h0, wih, whh, bih, bhh, true) }},
	}
	packs := tensor.NewPackedWeights()
	for _, s := range [][2]int{{1, 1}, {2, 3}, {3, 5}} {
		n, tt := s[0], s[1]
		xt := tensor.Randn(rng, tensor.Float32, n, tt, in)
		for _, r := range recs {
			wih, whh := tensor.Randn(rng, tensor.Float32, r.gates*h, in), tensor.Randn(rng, tensor.Float32, r.gates*h, h)
			bih, bhh := tensor.Randn(rng, tensor.Float32, r.gates*h), tensor.Randn(rng, tensor.Float32, r.gates*h)
			h0, c0 := tensor.Randn(rng, tensor.Float32, n, h), tensor.Randn(rng, tensor.Float32, n, h)
			run := func(flags []ag.Flags, p *tensor.PackedWeights) (*tensor.Tensor, *tensor.Tensor) {
				g := ag.NewGraph(flags...)
				g.UsePackedWeights(p)
				x := g.Const(xt)
				y := r.f(x, g.Const(h0), g.Const(c0), g.Const(wih), g.Const(whh), g.Const(bih), g.Const(bhh))
				l := ag.Linear(ag.Reshape(x, n*tt, in), g.Const(wl), g.Const(bl))
				return y.Value.Clone(), l.Value.Clone()
			}
			for _, flags := range [][]ag.Flags{{ag.NoGrad}, nil} {
				what := fmt.Sprintf("%s, %d sequences of %d, flags %v", r.name, n, tt, flags)
				y0, l0 := run(flags, nil)
				for range 2 { // packing, then reusing
					y1, l1 := run(flags, packs)
					if !tensor.Equal(y1, y0) {
						t.Fatalf("%s: the recurrent output differs with packed weights", what)
					}
					if !tensor.Equal(l1, l0) {
						t.Fatalf("%s: Linear differs with packed weights", what)
					}
				}
			}
		}
	}
}
