package nn

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// The recurrent layers have PyTorch's parameters: names, shapes, order,
// and the initialisation U(−1/√H, 1/√H).
func TestRecurrentParameters(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 3))
	for _, c := range []struct {
		m     Module
		gates int
	}{{NewLSTM(rng, 5, 4, 2, true), 4}, {NewGRU(rng, 5, 4, 2, true), 3}, {NewRNN(rng, 5, 4, 2, false), 1}} {
		g := c.gates * 4
		want := []ParamShape{
			{"weight_ih_l0", []int{g, 5}}, {"weight_hh_l0", []int{g, 4}}, {"bias_ih_l0", []int{g}}, {"bias_hh_l0", []int{g}},
			{"weight_ih_l1", []int{g, 4}}, {"weight_hh_l1", []int{g, 4}}, {"bias_ih_l1", []int{g}}, {"bias_hh_l1", []int{g}},
		}
		ps := c.m.Parameters()
		if got := paramShapes(ps); !slices.EqualFunc(got, want, sameParamShape) {
			t.Errorf("%T: parameters %v, want %v", c.m, got, want)
		}
		var lo, hi float64
		for _, p := range ps {
			for _, v := range p.Var.Value.Values() {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		if lo < -0.5 || hi > 0.5 || lo > -0.4 || hi < 0.4 { // 1/√4 = 0.5
			t.Errorf("%T: weights in [%g, %g], want about U(−0.5, 0.5)", c.m, lo, hi)
		}
	}
}

// Running a sequence in two pieces, the second from the first's final
// states, gives the outputs and final states of running it whole: the
// states a sampler or truncated backprop through time carries over.
func TestRecurrentStatesCarryOver(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 4))
	const n, steps, in, h, layers = 3, 7, 5, 4, 2
	split := func(x *tensor.Tensor, bf bool, lo, hi int) *ag.Var {
		axis := 0
		if bf {
			axis = 1
		}
		return ag.Const(tensor.Slice(x, axis, lo, hi))
	}
	for _, bf := range []bool{true, false} {
		shape := []int{steps, n, in}
		if bf {
			shape = []int{n, steps, in}
		}
		x := tensor.Randn(rng, tensor.Float32, shape...)
		h0 := ag.Const(tensor.Randn(rng, tensor.Float32, layers, n, h))
		c0 := ag.Const(tensor.Randn(rng, tensor.Float32, layers, n, h))
		close := func(name string, a, b *ag.Var) {
			t.Helper()
			if !tensor.AllClose(a.Value, b.Value, 1e-5, 1e-6) {
				t.Errorf("batch-first %v: %s: in pieces %v, whole %v", bf, name, a.Value, b.Value)
			}
		}
		axis := 0
		if bf {
			axis = 1
		}
		joined := func(a, b *ag.Var) *ag.Var { return ag.Concat(axis, a, b) }

		lstm := NewLSTM(rng, in, h, layers, bf)
		y, hn, cn := lstm.ForwardState(ag.Const(x), h0, c0)
		y1, h1, c1 := lstm.ForwardState(split(x, bf, 0, 3), h0, c0)
		y2, h2, c2 := lstm.ForwardState(split(x, bf, 3, steps), h1, c1)
		close("LSTM output", joined(y1, y2), y)
		close("LSTM h_n", h2, hn)
		close("LSTM c_n", c2, cn)
		if !tensor.Equal(lstm.Forward(ag.Const(x)).Value, lstm.Forward(ag.Const(x)).Value) {
			t.Errorf("LSTM: Forward is not deterministic")
		}
		if tensor.AllClose(hn.Value, cn.Value, 1e-3, 1e-3) {
			t.Errorf("LSTM: h_n equals c_n")
		}

		gru := NewGRU(rng, in, h, layers, bf)
		y, hn = gru.ForwardState(ag.Const(x), h0)
		y1, h1 = gru.ForwardState(split(x, bf, 0, 4), h0)
		y2, h2 = gru.ForwardState(split(x, bf, 4, steps), h1)
		close("GRU output", joined(y1, y2), y)
		close("GRU h_n", h2, hn)

		rnn := NewRNN(rng, in, h, layers, bf)
		y, hn = rnn.ForwardState(ag.Const(x), h0)
		y1, h1 = rnn.ForwardState(split(x, bf, 0, 2), h0)
		y2, h2 = rnn.ForwardState(split(x, bf, 2, steps), h1)
		close("RNN output", joined(y1, y2), y)
		close("RNN h_n", h2, hn)
	}
}

// A stack of layers is each layer applied to the one below's output,
// and the last layer's final state is its output's last step.
func TestLSTMStack(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 5))
	two := NewLSTM(rng, 5, 4, 2, true)
	bottom, top := NewLSTM(rng, 5, 4, 1, true), NewLSTM(rng, 4, 4, 1, true)
	bottom.WeightIH, bottom.WeightHH, bottom.BiasIH, bottom.BiasHH = two.WeightIH[:1], two.WeightHH[:1], two.BiasIH[:1], two.BiasHH[:1]
	top.WeightIH, top.WeightHH, top.BiasIH, top.BiasHH = two.WeightIH[1:], two.WeightHH[1:], two.BiasIH[1:], two.BiasHH[1:]
	x := ag.Const(tensor.Randn(rng, tensor.Float32, 3, 6, 5))
	y, hn, _ := two.ForwardState(x, nil, nil)
	if want := top.Forward(bottom.Forward(x)); !tensor.Equal(y.Value, want.Value) {
		t.Errorf("two layers %v, one after the other %v", y.Value, want.Value)
	}
	last := tensor.Slice(y.Value, 1, 5, 6).Reshape(3, 4)
	if got := tensor.Slice(hn.Value, 0, 1, 2).Reshape(3, 4); !tensor.Equal(got, last) || !slices.Equal(hn.Shape(), []int{2, 3, 4}) {
		t.Errorf("h_n %v, want the last step %v in [2 3 4]", hn.Value, last)
	}
	for _, f := range []func(){
		func() { two.Forward(ag.Const(tensor.New(tensor.Float32, 3, 6, 4))) },
		func() {
			two.ForwardState(x, ag.Const(tensor.New(tensor.Float32, 1, 3, 4)), ag.Const(tensor.New(tensor.Float32, 1, 3, 4)))
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic for a wrong shape")
				}
			}()
			f()
		}()
	}
}

// A sequence model trains: an LSTM learns to tell whether a sequence's
// first value was positive, which it must remember over every step.
func TestLSTMLearnsToRemember(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 6))
	net := NewSequential(NewLSTM(rng, 1, 8, 1, true), &lastStep{}, NewLinear(rng, 8, 2, nil))
	const n, steps = 32, 6
	params := Vars(net)
	loss := func(train bool) (float64, float64) {
		x := tensor.Randn(rng, tensor.Float32, n, steps, 1)
		labels := make([]int, n)
		for i := range labels {
			if x.At(i, 0, 0) > 0 {
				labels[i] = 1
			}
		}
		y := net.Forward(ag.Const(x))
		l := ag.SoftmaxCrossEntropy(y, labels)
		right := 0
		for i, c := range labels {
			if (y.Value.At(i, 1) > y.Value.At(i, 0)) == (c == 1) {
				right++
			}
		}
		if train {
			ag.ZeroGrad(params...)
			ag.Backward(l)
			for _, p := range params {
				tensor.AddTo(p.Value, p.Value, tensor.Scale(p.Grad, -1))
			}
		}
		return l.Item(), float64(right) / n
	}
	first, _ := loss(false)
	for range 1000 {
		loss(true)
	}
	last, acc := loss(false)
	t.Logf("loss %.3f → %.3f, accuracy %.2f", first, last, acc)
	if !(last < first/3) || acc < 0.9 || math.IsNaN(last) {
		t.Errorf("loss %.3f → %.3f, accuracy %.2f", first, last, acc)
	}
}

// lastStep takes the last step of sequences [N, T, D].
type lastStep struct{ stateless }

func (lastStep) Forward(x *ag.Var) *ag.Var {
	sh := x.Shape()
	return ag.Reshape(ag.Slice(x, 1, sh[1]-1, sh[1]), sh[0], sh[2])
}

// A model file of recurrent layers describes and rebuilds itself, and
// the rebuilt model predicts what the saved one did.
func TestRecurrentModelFileRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 7))
	const text = "lstm(6,2) gru(5,1) rnn(4,1) linear(3) relu flatten linear(3)"
	shape := []int{5, 4}
	net, err := MustParseArch(text).Build(shape, rng)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(net, shape, Standardization{Mean: 0, Std: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "unflatten(5,4) " + text; m.Arch != want {
		t.Errorf("described as %q, want %q", m.Arch, want)
	}
	var b bytes.Buffer
	if err := WriteModel(&b, m, nil); err != nil {
		t.Fatal(err)
	}
	got, err := ReadModel(bytes.NewReader(b.Bytes()), "m")
	if err != nil {
		t.Fatal(err)
	}
	if got.Arch != m.Arch || !slices.Equal(got.Shape, shape) {
		t.Errorf("read back %q for %v", got.Arch, got.Shape)
	}
	if want := []string{"1.weight_ih_l0", "1.weight_hh_l0", "1.bias_ih_l0", "1.bias_hh_l0", "1.weight_ih_l1"}; !slices.Equal(names(got.Parameters())[:5], want) {
		t.Errorf("parameters %v, want %v…", names(got.Parameters()), want)
	}
	x := tensor.Randn(rng, tensor.Float32, 7, 20)
	if p, want := got.Predict(x), m.Predict(x); !tensor.Equal(p, want) {
		t.Errorf("the read model predicts %v, the saved one %v", p, want)
	}
}

func names(ps []Parameter) []string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Name
	}
	return s
}

// Many goroutines may run one recurrent model at once, each in a graph
// of its own, and get what it gives alone.
func TestRecurrentConcurrentInference(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 9))
	net := MustParseArch("lstm(8,2) gru(6,1) rnn(5,1) linear(3)")
	m, err := net.Build([]int{6, 4}, rng)
	if err != nil {
		t.Fatal(err)
	}
	m.SetTraining(false)
	xs := make([]*tensor.Tensor, 4)
	want := make([]*tensor.Tensor, len(xs))
	for i := range xs {
		xs[i] = tensor.Randn(rng, tensor.Float32, 3, 24)
		want[i] = m.Forward(ag.Const(xs[i])).Value
	}
	done := make(chan error)
	for i := range xs {
		go func() {
			g := ag.NewGraph(ag.NoGrad)
			for range 20 {
				if got := m.Forward(g.Const(xs[i])).Value; !tensor.Equal(got, want[i]) {
					done <- fmt.Errorf("goroutine %d: %v, alone %v", i, got, want[i])
					return
				}
				g.Reset()
			}
			done <- nil
		}()
	}
	for range xs {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// Dropout between layers, as PyTorch's dropout argument: active in
// training only, and never after the last layer.
func TestRecurrentDropout(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 10))
	x := ag.Const(tensor.Randn(rng, tensor.Float32, 3, 5, 4))
	for _, layers := range []int{1, 2} {
		m := NewGRU(rng, 4, 6, layers, true)
		m.Dropout = NewDropout(0.5, rng)
		m.SetTraining(false)
		eval := m.Forward(x).Value
		m.SetTraining(true)
		train := m.Forward(x).Value
		if dropped := !tensor.Equal(eval, train); dropped != (layers > 1) {
			t.Errorf("%d layers: training output differs from evaluation: %v", layers, dropped)
		}
	}
	text := "lstm(5,2,dropout=0.25)"
	net, err := MustParseArch(text).Build([]int{5, 4}, rng)
	if err != nil {
		t.Fatal(err)
	}
	if l := net.Layers[1].(*LSTM); l.Dropout == nil || l.Dropout.P != 0.25 {
		t.Errorf("%s builds dropout %v", text, l.Dropout)
	}
	if d, err := Describe(net, []int{5, 4}); err != nil || d != "unflatten(5,4) "+text {
		t.Errorf("described as %q, %v", d, err)
	}
}

// A Linear layer applies to the last axis of sequences [N, T, D], as
// PyTorch's does: what the broadcast product x·Wᵀ + b gives, values and
// gradients, through one GEMM over all steps; with a ReLU after it too.
func TestLinearOnSequences(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 11))
	lin := NewLinear(rng, 5, 3, nil)
	x := tensor.Randn(rng, tensor.Float64, 2, 4, 5)
	lin.Weight, lin.Bias = ag.Param(lin.Weight.Value.As(tensor.Float64)), ag.Param(tensor.Randn(rng, tensor.Float64, 3))
	for _, relu := range []bool{false, true} {
		xv := ag.Param(x.Clone())
		var y *ag.Var
		if relu {
			y = NewSequential(lin, ReLU{}).Forward(xv)
		} else {
			y = lin.Forward(xv)
		}
		ag.Backward(ag.Sum(ag.Mul(y, y), false))
		gx, gw := xv.Grad, lin.Weight.Grad.Clone()
		ag.ZeroGrad(lin.Weight, lin.Bias)
		xb := ag.Param(x.Clone())
		want := ag.Add(ag.MatMulT(xb, lin.Weight, false, true), lin.Bias)
		if relu {
			want = ag.ReLU(want)
		}
		ag.Backward(ag.Sum(ag.Mul(want, want), false))
		if !slices.Equal(y.Shape(), []int{2, 4, 3}) || !tensor.AllClose(y.Value, want.Value, 1e-12, 1e-12) ||
			!tensor.AllClose(gx, xb.Grad, 1e-12, 1e-12) || !tensor.AllClose(gw, lin.Weight.Grad, 1e-12, 1e-12) {
			t.Errorf("relu %v: %v, want %v", relu, y.Value, want.Value)
		}
		ag.ZeroGrad(lin.Weight, lin.Bias)
	}
}

// A cell stepped over a sequence, carrying its state, gives what the
// layer with the same weights gives for the whole sequence, values and
// gradients; its parameters have PyTorch's cell names.
func TestCellsStepLikeLayers(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 12))
	const n, steps, in, h = 3, 5, 4, 6
	x := tensor.Randn(rng, tensor.Float64, n, steps, in)
	at := func(xv *ag.Var, s int) *ag.Var { return ag.Reshape(ag.Slice(xv, 1, s, s+1), n, in) }
	f64 := func(v *ag.Var) *ag.Var { return ag.Param(v.Value.As(tensor.Float64)) }
	for _, kind := range []string{"lstm", "gru", "rnn"} {
		var cell Module
		var c *Cell
		switch kind {
		case "lstm":
			m := NewLSTMCell(rng, in, h)
			cell, c = m, &m.Cell
		case "gru":
			m := NewGRUCell(rng, in, h)
			cell, c = m, &m.Cell
		default:
			m := NewRNNCell(rng, in, h)
			cell, c = m, &m.Cell
		}
		c.WeightIH, c.WeightHH, c.BiasIH, c.BiasHH = f64(c.WeightIH), f64(c.WeightHH), f64(c.BiasIH), f64(c.BiasHH)
		if got := names(cell.Parameters()); !slices.Equal(got, []string{"weight_ih", "weight_hh", "bias_ih", "bias_hh"}) {
			t.Errorf("%s cell: parameters %v", kind, got)
		}
		r := Recurrent{In: in, Hidden: h, Layers: 1, BatchFirst: true,
			WeightIH: []*ag.Var{c.WeightIH}, WeightHH: []*ag.Var{c.WeightHH}, BiasIH: []*ag.Var{c.BiasIH}, BiasHH: []*ag.Var{c.BiasHH}}
		xs, xl := ag.Param(x.Clone()), ag.Param(x.Clone())
		var hs []*ag.Var
		var layer *ag.Var
		switch m := cell.(type) {
		case *LSTMCell:
			var hh, cc *ag.Var
			for s := range steps {
				hh, cc = m.Step(at(xs, s), hh, cc)
				hs = append(hs, hh)
			}
			layer = (&LSTM{r}).Forward(xl)
		case *GRUCell:
			var hh *ag.Var
			for s := range steps {
				hh = m.Step(at(xs, s), hh)
				hs = append(hs, hh)
			}
			layer = (&GRU{r}).Forward(xl)
		case *RNNCell:
			var hh *ag.Var
			for s := range steps {
				hh = m.Step(at(xs, s), hh)
				hs = append(hs, hh)
			}
			layer = (&RNN{r}).Forward(xl)
		}
		stepped := ag.Stack(1, hs...)
		ag.Backward(ag.Sum(ag.Mul(stepped, stepped), false))
		ag.Backward(ag.Sum(ag.Mul(layer, layer), false))
		if !tensor.AllClose(stepped.Value, layer.Value, 1e-12, 1e-12) || !tensor.AllClose(xs.Grad, xl.Grad, 1e-12, 1e-12) {
			t.Errorf("%s: stepped %v, layer %v", kind, stepped.Value, layer.Value)
		}
		if y := cell.Forward(at(xs, 0)); !tensor.AllClose(y.Value, hs[0].Value, 0, 0) {
			t.Errorf("%s: Forward %v, the first step %v", kind, y.Value, hs[0].Value)
		}
	}
}
