//go:build torch

package interop

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os/exec"
	"testing"

	"backprop/ag"
	"backprop/nn"
	"backprop/tensor"
)

// fill is recurrent.py's fill: ((i·7 + salt·13) mod 23 − 11)/20, exact.
func fill(salt int, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float64, shape...)
	for i := range t.Len() {
		t.SetFlat(i, float64((i*7+salt*13)%23-11)/20)
	}
	return t
}

type torchRecurrent struct {
	Outputs    [][]float64          `json:"outputs"`
	InputGrads [][]float64          `json:"input_grads"`
	ParamGrads map[string][]float64 `json:"param_grads"`
}

// TestRecurrentMatchesPyTorch runs two-layer LSTM, GRU and RNN layers in
// float64, batch-first and time-major, from initial states, on the
// inputs and weights of interop/recurrent.py, and compares the output
// sequence, the final states and the gradients of a loss over all three
// with respect to the input, the initial states and every parameter
// with torch.nn.LSTM, GRU and RNN's: backprop through time as PyTorch
// does it.
func TestRecurrentMatchesPyTorch(t *testing.T) {
	out, err := exec.Command(torchPython(t), "recurrent.py").Output()
	if err != nil {
		t.Fatalf("recurrent.py: %v", err)
	}
	var want map[string]torchRecurrent
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("recurrent.py output: %v", err)
	}
	const n, steps, in, h, layers = 2, 3, 5, 4, 2
	checked := 0
	for _, kind := range []string{"lstm", "gru", "rnn"} {
		for _, bf := range []bool{true, false} {
			name := kind + "_time_major"
			if bf {
				name = kind + "_batch_first"
			}
			w, ok := want[name]
			if !ok {
				t.Fatalf("recurrent.py gave no %s", name)
			}
			rng := rand.New(rand.NewPCG(1, 1))
			var m nn.Module
			var r *nn.Recurrent
			switch kind {
			case "lstm":
				l := nn.NewLSTM(rng, in, h, layers, bf)
				m, r = l, &l.Recurrent
			case "gru":
				l := nn.NewGRU(rng, in, h, layers, bf)
				m, r = l, &l.Recurrent
			default:
				l := nn.NewRNN(rng, in, h, layers, bf)
				m, r = l, &l.Recurrent
			}
			// PyTorch's weights, in its order (weight_ih_l0,
			// weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_ih_l1, …), as
			// float64 parameters.
			for l := range layers {
				param := func(k int, v *ag.Var) *ag.Var { return ag.Param(fill(10+4*l+k, v.Shape()...)) }
				r.WeightIH[l], r.WeightHH[l] = param(0, r.WeightIH[l]), param(1, r.WeightHH[l])
				r.BiasIH[l], r.BiasHH[l] = param(2, r.BiasIH[l]), param(3, r.BiasHH[l])
			}
			xs := []int{steps, n, in}
			if bf {
				xs = []int{n, steps, in}
			}
			x, h0, c0 := ag.Param(fill(1, xs...)), ag.Param(fill(2, layers, n, h)), ag.Param(fill(3, layers, n, h))
			inputs := []*ag.Var{x, h0, c0}
			var outs []*ag.Var
			switch m := m.(type) {
			case *nn.LSTM:
				y, hn, cn := m.ForwardState(x, h0, c0)
				outs = []*ag.Var{y, hn, cn}
			case *nn.GRU:
				y, hn := m.ForwardState(x, h0)
				outs, inputs = []*ag.Var{y, hn}, inputs[:2]
			case *nn.RNN:
				y, hn := m.ForwardState(x, h0)
				outs, inputs = []*ag.Var{y, hn}, inputs[:2]
			}
			loss := ag.Sum(ag.Mul(outs[0], ag.Const(fill(4, outs[0].Shape()...))), false)
			for k, s := range outs[1:] {
				loss = ag.Add(loss, ag.Sum(ag.Mul(s, ag.Const(fill(5+k, s.Shape()...))), false))
			}
			ag.Backward(loss)
			near := func(what string, got *tensor.Tensor, want []float64) {
				t.Helper()
				if got == nil || got.Len() != len(want) {
					t.Fatalf("%s: %s: %v, PyTorch has %d values", name, what, got, len(want))
				}
				for i, v := range want {
					if d := math.Abs(got.Flat(i) - v); !(d <= 1e-12+1e-10*math.Abs(v)) {
						t.Errorf("%s: %s[%d] = %v, PyTorch %v", name, what, i, got.Flat(i), v)
						return
					}
				}
				checked++
			}
			for k, o := range outs {
				near([]string{"output", "h_n", "c_n"}[k], o.Value, w.Outputs[k])
			}
			for k, v := range inputs {
				near([]string{"∂/∂x", "∂/∂h0", "∂/∂c0"}[k], v.Grad, w.InputGrads[k])
			}
			for _, p := range r.Parameters() {
				near("∂/∂"+p.Name, p.Var.Grad, w.ParamGrads[p.Name])
			}
		}
	}
	if want := 2 * ((3 + 3 + 8) + (2 + 2 + 8) + (2 + 2 + 8)); checked != want { // per layout: LSTM, GRU, RNN
		t.Errorf("compared %d tensors, want %d", checked, want)
	}
}
