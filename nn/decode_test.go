package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// decoderModel builds a small sequence model of arch for windows of t.
func decoderModel(t *testing.T, arch string, win int) *Model {
	t.Helper()
	net, err := MustParseArch(arch).Build([]int{win}, rand.New(rand.NewPCG(4, 5)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(net, []int{win}, Standardization{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Decoding a sequence a position at a time, from a prompt of several
// positions on, gives at every position the logits that the whole
// sequence's forward pass gives there.
func TestDecoderMatchesFullForward(t *testing.T) {
	ids := []int{'f', 'u', 'n', 'c', ' ', 'm', 'a', 'i', 'n', '(', ')', ' '}
	for _, arch := range []string{
		"embed(8) lstm(12,layers=2) linear(256)",
		"embed(8) gru(6) rnn(5) tanh linear(256)",
		"embed(8) posembed(16) block(2) block(4,hidden=12) layernorm(axes=1) linear(256)",
		"embed(8) sinpos block(2,dropout=0.2) gelu linear(256)",
	} {
		m := decoderModel(t, arch, 16)
		m.SetTraining(false)
		v := make([]float32, len(ids))
		for i, id := range ids {
			v[i] = float32(id)
		}
		full := m.Net.Forward(ag.NewGraph(ag.NoGrad).Const(tensor.FromSlice(v, 1, len(ids)))).Value
		d, err := NewDecoder(m)
		if err != nil {
			t.Fatal(err)
		}
		check := func(pos int, got []float64) {
			for c := range got {
				if w := full.Flat(pos*256 + c); math.Abs(got[c]-w) > 1e-4 {
					t.Fatalf("%s: position %d, logit %d: %v, full pass %v", arch, pos, c, got[c], w)
				}
			}
		}
		check(4, d.Feed(ids[:5]...))
		for p := 5; p < len(ids); p++ {
			check(p, d.Feed(ids[p]))
		}
	}
}

// Past its context a transformer's decoder starts again from the last
// half of the context: the logits are those of a fresh pass over it.
func TestDecoderSlidesPastTheContext(t *testing.T) {
	m := decoderModel(t, "embed(8) posembed(6) block(2) linear(256)", 6)
	d, err := NewDecoder(m)
	if err != nil {
		t.Fatal(err)
	}
	ids := []int{1, 2, 3, 4, 5, 6, 7}
	d.Feed(ids[:6]...)
	got := d.Feed(ids[6])
	fresh, _ := NewDecoder(m)
	want := fresh.Feed(5, 6, 7)
	for c := range got {
		if math.Abs(got[c]-want[c]) > 1e-5 {
			t.Fatalf("logit %d: %v, a fresh pass over the last half %v", c, got[c], want[c])
		}
	}
}

func TestDecoderRefuses(t *testing.T) {
	m := decoderModel(t, "embed(8) layernorm linear(256)", 4)
	if _, err := NewDecoder(m); err == nil || err.Error() != "nn: NewDecoder: layer 1, layernorm, cannot run a position at a time" {
		t.Errorf("got %v", err)
	}
	net, err := MustParseArch("linear(3)").Build([]int{4}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	img, err := NewModel(net, []int{4}, Standardization{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewDecoder(img); err == nil || !strings.Contains(err.Error(), "is not a sequence model") {
		t.Errorf("got %v", err)
	}
}

// Sample draws from the tempered softmax of the top k logits alone, and
// takes the largest at temperature 0.
func TestSample(t *testing.T) {
	logits := []float64{0, 3, 1, 2.5, -1}
	if k := Sample(logits, 0, 0, nil); k != 1 {
		t.Errorf("temperature 0: %d, want 1", k)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, len(logits))
	const n = 20000
	for range n {
		counts[Sample(logits, 0.5, 2, rng)]++
	}
	if counts[0]+counts[2]+counts[4] != 0 {
		t.Errorf("top-2 drew outside the top 2: %v", counts)
	}
	// p(1)/p(3) = exp((3−2.5)/0.5) = e.
	if r := float64(counts[1]) / float64(counts[3]); math.Abs(r-math.E) > 0.15 {
		t.Errorf("ratio %.3f, want e", r)
	}
	a, b := rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(7, 7))
	for range 100 {
		if Sample(logits, 1, 0, a) != Sample(logits, 1, 0, b) {
			t.Fatal("the same seed drew differently")
		}
	}
}

// Four goroutines decode with decoders of one shared model, left in
// training mode with dropout in its layers: each gets the logits of the
// model's evaluation-mode forward pass, and the model stays as it was
// (go test -race checks that the decoders only read it).
func TestConcurrentDecoders(t *testing.T) {
	ids := []int{'p', 'a', 'c', 'k', 'a', 'g', 'e', ' ', 'm'}
	for _, arch := range []string{
		"embed(8) lstm(12,layers=2,dropout=0.5) dropout(0.5) linear(256)",
		"embed(8) posembed(16) block(2,dropout=0.3) dropout(0.3) linear(256)",
	} {
		m := decoderModel(t, arch, 16)
		m.SetTraining(false)
		v := make([]float32, len(ids))
		for i, id := range ids {
			v[i] = float32(id)
		}
		full := m.Net.Forward(ag.NewGraph(ag.NoGrad).Const(tensor.FromSlice(v, 1, len(ids)))).Value
		m.SetTraining(true)
		errs := make(chan string, 4)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				d, err := NewDecoder(m)
				if err != nil {
					errs <- err.Error()
					return
				}
				for p, id := range ids {
					got := d.Feed(id)
					for c := range got {
						if w := full.Flat(p*256 + c); math.Abs(got[c]-w) > 1e-4 {
							errs <- fmt.Sprintf("%s: position %d, logit %d: %v, evaluation pass %v", arch, p, c, got[c], w)
							return
						}
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		for i, l := range m.Net.Layers {
			if d, ok := l.(*Dropout); ok && d.eval {
				t.Errorf("%s: layer %d, dropout, was switched to evaluation mode", arch, i)
			}
		}
	}
}
