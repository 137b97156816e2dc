package ag_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/gradcheck"
	"backprop/tensor"
)

// rnnCases are the rows of the recurrent gates: odd sizes (N=2, T=3, I=5,
// H=4), both layouts, with and without initial states, a single step of
// one unit, and a fan-out (the two biases one Var).
func rnnCases() []gradcheck.Case {
	var cs []gradcheck.Case
	add := func(c ...gradcheck.Case) { cs = append(cs, c...) }
	const n, t, i, h = 2, 3, 5, 4
	for _, bf := range []bool{true, false} {
		x := s(t, n, i)
		if bf {
			x = s(n, t, i)
		}
		for _, c := range []struct {
			name  string
			gates int
			f     func(in []*ag.Var) *ag.Var
			state func(in []*ag.Var) *ag.Var
		}{
			{"RNN", 1,
				func(in []*ag.Var) *ag.Var { return ag.RNN(in[0], nil, in[1], in[2], in[3], in[4], bf) },
				func(in []*ag.Var) *ag.Var { return ag.RNN(in[0], in[5], in[1], in[2], in[3], in[4], bf) }},
			{"GRU", 3,
				func(in []*ag.Var) *ag.Var { return ag.GRU(in[0], nil, in[1], in[2], in[3], in[4], bf) },
				func(in []*ag.Var) *ag.Var { return ag.GRU(in[0], in[5], in[1], in[2], in[3], in[4], bf) }},
			{"LSTM", 4,
				func(in []*ag.Var) *ag.Var { return ag.LSTM(in[0], nil, nil, in[1], in[2], in[3], in[4], bf) },
				func(in []*ag.Var) *ag.Var { return ag.LSTM(in[0], in[5], in[6], in[1], in[2], in[3], in[4], bf) }},
		} {
			g := c.gates * h
			weights := [][]int{x, s(g, i), s(g, h), s(g), s(g)}
			add(gradcheck.Case{Gate: c.name, Shapes: weights, F: c.f})
			states := append(weights, s(n, h))
			if c.gates == 4 {
				states = append(states, s(n, h))
			}
			add(gradcheck.Case{Gate: c.name, Shapes: states, F: c.state})
			if bf {
				one := [][]int{s(1, 1, 1), s(c.gates, 1), s(c.gates, 1), s(c.gates), s(c.gates)}
				add(gradcheck.Case{Gate: c.name, Shapes: one, F: c.f})
			}
		}
	}
	add(gradcheck.Case{Gate: "LSTM", Shapes: [][]int{s(2, 3, 5), s(16, 5), s(16, 4), s(16), s(2, 4)},
		F: func(in []*ag.Var) *ag.Var { // fan-out: one bias for both, one state for h0 and c0
			return ag.LSTM(in[0], in[4], in[4], in[1], in[2], in[3], in[3], true)
		}})
	add(gradcheck.Case{Gate: "GRU", Shapes: [][]int{s(2, 3, 5), s(12, 5), s(12, 4), s(12)},
		F: func(in []*ag.Var) *ag.Var { return ag.GRU(in[0], nil, in[1], in[2], in[3], in[3], true) }})
	add(gradcheck.Case{Gate: "RNN", Shapes: [][]int{s(2, 3, 4), s(4, 4), s(4)}, // fan-out: W_ih = W_hh
		F: func(in []*ag.Var) *ag.Var { return ag.RNN(in[0], nil, in[1], in[1], in[2], in[2], true) }})
	for k := range cs {
		cs[k].Tol = 1e-5 // products summed over steps: noisier finite differences
	}
	return cs
}

// composedLSTM is one LSTM layer built cell by cell from the primitive
// gates, batch-first, returning what ag.LSTM returns: [2, N, T, H].
func composedLSTM(x, h0, c0, wih, whh, bih, bhh *ag.Var) *ag.Var {
	n, t, i := x.Shape()[0], x.Shape()[1], x.Shape()[2]
	hid := whh.Shape()[1]
	h, c := h0, c0
	var hs, cs []*ag.Var
	for step := range t {
		xt := ag.Reshape(ag.Slice(x, 1, step, step+1), n, i)
		a := ag.Add(ag.Add(ag.MatMulT(xt, wih, false, true), bih), ag.Add(ag.MatMulT(h, whh, false, true), bhh))
		ig := ag.Sigmoid(ag.Slice(a, 1, 0, hid))
		fg := ag.Sigmoid(ag.Slice(a, 1, hid, 2*hid))
		gg := ag.Tanh(ag.Slice(a, 1, 2*hid, 3*hid))
		og := ag.Sigmoid(ag.Slice(a, 1, 3*hid, 4*hid))
		c = ag.Add(ag.Mul(fg, c), ag.Mul(ig, gg))
		h = ag.Mul(og, ag.Tanh(c))
		hs, cs = append(hs, h), append(cs, c)
	}
	return ag.Stack(0, ag.Stack(1, hs...), ag.Stack(1, cs...))
}

// TestLSTMMatchesComposedCells checks the fused gate against the same
// recurrence composed of MatMul, Slice, Sigmoid, Tanh, Mul and Add, on
// random data: the values and the gradients of all seven inputs, in
// float64 and float32.
func TestLSTMMatchesComposedCells(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 1))
	const n, steps, in, h = 3, 7, 6, 5
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
		shapes := [][]int{s(n, steps, in), s(n, h), s(n, h), s(4*h, in), s(4*h, h), s(4 * h), s(4 * h)}
		vals := make([]*tensor.Tensor, len(shapes))
		for k, sh := range shapes {
			vals[k] = tensor.Randn(rng, tensor.Float64, sh...).As(dt)
		}
		up := tensor.Randn(rng, tensor.Float64, 2, n, steps, h).As(dt)
		run := func(f func(v []*ag.Var) *ag.Var) (*tensor.Tensor, []*tensor.Tensor) {
			v := make([]*ag.Var, len(vals))
			for k := range vals {
				v[k] = ag.Param(vals[k].Clone())
			}
			y := f(v)
			ag.Backward(y, ag.Seed(up))
			gs := make([]*tensor.Tensor, len(v))
			for k := range v {
				gs[k] = v[k].Grad
			}
			return y.Value, gs
		}
		fy, fg := run(func(v []*ag.Var) *ag.Var { return ag.LSTM(v[0], v[1], v[2], v[3], v[4], v[5], v[6], true) })
		cy, cg := run(func(v []*ag.Var) *ag.Var { return composedLSTM(v[0], v[1], v[2], v[3], v[4], v[5], v[6]) })
		rtol, atol := 1e-12, 1e-12
		if dt == tensor.Float32 {
			rtol, atol = 1e-4, 1e-5
		}
		if !tensor.AllClose(fy, cy, rtol, atol) {
			t.Fatalf("%v: fused %v\ncomposed %v", dt, fy, cy)
		}
		for k := range fg {
			if fg[k] == nil || !tensor.AllClose(fg[k], cg[k], rtol, atol) {
				t.Errorf("%v: input %d: fused gradient %v\ncomposed %v", dt, k, fg[k], cg[k])
			}
		}
	}
}

// TestRecurrentLayouts checks that time-major input gives the transposed
// result of batch-first input, for every recurrent gate.
func TestRecurrentLayouts(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 2))
	const n, steps, in, h = 2, 4, 3, 5
	x := tensor.Randn(rng, tensor.Float64, n, steps, in)
	xt := tensor.Permute(x, 1, 0, 2)
	for _, c := range []struct {
		name  string
		gates int
		f     func(x, wih, whh, bih, bhh *ag.Var, bf bool) *ag.Var
	}{
		{"RNN", 1, func(x, wih, whh, bih, bhh *ag.Var, bf bool) *ag.Var { return ag.RNN(x, nil, wih, whh, bih, bhh, bf) }},
		{"GRU", 3, func(x, wih, whh, bih, bhh *ag.Var, bf bool) *ag.Var { return ag.GRU(x, nil, wih, whh, bih, bhh, bf) }},
		{"LSTM", 4, func(x, wih, whh, bih, bhh *ag.Var, bf bool) *ag.Var {
			return ag.Reshape(ag.Slice(ag.LSTM(x, nil, nil, wih, whh, bih, bhh, bf), 0, 0, 1), -1, h)
		}},
	} {
		w := []*ag.Var{
			ag.Const(tensor.Randn(rng, tensor.Float64, c.gates*h, in)), ag.Const(tensor.Randn(rng, tensor.Float64, c.gates*h, h)),
			ag.Const(tensor.Randn(rng, tensor.Float64, c.gates*h)), ag.Const(tensor.Randn(rng, tensor.Float64, c.gates*h)),
		}
		bf := c.f(ag.Const(x), w[0], w[1], w[2], w[3], true).Value.Reshape(n, steps, h)
		tm := c.f(ag.Const(xt), w[0], w[1], w[2], w[3], false).Value.Reshape(steps, n, h)
		if !tensor.AllClose(bf, tensor.Permute(tm, 1, 0, 2), 1e-12, 1e-12) {
			t.Errorf("%s: batch-first %v\ntime-major %v", c.name, bf, tm)
		}
		// The state after the last step is the last step's output, and
		// the first step's output depends on the first inputs only.
		if bf.At(0, steps-1, 0) == bf.At(0, 0, 0) {
			t.Errorf("%s: the output does not change over time: %v", c.name, bf)
		}
	}
}

func TestRecurrentShapePanics(t *testing.T) {
	v := func(sh ...int) *ag.Var { return ag.Const(tensor.New(tensor.Float64, sh...)) }
	for _, c := range []struct {
		f    func()
		want string
	}{
		{func() { ag.LSTM(v(2, 3, 5), nil, nil, v(16, 4), v(16, 4), v(16), v(16), true) },
			"ag: LSTM: input [2 3 5], weight_ih [16 4], weight_hh [16 4]"},
		{func() { ag.LSTM(v(2, 3, 5), v(2, 4), nil, v(16, 5), v(16, 4), v(16), v(16), true) },
			"ag: LSTM: give both initial states"},
		{func() { ag.GRU(v(2, 3, 5), v(3, 4), v(12, 5), v(12, 4), v(12), v(12), true) },
			"ag: GRU: input [2 3 5], weight_ih [12 5], weight_hh [12 4], bias_ih [12], bias_hh [12], h0 [3 4]"},
		{func() { ag.RNN(v(2, 5), nil, v(4, 5), v(4, 4), v(4), v(4), false) }, "ag: RNN: input [2 5]"},
		{func() { ag.RNN(v(3, 2, 5), nil, v(4, 5), v(4, 4), v(3), v(4), false) }, "bias_ih [3]"},
	} {
		func() {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, c.want) {
					t.Errorf("panic %v, want it to contain %q", r, c.want)
				}
			}()
			c.f()
		}()
	}
}
