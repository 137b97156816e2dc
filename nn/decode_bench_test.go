package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// BenchmarkSample generates 127 bytes after a one-byte prompt with the
// presets lstm and gpt (random weights, context 128), as backprop sample
// does, and reports bytes per second: "cached" through a Decoder, which
// runs one new position per byte (a transformer's keys and values cached,
// a recurrent layer's states carried), and "full" by running the whole
// sequence so far through the network for every byte, as a model without
// a cache must.
func BenchmarkSample(b *testing.B) {
	const n = 128
	for _, preset := range []string{"lstm", "gpt"} {
		text, _ := Preset(preset)
		net, err := MustParseArch(text).Build([]int{n}, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			b.Fatal(err)
		}
		m, err := NewModel(net, []int{n}, Standardization{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		m.SetTraining(false)
		b.Run(fmt.Sprintf("%s/cached", preset), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			for b.Loop() {
				d, err := NewDecoder(m)
				if err != nil {
					b.Fatal(err)
				}
				logits := d.Feed('f')
				for range n - 1 {
					logits = d.Feed(Sample(logits, 0.8, 40, rng))
				}
			}
			b.ReportMetric(float64((n-1)*b.N)/b.Elapsed().Seconds(), "bytes/s")
		})
		b.Run(fmt.Sprintf("%s/full", preset), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			g := ag.NewGraph(ag.NoGrad)
			ids := make([]float32, 0, n)
			for b.Loop() {
				ids = append(ids[:0], 'f')
				for len(ids) < n {
					g.Reset()
					y := m.Forward(g.Const(tensor.FromSlice(ids, 1, len(ids)))).Value
					c := y.Dim(2)
					logits := make([]float64, c)
					for i := range logits {
						logits[i] = y.Flat((len(ids)-1)*c + i)
					}
					ids = append(ids, float32(Sample(logits, 0.8, 40, rng)))
				}
			}
			b.ReportMetric(float64((n-1)*b.N)/b.Elapsed().Seconds(), "bytes/s")
		})
	}
}
