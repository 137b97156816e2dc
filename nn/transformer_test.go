package nn

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// toFloat64 turns m's parameters into Float64 in place.
func toFloat64(m Module) {
	for _, p := range m.Parameters() {
		p.Var.Value = p.Var.Value.As(tensor.Float64)
	}
}

// referenceMHA is multi-head self-attention written out with primitive
// gates, head by head, from the stacked weights: the layout the fused
// path must reproduce.
func referenceMHA(m *MultiheadAttention, x *ag.Var, causal bool) *ag.Var {
	e, h := m.Embed, m.Heads
	d := e / h
	t := x.Shape()[1]
	proj := func(i int) *ag.Var {
		w := ag.Slice(m.InProjWeight, 0, i*e, (i+1)*e)
		b := ag.Slice(m.InProjBias, 0, i*e, (i+1)*e)
		return ag.Add(ag.MatMulT(x, w, false, true), b) // [N T E]
	}
	q, k, v := proj(0), proj(1), proj(2)
	mask := tensor.New(x.DType(), t, t)
	for i := range t {
		for j := i + 1; j < t; j++ {
			if causal {
				mask.Set(math.Inf(-1), i, j)
			}
		}
	}
	heads := make([]*ag.Var, h)
	for i := range h {
		qi, ki, vi := ag.Slice(q, 2, i*d, (i+1)*d), ag.Slice(k, 2, i*d, (i+1)*d), ag.Slice(v, 2, i*d, (i+1)*d)
		s := ag.Mul(ag.MatMulT(qi, ki, false, true), ag.Scalar(x.DType(), 1/math.Sqrt(float64(d))))
		heads[i] = ag.MatMul(ag.Softmax(ag.Add(s, ag.Const(mask)), -1), vi)
	}
	return ag.Add(ag.MatMulT(ag.Concat(2, heads...), m.OutProj.Weight, false, true), m.OutProj.Bias)
}

// TestMultiheadAttentionMatchesReference checks values and gradients in
// float64 against the reference, for few positions (one projection
// GEMM, its output split) and many (a GEMM per third of the weight).
func TestMultiheadAttentionMatchesReference(t *testing.T) {
	for _, c := range []struct {
		causal bool
		tt     int
	}{{false, 5}, {true, 5}, {false, 30}, {true, 30}} {
		causal := c.causal
		rng := rand.New(rand.NewPCG(1, uint64(c.tt)))
		m := NewMultiheadAttention(rng, 12, 3, causal, 0)
		toFloat64(m)
		// Non-zero biases, so that their thirds are checked too.
		m.InProjBias.Value = tensor.Randn(rng, tensor.Float64, 36)
		m.OutProj.Bias.Value = tensor.Randn(rng, tensor.Float64, 12)
		xt := tensor.Randn(rng, tensor.Float64, 2, c.tt, 12)
		up := tensor.Randn(rng, tensor.Float64, 2, c.tt, 12)

		x := ag.Param(xt.Clone())
		y := m.Forward(x)
		ag.Backward(y, ag.Seed(up))
		grads := map[string]*tensor.Tensor{"x": x.Grad}
		for _, p := range m.Parameters() {
			grads[p.Name] = p.Var.Grad
			p.Var.Grad = nil
		}
		x2 := ag.Param(xt.Clone())
		y2 := referenceMHA(m, x2, causal)
		ag.Backward(y2, ag.Seed(up))
		if !tensor.AllClose(y.Value, y2.Value, 1e-12, 1e-12) {
			t.Fatalf("causal %v: output %v, reference %v", causal, y.Value, y2.Value)
		}
		if !tensor.AllClose(grads["x"], x2.Grad, 1e-12, 1e-12) {
			t.Errorf("causal %v: ∂x differs from the reference", causal)
		}
		for _, p := range m.Parameters() {
			if !tensor.AllClose(grads[p.Name], p.Var.Grad, 1e-12, 1e-12) {
				t.Errorf("causal %v: ∂%s differs from the reference", causal, p.Name)
			}
		}
	}
}

func TestMultiheadAttentionInitAndNames(t *testing.T) {
	m := NewMultiheadAttention(rand.New(rand.NewPCG(2, 2)), 16, 4, true, 0.1)
	var names []string
	for _, p := range m.Parameters() {
		names = append(names, p.Name+fmtShape(p.Var.Value.Shape()))
	}
	want := []string{"in_proj_weight[48 16]", "in_proj_bias[48]", "out_proj.weight[16 16]", "out_proj.bias[16]"}
	if !slices.Equal(names, want) {
		t.Errorf("parameters %v, want %v", names, want)
	}
	bound := func(w *tensor.Tensor) (lo, hi float64) {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, v := range w.Values() {
			lo, hi = min(lo, v), max(hi, v)
		}
		return lo, hi
	}
	// Xavier: √(6/(16+48)) ≈ 0.306; out_proj: 1/√16 = 0.25.
	for _, c := range []struct {
		name string
		w    *tensor.Tensor
		a    float64
	}{{"in_proj_weight", m.InProjWeight.Value, math.Sqrt(6.0 / 64)}, {"out_proj.weight", m.OutProj.Weight.Value, 0.25}} {
		lo, hi := bound(c.w)
		if lo < -c.a || hi > c.a || hi < 0.8*c.a || lo > -0.8*c.a {
			t.Errorf("%s in [%g, %g], want U(−%g, %g) filling it", c.name, lo, hi, c.a, c.a)
		}
	}
	for _, b := range []*tensor.Tensor{m.InProjBias.Value, m.OutProj.Bias.Value} {
		if lo, hi := bound(b); lo != 0 || hi != 0 {
			t.Errorf("a bias is not zero: [%g, %g]", lo, hi)
		}
	}
	defer func() {
		if r := recover(); r != "nn: NewMultiheadAttention: embed 10, heads 4: the heads must divide the width" {
			t.Errorf("panic %v", r)
		}
	}()
	NewMultiheadAttention(rand.New(rand.NewPCG(1, 1)), 10, 4, false, 0)
}

func fmtShape(s []int) string { return fmt.Sprint(s) }

// TestKVCacheMatchesFullForward decodes a sequence position by position
// (and in a chunk of two) through a stack of two blocks with a cache each,
// and compares every output with the causal forward pass of the whole
// sequence: within 1e-5 in float32, 1e-12 in float64.
func TestKVCacheMatchesFullForward(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		tol := 1e-5
		if dt == tensor.Float64 {
			tol = 1e-12
		}
		rng := rand.New(rand.NewPCG(4, 4))
		blocks := []*Block{NewBlock(rng, 8, 2, 0, true, 0), NewBlock(rng, 8, 2, 12, true, 0)}
		for _, b := range blocks {
			b.SetTraining(false)
			if dt == tensor.Float64 {
				toFloat64(b)
			}
			for _, ln := range []*LayerNorm{b.LN1, b.LN2} { // not the trivial γ = 1, β = 0
				ln.Weight.Value = tensor.AddScalar(tensor.Randn(rng, tensor.Float64, 8).As(dt), 1)
				ln.Bias.Value = tensor.Randn(rng, tensor.Float64, 8).As(dt)
			}
		}
		// 40 positions: the full pass projects with a GEMM per third of
		// the weights, the steps with one GEMM split (see project).
		const n, T = 2, 20
		x := tensor.Randn(rng, tensor.Float64, n, T, 8).As(dt)
		full := ag.Const(x)
		for _, b := range blocks {
			full = b.Forward(full)
		}
		caches := make([]KVCache, len(blocks))
		g := ag.NewGraph(ag.NoGrad)
		spans := [][2]int{{0, 1}, {1, 2}, {2, 4}}
		for p := 4; p < T; p++ {
			spans = append(spans, [2]int{p, p + 1})
		}
		for _, span := range spans {
			h := g.Const(tensor.Slice(x, 1, span[0], span[1]))
			for i, b := range blocks {
				h = b.ForwardCached(h, &caches[i])
			}
			want := tensor.Slice(full.Value, 1, span[0], span[1])
			if !tensor.AllClose(h.Value, want, tol, tol) {
				t.Errorf("%v positions %d…%d: cached %v, full %v", dt, span[0], span[1]-1, h.Value, want)
			}
			g.Reset() // the caches live outside the graph
		}
		if caches[1].Len() != T || !slices.Equal(caches[1].k.Shape(), []int{n, 2, 32, 4}) {
			t.Errorf("%v: cache of %d positions, keys %v (capacity 16 doubled)", dt, caches[1].Len(), caches[1].k.Shape())
		}
	}
}

// TestBlockArchRoundTrip builds blocks from the architecture language,
// checks the plan's names against PyTorch's, and writes and reads the
// model file: the same words, the same outputs.
func TestBlockArchRoundTrip(t *testing.T) {
	const text = "block(2) gelu block(4,hidden=12,dropout=0.1,causal=false) gelu(tanh=true) flatten linear(3)"
	a := MustParseArch(text)
	in := []int{5, 8}
	p, err := a.Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Arch().String(); got != "unflatten(5,8) "+text {
		t.Errorf("planned %q", got)
	}
	var names []string
	for _, ps := range p.StateDict()[:12] {
		names = append(names, ps.Name+fmtShape(ps.Shape))
	}
	want := []string{"1.ln1.weight[8]", "1.ln1.bias[8]", "1.attn.in_proj_weight[24 8]", "1.attn.in_proj_bias[24]",
		"1.attn.out_proj.weight[8 8]", "1.attn.out_proj.bias[8]", "1.ln2.weight[8]", "1.ln2.bias[8]",
		"1.mlp.0.weight[32 8]", "1.mlp.0.bias[32]", "1.mlp.2.weight[8 32]", "1.mlp.2.bias[8]"}
	if !slices.Equal(names, want) {
		t.Errorf("state dict %v,\nwant %v", names, want)
	}
	if _, err := MustParseArch("block(3)").Plan(in); err == nil || err.Error() != "col 1: block(3): input [5 8]: 3 heads do not divide the width 8" {
		t.Errorf("3 heads of 8: %v", err)
	}
	if _, err := MustParseArch("flatten block(2)").Plan(in); err == nil || err.Error() != "col 9: block(2): input [40]: block wants sequences [T E]" {
		t.Errorf("flat input: %v", err)
	}

	net := p.Build(rand.New(rand.NewPCG(8, 8)))
	net.SetTraining(false)
	m, err := NewModel(net, in, Standardization{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Arch != "unflatten(5,8) "+text {
		t.Errorf("described as %q", m.Arch)
	}
	var buf bytes.Buffer
	if err := WriteModel(&buf, m, nil); err != nil {
		t.Fatal(err)
	}
	got, err := ReadModel(bytes.NewReader(buf.Bytes()), "m")
	if err != nil {
		t.Fatal(err)
	}
	if got.Arch != m.Arch {
		t.Errorf("read back %q", got.Arch)
	}
	x := tensor.Randn(rand.New(rand.NewPCG(1, 3)), tensor.Float32, 4, 40)
	if a, b := net.Forward(ag.Const(x)).Value, got.Net.Forward(ag.Const(x)).Value; !tensor.Equal(a, b) {
		t.Errorf("the loaded model computes %v, the saved one %v", b, a)
	}
}

// TestBlockTrains checks that gradients reach every parameter of a
// block and that a few steps of gradient descent lower a loss.
func TestBlockTrains(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	b := NewBlock(rng, 8, 2, 0, true, 0.1)
	x := tensor.Randn(rng, tensor.Float32, 3, 6, 8)
	target := tensor.Randn(rng, tensor.Float32, 3, 6, 8)
	loss := func() *ag.Var {
		d := ag.Sub(b.Forward(ag.Const(x)), ag.Const(target))
		return ag.Mean(ag.Mul(d, d), false)
	}
	first := loss()
	ag.Backward(first)
	for _, p := range b.Parameters() {
		if p.Var.Grad == nil || tensor.Equal(p.Var.Grad, tensor.ZerosLike(p.Var.Grad)) {
			t.Errorf("%s gets no gradient", p.Name)
		}
	}
	var last float64
	for range 30 {
		for _, p := range b.Parameters() {
			p.Var.Grad = nil
		}
		l := loss()
		ag.Backward(l)
		for _, p := range b.Parameters() {
			tensor.SubTo(p.Var.Value, p.Var.Value, tensor.Scale(p.Var.Grad, 0.05))
		}
		last = l.Value.Item()
	}
	if !(last < 0.8*first.Value.Item()) {
		t.Errorf("loss %g after 30 steps, from %g", last, first.Value.Item())
	}
}

// TestBlockPlanCounts checks a block's parameters, FLOPs and activations
// against the counts written out by hand.
func TestBlockPlanCounts(t *testing.T) {
	for _, c := range []struct {
		text                     string
		params, flops, activated int64
	}{
		// E = 8, T = 5, hidden 32: 4·8 (norms) + 24·8+24 + 8·8+8 + 32·8+32 + 8·32+8;
		// 2·5·8·(32+64) + 4·5·5·8; the unflatten's 40, the output's 40,
		// 11·40 + 2·5·32 + 2·25.
		{"block(2)", 32 + 216 + 72 + 288 + 264, 2*5*8*96 + 4*5*5*8, 40 + 40 + 440 + 320 + 50},
		// hidden 12, dropout: the weights three times.
		{"block(4,hidden=12,dropout=0.1)", 32 + 216 + 72 + 108 + 104, 2*5*8*56 + 4*5*5*8, 40 + 40 + 440 + 120 + 3*100},
	} {
		p, err := MustParseArch(c.text).Plan([]int{5, 8})
		if err != nil {
			t.Fatal(err)
		}
		if p.NumParams() != c.params || p.FLOPs() != c.flops || p.Activations() != c.activated {
			t.Errorf("%s: %d parameters, %d FLOPs, %d activations; want %d, %d, %d",
				c.text, p.NumParams(), p.FLOPs(), p.Activations(), c.params, c.flops, c.activated)
		}
		if n := int64(len(Vars(p.Build(rand.New(rand.NewPCG(1, 1)))))); n != 12 {
			t.Errorf("%s: %d parameter tensors", c.text, n)
		}
	}
}

// TestBlockShards splits a batch in two shards, each computed by a block
// whose random source starts where the whole batch's did, and checks
// that the shards' outputs are the rows of the whole batch's: the
// attention's and the residuals' dropout draw the same masks.
func TestBlockShards(t *testing.T) {
	mk := func() *Block { return NewBlock(rand.New(rand.NewPCG(3, 3)), 8, 2, 0, true, 0.3) }
	x := tensor.Randn(rand.New(rand.NewPCG(1, 2)), tensor.Float32, 5, 4, 8)
	whole := mk()
	want := whole.Forward(ag.Const(x)).Value
	// Without shards, a second pass draws other masks: the check can fail.
	if again := whole.Forward(ag.Const(x)).Value; tensor.Equal(again, want) {
		t.Fatal("dropout drew the same masks twice")
	}
	b := mk()
	var parts []*tensor.Tensor
	for _, rows := range [][2]int{{0, 2}, {2, 5}} {
		// The random source as it was after the whole batch's block drew
		// its weights.
		r := mk().Attn.Rand
		b.Attn.Rand, b.Drop.Rand = r, r
		b.SetShard(rows[0], 5)
		parts = append(parts, b.Forward(ag.Const(tensor.Slice(x, 0, rows[0], rows[1]))).Value)
	}
	if got := tensor.Concat(0, parts...); !tensor.Equal(got, want) {
		t.Errorf("shards give %v,\nthe whole batch %v", got, want)
	}
}

// TestSequentialForwardCached decodes through a network of the
// architecture language, blocks between position-wise layers, and
// compares with the whole sequence's forward pass.
func TestSequentialForwardCached(t *testing.T) {
	net, err := MustParseArch("unflatten(9,6) linear(12) block(3) gelu block(2,hidden=20) layernorm(axes=1) linear(5)").Build([]int{9, 6}, rand.New(rand.NewPCG(2, 9)))
	if err != nil {
		t.Fatal(err)
	}
	net.SetTraining(false)
	net.Layers = net.Layers[1:] // sequences [N T 6] in, not flat examples: no unflatten
	x := tensor.Randn(rand.New(rand.NewPCG(5, 5)), tensor.Float32, 3, 9, 6)
	full := net.Forward(ag.Const(x)).Value
	var c SeqCache
	for p := range 9 {
		y := net.ForwardCached(ag.Const(tensor.Slice(x, 1, p, p+1)), &c)
		if want := tensor.Slice(full, 1, p, p+1); !tensor.AllClose(y.Value, want, 1e-5, 1e-5) {
			t.Fatalf("position %d: cached %v, full %v", p, y.Value, want)
		}
	}
	if c.Layers[1].Len() != 9 || c.Layers[3].Len() != 9 || c.Layers[0].Len() != 0 {
		t.Errorf("cache lengths %d %d %d", c.Layers[0].Len(), c.Layers[1].Len(), c.Layers[3].Len())
	}
}

func TestAttentionLayerPanics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	m := NewMultiheadAttention(rng, 8, 2, true, 0)
	b := NewBlock(rng, 8, 2, 0, true, 0)
	var c KVCache
	b.ForwardCached(ag.Const(tensor.New(tensor.Float32, 2, 1, 8)), &c)
	for _, f := range []struct {
		run  func()
		want string
	}{
		{func() { m.Forward(ag.Const(tensor.New(tensor.Float32, 2, 5, 6))) }, "tensor: nn.MultiheadAttention.Forward: input [2 5 6]: want [N T 8]"},
		{func() { m.Forward(ag.Const(tensor.New(tensor.Float32, 5, 8))) }, "tensor: nn.MultiheadAttention.Forward: input [5 8]: want [N T 8]"},
		{func() { b.Forward(ag.Const(tensor.New(tensor.Float32, 2, 5, 4))) }, "tensor: nn.Block.Forward: input [2 5 4]: want [N T 8]"},
		{func() { b.ForwardCached(ag.Const(tensor.New(tensor.Float32, 3, 1, 8)), &c) }, "tensor: nn.MultiheadAttention.ForwardCached: input [3 1 8] after a cache of N = 2"},
		{func() { NewBlock(rng, 8, 3, 0, true, 0) }, "nn: NewMultiheadAttention: embed 8, heads 3: the heads must divide the width"},
	} {
		func() {
			defer func() {
				var msg string
				switch e := recover().(type) {
				case error:
					msg = e.Error()
				case string:
					msg = e
				}
				if msg != f.want {
					t.Errorf("panic %q, want %q", msg, f.want)
				}
			}()
			f.run()
		}()
	}
}

// Four goroutines decode sequences through one shared stack of blocks,
// each with its caches and a recycling NoGrad graph of its own, and get
// exactly the serial results: the model is only read, the caches are
// the callers'.
func TestConcurrentDecoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	net := NewSequential(NewBlock(rng, 8, 2, 0, true, 0.2), NewLayerNorm([]int{8}, true), NewBlock(rng, 8, 4, 0, true, 0.2))
	net.SetTraining(false)
	const seqs, T = 4, 6
	inputs := make([]*tensor.Tensor, seqs)
	want := make([][]*tensor.Tensor, seqs)
	for i := range inputs {
		inputs[i] = tensor.Randn(rng, tensor.Float32, 2, T, 8)
		var c SeqCache
		for p := range T {
			want[i] = append(want[i], net.ForwardCached(ag.Const(tensor.Slice(inputs[i], 1, p, p+1)), &c).Value)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, seqs)
	for g := range seqs {
		wg.Go(func() {
			gr := ag.NewGraph(ag.NoGrad, ag.PoisonRecycled)
			for k := range 10 {
				i := (g + k) % seqs
				var c SeqCache
				for p := range T {
					gr.Reset()
					out := net.ForwardCached(gr.Const(tensor.Slice(inputs[i], 1, p, p+1)), &c)
					if !tensor.Equal(out.Value, want[i][p]) {
						errs <- "a concurrent decoding step differs from the serial one"
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// TestSequentialForwardCachedPositions: position layers add the
// encodings of each step's real positions, not 0…t−1 again, so that a
// next-byte transformer decoded one and two positions at a time gives
// what Forward of the whole sequences gives.
func TestSequentialForwardCachedPositions(t *testing.T) {
	const T = 7
	for _, arch := range []string{
		"embed(8) posembed(16) block(2) linear(256)",
		"embed(8) sinpos block(2) block(4) layernorm(axes=1) linear(256)",
	} {
		net, err := MustParseArch(arch).Build([]int{T}, rand.New(rand.NewPCG(4, 1)))
		if err != nil {
			t.Fatal(err)
		}
		net.SetTraining(false)
		for i, l := range net.Layers {
			if s, ok := l.(SinusoidalPositions); ok {
				net.Layers[i] = &s // the pointer too, as a caller may hold it
			}
		}
		rng := rand.New(rand.NewPCG(8, 8))
		ids := make([]float32, 3*T)
		for i := range ids {
			ids[i] = float32(rng.IntN(256))
		}
		x := tensor.FromSlice(ids, 3, T)
		full := net.Forward(ag.Const(x)).Value
		for _, step := range []int{1, 2} {
			var c SeqCache
			for p := 0; p < T; p += step {
				q := min(p+step, T)
				y := net.ForwardCached(ag.Const(tensor.Slice(x, 1, p, q)), &c)
				if want := tensor.Slice(full, 1, p, q); !tensor.AllClose(y.Value, want, 1e-5, 1e-5) {
					t.Fatalf("%s, steps of %d: positions %d…%d differ from the full forward", arch, step, p, q-1)
				}
			}
		}
	}
}
