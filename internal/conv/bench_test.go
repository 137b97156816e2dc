package conv

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// layers are the convolutions of the benchmarks: LeNet-5's two and the
// PyTorch MNIST example's two.
var layers = []struct {
	name string
	g    Geom
}{
	{"lenet1", Geom{C: 1, H: 28, W: 28, K: 6, R: 5, S: 5, PadH: 2, PadW: 2}},
	{"lenet2", Geom{C: 6, H: 14, W: 14, K: 16, R: 5, S: 5}},
	{"mnist1", Geom{C: 1, H: 28, W: 28, K: 32, R: 3, S: 3}},
	{"mnist2", Geom{C: 32, H: 26, W: 26, K: 64, R: 3, S: 3}},
}

func layer(i, batch int) Geom {
	g := layers[i].g
	g.N, g.StrideH, g.StrideW, g.DilH, g.DilW, g.Groups = batch, 1, 1, 1, 1, 1
	return g
}

// BenchmarkConv measures the three products of every layer at batch 64
// and 256, float32, on 1 and 2 threads, in GFLOP/s of the product
// (2·N·K·OutH·OutW·C·R·S each).
func BenchmarkConv(b *testing.B) {
	for li := range layers {
		for _, batch := range []int{64, 256} {
			for _, op := range []string{"forward", "data", "weight"} {
				for _, threads := range []int{1, 2} {
					g := layer(li, batch)
					b.Run(fmt.Sprintf("%s/b=%d/%s/threads=%d", layers[li].name, batch, op, threads), func(b *testing.B) {
						benchOp[float32](b, &g, op, threads)
					})
				}
			}
		}
	}
}

func benchOp[T Float](b *testing.B, g *Geom, op string, threads int) {
	old := runtime.GOMAXPROCS(threads)
	defer runtime.GOMAXPROCS(old)
	rng := rand.New(rand.NewPCG(1, 2))
	x := conv[T](data(rng, g.inLen(), false))
	w := conv[T](data(rng, g.wLen(), false))
	y := conv[T](data(rng, g.outLen(), false))
	var f func()
	switch op {
	case "forward":
		f = func() { Forward(g, y, x, w, nil) }
	case "data":
		f = func() { BackwardData(g, x, y, w) }
	case "weight":
		f = func() { BackwardWeight(g, w, y, x, false) }
	}
	f()
	b.ReportAllocs()
	for b.Loop() {
		f()
	}
	b.ReportMetric(g.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
