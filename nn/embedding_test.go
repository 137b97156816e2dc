package nn

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/gradcheck"
	"backprop/tensor"
)

// indices returns a batch of indices in [0, v) as the float tensor a
// Sequential takes, of dtype dt.
func indices(rng *rand.Rand, dt tensor.DType, v int, shape ...int) *tensor.Tensor {
	x := tensor.New(dt, shape...)
	for i := range x.Len() {
		x.SetFlat(i, float64(rng.IntN(v)))
	}
	return x
}

// seqLayerCases check the sequence input layers through the shared
// harness: the tables' gradients and the inputs', at odd sizes.
func seqLayerCases() []gradcheck.Case {
	s := func(dims ...int) []int { return dims }
	x := indices(rand.New(rand.NewPCG(3, 3)), tensor.Float64, 5, 2, 3)
	return []gradcheck.Case{
		{Gate: "Embedding", Shapes: [][]int{s(5, 3)}, F: func(in []*ag.Var) *ag.Var {
			return (&Embedding{Num: 5, Dim: 3, Weight: in[0]}).Forward(ag.Const(x.As(in[0].DType())))
		}},
		{Gate: "PositionalEmbedding", Shapes: [][]int{s(2, 3, 5), s(4, 5)}, F: func(in []*ag.Var) *ag.Var {
			return (&PositionalEmbedding{Context: 4, Dim: 5, Weight: in[1]}).Forward(in[0])
		}},
		{Gate: "PositionalEmbedding", Shapes: [][]int{s(3, 1), s(3, 1)}, F: func(in []*ag.Var) *ag.Var { // [T D], T = context
			return (&PositionalEmbedding{Context: 3, Dim: 1, Weight: in[1]}).Forward(in[0])
		}},
		{Gate: "PositionalEmbedding", Shapes: [][]int{s(2, 2, 3), s(5, 3)}, F: func(in []*ag.Var) *ag.Var { // positions 2 and 3
			return (&PositionalEmbedding{Context: 5, Dim: 3, Weight: in[1]}).ForwardAt(in[0], 2)
		}},
		{Gate: "SinusoidalPositions", Shapes: [][]int{s(1, 2, 4)}, F: func(in []*ag.Var) *ag.Var {
			return SinusoidalPositions{}.ForwardAt(in[0], 7)
		}},
		{Gate: "SinusoidalPositions", Shapes: [][]int{s(2, 3, 5)}, F: func(in []*ag.Var) *ag.Var {
			return ag.Mul(SinusoidalPositions{}.Forward(in[0]), in[0]) // fan-out
		}},
	}
}

func TestSeqLayersGradcheck(t *testing.T) { gradcheck.RunCases(t, seqLayerCases()) }

func TestEmbeddingLayer(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	e := NewEmbedding(rng, 7, 4)
	if e.Padded || !slices.Equal(e.Weight.Value.Shape(), []int{7, 4}) || e.Parameters()[0].Name != "weight" {
		t.Fatalf("NewEmbedding: %+v", e)
	}
	// N(0, 1) as PyTorch: the sample of a larger table has about that
	// mean and variance.
	w := NewEmbedding(rng, 256, 64).Weight.Value.Values()
	var m, v float64
	for _, x := range w {
		m += x
	}
	m /= float64(len(w))
	for _, x := range w {
		v += (x - m) * (x - m)
	}
	v /= float64(len(w))
	if math.Abs(m) > 0.02 || math.Abs(v-1) > 0.03 {
		t.Errorf("initial weights: mean %.4f, variance %.4f; want N(0, 1)", m, v)
	}

	x := indices(rng, tensor.Float32, 7, 2, 5)
	y := e.Forward(ag.Const(x))
	if !slices.Equal(y.Shape(), []int{2, 5, 4}) {
		t.Fatalf("shape %v, want [2 5 4]", y.Shape())
	}
	for p := range 10 {
		r := int(x.Flat(p))
		for j := range 4 {
			if y.Value.Flat(p*4+j) != e.Weight.Value.Flat(r*4+j) {
				t.Fatalf("position %d is not row %d", p, r)
			}
		}
	}
	mustPanicNN(t, "ag: Embedding: id 2.5 at position 1 of [3] is not an index in [0,7)", func() {
		e.Forward(ag.Const(tensor.FromSlice([]float32{1, 2.5, 0}, 3)))
	})
	mustPanicNN(t, "ag: Embedding: id 7 at position 0 of [1] is not an index in [0,7)", func() {
		e.Forward(ag.Const(tensor.FromSlice([]float32{7}, 1)))
	})

	// The output, and what follows, belong to the batch's graph.
	g := ag.NewGraph(ag.NoGrad)
	if y := e.Forward(g.Const(x)); y.Graph() != g || y.RequiresGrad() {
		t.Errorf("under a NoGrad graph: graph %p, requires grad %v", y.Graph(), y.RequiresGrad())
	}

	e.SetPadding(-1) // row 6
	for j := range 4 {
		if e.Weight.Value.Flat(6*4+j) != 0 {
			t.Fatal("SetPadding did not zero the row")
		}
	}
	ids := ag.Const(tensor.FromSlice([]float32{6, 1, 6, 2}, 2, 2))
	ag.Backward(ag.Sum(e.Forward(ids), false))
	for r := range 7 {
		want := 0.0
		switch r {
		case 1, 2:
			want = 1
		}
		for j := range 4 {
			if g := e.Weight.Grad.Flat(r*4 + j); g != want {
				t.Fatalf("padding 6: grad of row %d = %g, want %g", r, g, want)
			}
		}
	}
}

func mustPanicNN(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		msg, _ := r.(string)
		if e, ok := r.(error); ok {
			msg = e.Error()
		}
		if !strings.Contains(msg, want) {
			t.Errorf("panic %v, want %q", r, want)
		}
	}()
	f()
}

func TestPositionalEmbeddingLayer(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	e := NewPositionalEmbedding(rng, 6, 3)
	x := tensor.Randn(rng, tensor.Float32, 2, 4, 3)
	y := e.Forward(ag.Const(x))
	for n := range 2 {
		for p := range 4 {
			for j := range 3 {
				i := (n*4+p)*3 + j
				if want := float32(x.Flat(i)) + float32(e.Weight.Value.Flat(p*3+j)); float32(y.Value.Flat(i)) != want {
					t.Fatalf("y[%d,%d,%d] = %g, want %g", n, p, j, y.Value.Flat(i), want)
				}
			}
		}
	}
	mustPanicNN(t, "nn: PositionalEmbedding: input [2 7 3] from position 0: 7 positions, more than its context 6", func() {
		e.Forward(ag.Const(tensor.New(tensor.Float32, 2, 7, 3)))
	})
	// The next positions of a sequence: rows 4 and 5.
	next := tensor.Randn(rng, tensor.Float32, 2, 2, 3)
	z := e.ForwardAt(ag.Const(next), 4)
	for i := range 12 {
		p := i / 3 % 2
		if want := float32(next.Flat(i)) + float32(e.Weight.Value.Flat((4+p)*3+i%3)); float32(z.Value.Flat(i)) != want {
			t.Fatalf("ForwardAt 4: element %d is %g, want %g", i, z.Value.Flat(i), want)
		}
	}
	mustPanicNN(t, "nn: PositionalEmbedding: input [2 2 3] from position 5: 7 positions, more than its context 6", func() {
		e.ForwardAt(ag.Const(next), 5)
	})
	mustPanicNN(t, "nn: PositionalEmbedding: input [2 4 5]: want [N T 3] or [T 3]", func() {
		e.Forward(ag.Const(tensor.New(tensor.Float32, 2, 4, 5)))
	})
}

// TestSinusoidalPositions checks the table against the formula at
// chosen places: PE[0] alternates 0 and 1, the first pair is sin t and
// cos t, and dimension pair i has wavelength 2π·10000^(2i/D).
func TestSinusoidalPositions(t *testing.T) {
	const T, D = 9, 6
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
		pe := SinusoidalPositions{}.Forward(ag.Const(tensor.New(dt, 2, T, D))).Value
		tol := 1e-15
		if dt == tensor.Float32 {
			tol = 1e-7
		}
		at := func(n, p, i int) float64 { return pe.Flat((n*T+p)*D + i) }
		for i := range D {
			if want := float64(i % 2); at(0, 0, i) != want || at(1, 0, i) != want {
				t.Errorf("%v: PE[0,%d] = %g, want %g", dt, i, at(0, 0, i), want)
			}
		}
		for p := range T {
			for i := 0; i < D; i += 2 {
				w := math.Pow(10000, float64(i)/D)
				if math.Abs(at(1, p, i)-math.Sin(float64(p)/w)) > tol || math.Abs(at(1, p, i+1)-math.Cos(float64(p)/w)) > tol {
					t.Fatalf("%v: PE[%d, %d:%d] = %g %g", dt, p, i, i+2, at(1, p, i), at(1, p, i+1))
				}
			}
		}
		if math.Abs(at(0, 3, 0)-math.Sin(3)) > tol || math.Abs(at(0, 3, 1)-math.Cos(3)) > tol {
			t.Errorf("%v: the first pair at t = 3 is %g %g", dt, at(0, 3, 0), at(0, 3, 1))
		}
	}
	odd := SinusoidalPositions{}.Forward(ag.Const(tensor.New(tensor.Float64, 4, 5))).Value
	if got, want := odd.Flat(2*5+4), math.Sin(2/math.Pow(10000, 4.0/5)); math.Abs(got-want) > 1e-15 {
		t.Errorf("odd D: the last dimension is %g, want the sine %g", got, want)
	}
	// The encodings of positions 4 … 6 are rows 4 … 6 of the table.
	whole := SinusoidalPositions{}.Forward(ag.Const(tensor.New(tensor.Float64, 7, 6))).Value
	part := SinusoidalPositions{}.ForwardAt(ag.Const(tensor.New(tensor.Float64, 1, 3, 6)), 4).Value
	if !slices.Equal(part.Values(), whole.Values()[4*6:]) {
		t.Error("ForwardAt(x, 4) is not rows 4 … 6 of the table")
	}
	mustPanicNN(t, "nn: SinusoidalPositions: input [5]: want [N T D] or [T D]", func() {
		SinusoidalPositions{}.Forward(ag.Const(tensor.New(tensor.Float64, 5)))
	})
}

// The words of the sequence input layers: canonical text, plans, the
// errors of layers that do not fit.
func TestSeqArch(t *testing.T) {
	a := MustParseArch("embed(64, vocab=256) posembed(128) sinpos embed(8,vocab=100)")
	if got, want := a.String(), "embed(64) posembed(128) sinpos embed(8,vocab=100)"; got != want {
		t.Errorf("canonical %q, want %q", got, want)
	}
	p, err := MustParseArch("embed(16) posembed(32) sinpos flatten linear(3)").Plan([]int{20})
	if err != nil {
		t.Fatal(err)
	}
	want := []ParamShape{{"0.weight", []int{256, 16}}, {"1.weight", []int{32, 16}}, {"4.weight", []int{3, 320}}, {"4.bias", []int{3}}}
	if got := p.StateDict(); !slices.EqualFunc(got, want, sameParamShape) {
		t.Errorf("state_dict %v, want %v", got, want)
	}
	if got := p.Layers[2].Out; !slices.Equal(got, []int{20, 16}) {
		t.Errorf("sinpos makes %v", got)
	}
	for _, c := range []struct {
		text string
		in   []int
		want string
	}{
		{"embed(8) posembed(10)", []int{12}, "col 10: posembed(10): input [12 8]: 12 positions, more than the context 10"},
		{"sinpos", []int{12}, "col 1: sinpos: input [12]: sinpos wants sequences of vectors [T D]: put embed before it"},
		{"embed(8) embed(4)", []int{12}, "col 10: embed(4): input [12 8]: embed wants sequences of indices [T]"},
	} {
		_, err := MustParseArch(c.text).Plan(c.in)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: got  %v\nwant %s", c.text, err, c.want)
		}
	}
	if _, err := ParseArch("embed"); err == nil || !strings.Contains(err.Error(), "embed needs dim (embed(dim, vocab=256))") {
		t.Errorf("embed without a size: %v", err)
	}
	e := NewEmbedding(rand.New(rand.NewPCG(1, 1)), 256, 4)
	e.SetPadding(0)
	if _, err := Describe(NewSequential(e), []int{5}); err == nil || err.Error() != "layer 0: *nn.Embedding has no words in the architecture language" {
		t.Errorf("an embedding with a padding row: %v", err)
	}
}

// A sequence model saved to a model file and loaded again is the same
// model: its words, its weights and its outputs.
func TestSeqModelFileRoundTrip(t *testing.T) {
	const text = "embed(8,vocab=50) posembed(16) sinpos dropout(0.1) flatten linear(5)"
	rng := rand.New(rand.NewPCG(9, 9))
	net, err := MustParseArch(text).Build([]int{12}, rng)
	if err != nil {
		t.Fatal(err)
	}
	net.SetTraining(false)
	if _, ok := net.Layers[0].(*Embedding); !ok {
		t.Fatalf("layer 0 is %T", net.Layers[0])
	}
	m, err := NewModel(net, []int{12}, Standardization{Mean: 0, Std: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Arch != text {
		t.Errorf("described as %q, want %q", m.Arch, text)
	}
	var b bytes.Buffer
	if err := WriteModel(&b, m, nil); err != nil {
		t.Fatal(err)
	}
	got, err := ReadModel(bytes.NewReader(b.Bytes()), "seq")
	if err != nil {
		t.Fatal(err)
	}
	if got.Arch != text || !slices.Equal(got.Shape, []int{12}) {
		t.Fatalf("read back %q for %v", got.Arch, got.Shape)
	}
	for i, l := range got.Net.Layers {
		switch l := l.(type) {
		case *Embedding:
			if l.Num != 50 || l.Dim != 8 || l.Padded {
				t.Errorf("layer %d: %+v", i, l)
			}
		case *PositionalEmbedding:
			if l.Context != 16 || l.Dim != 8 {
				t.Errorf("layer %d: %+v", i, l)
			}
		}
	}
	ps, qs := m.Parameters(), got.Parameters()
	for i := range ps {
		if ps[i].Name != qs[i].Name || !tensor.Equal(ps[i].Var.Value, qs[i].Var.Value) {
			t.Errorf("parameter %s differs after loading", ps[i].Name)
		}
	}
	x := ag.Const(indices(rng, tensor.Float32, 50, 3, 12))
	if !tensor.Equal(m.Forward(x).Value, got.Forward(x).Value) {
		t.Error("the loaded model computes other logits")
	}
}

// An untrained byte model's loss is about ln 256, and ignored positions
// leave the mean over the others.
func TestSequenceCrossEntropy(t *testing.T) {
	x := ag.Const(tensor.New(tensor.Float32, 2, 3, ByteVocab)) // uniform predictions
	targets := []int{'f', 'u', ag.IgnoreIndex, 'n', 'c', ag.IgnoreIndex}
	if got := SequenceCrossEntropy(x, targets).Value.Item(); math.Abs(got-math.Log(256)) > 1e-6 {
		t.Errorf("uniform predictions: loss %v, want ln 256 = %v", got, math.Log(256))
	}
	logits := tensor.New(tensor.Float64, 2, 2)
	logits.SetFlat(0, 1) // position 0 favours class 0, position 1 is ignored
	got := SequenceCrossEntropy(ag.Const(logits), []int{0, ag.IgnoreIndex}).Value.Item()
	if want := -math.Log(math.E / (math.E + 1)); math.Abs(got-want) > 1e-15 {
		t.Errorf("loss %v, want %v (the one position counted)", got, want)
	}
}

// The zero value of Embedding's padding fields is no padding row: a table
// set up by hand trains every row, row 0 included.
func TestEmbeddingZeroValueHasNoPadding(t *testing.T) {
	e := &Embedding{Num: 3, Dim: 2, Weight: ag.Param(tensor.Ones(tensor.Float32, 3, 2))}
	y := e.Forward(ag.Const(tensor.FromSlice([]float32{0, 1, 0}, 3)))
	ag.Backward(ag.Sum(y, false))
	if got := e.Weight.Grad.Values(); !slices.Equal(got, []float64{2, 2, 1, 1, 0, 0}) {
		t.Errorf("gradient %v, want row 0 twice and row 1 once", got)
	}
}
