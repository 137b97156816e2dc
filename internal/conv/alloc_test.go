//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only checked without it.

package conv

import (
	"math/rand/v2"
	"testing"
)

// TestNoAllocations checks that warm calls allocate nothing, on one
// worker and on two.
func TestNoAllocations(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, g := range detGeoms() {
		x := conv[float32](data(rng, g.inLen(), false))
		w := conv[float32](data(rng, g.wLen(), false))
		dy := conv[float32](data(rng, g.outLen(), false))
		y, dx, dw, db := make([]float32, g.outLen()), make([]float32, g.inLen()), make([]float32, g.wLen()), make([]float32, g.K)
		for _, p := range []int{1, 2} {
			withProcs(p, func() {
				for name, f := range map[string]func(){
					"Forward":        func() { Forward(&g, y, x, w, db) },
					"BackwardData":   func() { BackwardData(&g, dx, dy, w) },
					"BackwardWeight": func() { BackwardWeight(&g, dw, dy, x, true) },
					"BackwardBias":   func() { BackwardBias(&g, db, dy, true) },
				} {
					f()
					if n := testing.AllocsPerRun(10, f); n != 0 {
						t.Errorf("%+v: %s allocates %v times per call on %d workers", g, name, n, p)
					}
				}
			})
		}
	}
}
