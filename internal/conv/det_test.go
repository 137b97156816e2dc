package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// ops runs the four operations of g on the given data, returning their
// outputs: y, dx, dw (accumulated onto dw0) and db.
func ops[T Float](g *Geom, x, w, dy, dw0, bias []T) [][]T {
	y := make([]T, g.outLen())
	Forward(g, y, x, w, bias)
	dx := make([]T, g.inLen())
	BackwardData(g, dx, dy, w)
	dw := append([]T(nil), dw0...)
	BackwardWeight(g, dw, dy, x, true)
	db := make([]T, g.K)
	BackwardBias(g, db, dy, false)
	return [][]T{y, dx, dw, db}
}

func detGeoms() []Geom {
	return []Geom{
		{N: 5, C: 32, H: 26, W: 26, K: 64, R: 3, S: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1},
		{N: 3, C: 6, H: 14, W: 14, K: 16, R: 5, S: 5, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1},
		{N: 9, C: 4, H: 11, W: 9, K: 6, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 2},
		{N: 1, C: 16, H: 20, W: 30, K: 24, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1},
	}
}

// TestWorkersDoNotChangeResults checks that every operation gives the
// same bits on one worker and on two.
func TestWorkersDoNotChangeResults(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, g := range detGeoms() {
		x := conv[float32](data(rng, g.inLen(), false))
		w := conv[float32](data(rng, g.wLen(), false))
		dy := conv[float32](data(rng, g.outLen(), false))
		dw0 := conv[float32](data(rng, g.wLen(), false))
		b := conv[float32](data(rng, g.K, false))
		var res [2][][]float32
		for i, p := range []int{1, 2} {
			withProcs(p, func() { res[i] = ops(&g, x, w, dy, dw0, b) })
		}
		for o := range res[0] {
			for j := range res[0][o] {
				if math.Float32bits(res[0][o][j]) != math.Float32bits(res[1][o][j]) {
					t.Fatalf("%+v: output %d element %d: %v on 1 worker, %v on 2", g, o, j, res[0][o][j], res[1][o][j])
				}
			}
		}
	}
}

// TestConcurrentCalls runs the operations from several goroutines at
// once, each on its own data, and checks each against the same call made
// alone.
func TestConcurrentCalls(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	gs := detGeoms()
	type job struct {
		g                 Geom
		x, w, dy, dw0, db []float64
		want              [][]float64
	}
	var jobs []job
	for i := range 8 {
		g := gs[i%len(gs)]
		j := job{g: g, x: data(rng, g.inLen(), false), w: data(rng, g.wLen(), false),
			dy: data(rng, g.outLen(), false), dw0: data(rng, g.wLen(), false), db: data(rng, g.K, false)}
		j.want = ops(&j.g, j.x, j.w, j.dy, j.dw0, j.db)
		jobs = append(jobs, j)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(jobs))
	for r := range 3 {
		for i := range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j := &jobs[i]
				got := ops(&j.g, j.x, j.w, j.dy, j.dw0, j.db)
				for o := range got {
					for e := range got[o] {
						if got[o][e] != j.want[o][e] {
							errs <- fmt.Errorf("round %d job %d output %d element %d: %v, alone %v", r, i, o, e, got[o][e], j.want[o][e])
							return
						}
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
