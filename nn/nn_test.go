package nn

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if !(math.Abs(got-want) <= tol) {
		t.Errorf("%s = %v, want %v (±%g)", what, got, want, tol)
	}
}

func TestHingeCS231n(t *testing.T) {
	// The worked case of the CS231n notes: losses 2.9, 0 and 12.9.
	s := tensor.FromSlice([]float64{3.2, 5.1, -1.7, 1.3, 4.9, 2.0, 2.2, 2.5, -3.1}, 3, 3)
	near(t, "hinge", Hinge(ag.Const(s), []int{0, 1, 2}).Item(), 15.8/3, 1e-12)
}

func TestBCEWithLogitsStable(t *testing.T) {
	x := tensor.FromSlice([]float64{1000, -1000, 0}, 3)
	y := tensor.FromSlice([]float64{1, 1, 0.5}, 3)
	// Per element: 0, 1000, ln 2.
	near(t, "bce", BCEWithLogits(ag.Const(x), y).Item(), (1000+math.Ln2)/3, 1e-9)
}

func TestL2Conventions(t *testing.T) {
	w := ag.Const(tensor.FromSlice([]float64{1, -2, 3}, 3))
	near(t, "L2", L2(0.1, w).Item(), 1.4, 1e-12)
	near(t, "HalfL2", HalfL2(0.1, w).Item(), 0.7, 1e-12)
	p := ag.Param(tensor.FromSlice([]float64{1, -2, 3}, 3))
	ag.Backward(HalfL2(0.1, p))
	near(t, "∂HalfL2/∂w₁", p.Grad.Flat(1), -0.2, 1e-12) // reg·w
}

func TestMSE(t *testing.T) {
	p := ag.Const(tensor.FromSlice([]float64{1, 2, 3, 4}, 2, 2))
	q := ag.Const(tensor.FromSlice([]float64{0, 2, 5, 4}, 2, 2))
	near(t, "MSE", MSE(p, q).Item(), 5.0/4, 1e-12)
}

func TestLinearLayoutAndNames(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	l := NewLinear(rng, 3, 2, nil)
	if !tensor.SameShape(l.Weight.Shape(), []int{2, 3}) || !tensor.SameShape(l.Bias.Shape(), []int{2}) {
		t.Fatalf("weight %v bias %v", l.Weight.Shape(), l.Bias.Shape())
	}
	l.Weight.Value = tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	l.Bias.Value = tensor.FromSlice([]float32{0.5, -1}, 2)
	y := l.Forward(ag.Const(tensor.FromSlice([]float32{1, 0, -1, 2, 1, 0}, 2, 3)))
	want := tensor.FromSlice([]float32{-1.5, -3, 4.5, 12}, 2, 2)
	if !tensor.Equal(y.Value, want) {
		t.Errorf("x·Wᵀ+b = %v, want %v", y.Value, want)
	}
}

func TestMLPNamesFollowPyTorch(t *testing.T) {
	m := MLP(Spec{Sizes: []int{784, 512, 256, 10}}, rand.New(rand.NewPCG(1, 2)))
	var got []string
	for _, p := range m.Parameters() {
		got = append(got, fmt.Sprint(p.Name, " ", p.Var.Shape()))
	}
	want := "0.weight [512 784]|0.bias [512]|2.weight [256 512]|2.bias [256]|4.weight [10 256]|4.bias [10]"
	if strings.Join(got, "|") != want {
		t.Errorf("parameters\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	if n := len(Weights(m)); n != 3 {
		t.Errorf("Weights: %d", n)
	}
	d := MLP(Spec{Sizes: []int{4, 8, 3}, Activation: "maxout", K: 3, Dropout: 0.5}, rand.New(rand.NewPCG(1, 2)))
	ps := d.Parameters()
	if len(d.Layers) != 4 || ps[0].Var.Shape()[0] != 24 || ps[2].Name != "3.weight" {
		t.Errorf("maxout MLP: %d layers, %v", len(d.Layers), ps[0].Var.Shape())
	}
	if y := d.Forward(ag.Const(tensor.New(tensor.Float32, 5, 4))); !tensor.SameShape(y.Shape(), []int{5, 3}) {
		t.Errorf("maxout MLP output %v", y.Shape())
	}
}

func TestDropout(t *testing.T) {
	d := NewDropout(0.25, rand.New(rand.NewPCG(3, 4)))
	x := ag.Const(tensor.Ones(tensor.Float64, 100, 100))
	y := d.Forward(x).Value
	zeros, sum := 0, 0.0
	for i := 0; i < y.Len(); i++ {
		v := y.Flat(i)
		if v == 0 {
			zeros++
		} else if math.Abs(v-4.0/3) > 1e-12 {
			t.Fatalf("kept value %v, want 4/3", v)
		}
		sum += v
	}
	near(t, "dropped fraction", float64(zeros)/1e4, 0.25, 0.02)
	near(t, "mean", sum/1e4, 1, 0.03)
	d.SetTraining(false)
	if d.Forward(x) != x {
		t.Error("dropout in evaluation mode is not the identity")
	}
}

func TestInitStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		name string
		init Init
		std  float64
	}{
		{"XavierUniform", XavierUniform, math.Sqrt(2.0 / 700)},
		{"XavierNormal", XavierNormal, math.Sqrt(2.0 / 700)},
		{"HeUniform", HeUniform, math.Sqrt(2.0 / 400)},
		{"HeNormal", HeNormal, math.Sqrt(2.0 / 400)},
		{"Normal", Normal(0.01), 0.01},
	} {
		w := tensor.New(tensor.Float64, 300, 400)
		c.init(rng, w)
		var s, ss float64
		for i := 0; i < w.Len(); i++ {
			s += w.Flat(i)
			ss += w.Flat(i) * w.Flat(i)
		}
		n := float64(w.Len())
		near(t, c.name+" mean", s/n, 0, c.std/50)
		near(t, c.name+" std", math.Sqrt(ss/n), c.std, c.std/50)
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	spec := Spec{Sizes: []int{5, 4, 3}, Activation: "tanh"}
	m := MLP(spec, rng)
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, m.Parameters(), map[string]string{"architecture": spec.String()}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	hlen := int(b[0]) | int(b[1])<<8
	if hlen%8 != 0 || !strings.Contains(string(b[8:8+hlen]), `"0.weight":{"dtype":"F32","shape":[4,5],"data_offsets":[0,80]}`) {
		t.Errorf("header %s", b[8:8+hlen])
	}
	st, err := ReadSafetensors(bytes.NewReader(b), "m.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(st.Names, " ") != "0.weight 0.bias 2.weight 2.bias" {
		t.Errorf("names %v", st.Names)
	}
	s2, err := ParseSpec(st.Metadata["architecture"])
	if err != nil || s2.String() != spec.String() {
		t.Fatalf("spec %v %v", s2, err)
	}
	m2 := MLP(s2, rand.New(rand.NewPCG(9, 9)))
	if err := st.Load(m2); err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Parameters() {
		if !tensor.Equal(p.Var.Value, m2.Parameters()[i].Var.Value) {
			t.Errorf("%s differs after the round trip", p.Name)
		}
	}
	if err := st.Load(MLP(Spec{Sizes: []int{5, 6, 3}}, rng)); err == nil || err.Error() != `tensor "0.weight" has shape [4 5], the model wants [6 5]` {
		t.Errorf("Load into the wrong shape: %v", err)
	}
}

func TestSafetensorsErrors(t *testing.T) {
	header := func(h string) []byte {
		b := []byte{byte(len(h)), 0, 0, 0, 0, 0, 0, 0}
		return append(b, h...)
	}
	for _, c := range []struct {
		in   []byte
		want string
	}{
		{[]byte{1, 2}, "safetensors: f: offset 2: truncated header length"},
		{[]byte{0, 0, 0, 0, 0, 0, 0, 1}, "safetensors: f: offset 0: header length 72057594037927936 exceeds 104857600"},
		{header("{x"), "safetensors: f: offset 10: header: invalid character 'x' looking for beginning of object key string"},
		{header(`{"a":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}`), `safetensors: f: offset 8: header: tensor "a": dtype "I8", want F32 or F64`},
		{header(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`), `safetensors: f: offset 8: header: tensor "a": data_offsets [0, 4] for F32[2], want [0, 8]`},
		{append(header(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`), 1, 2, 3), `safetensors: f: offset 65: truncated data of tensor "a": 3 of 8 bytes`},
	} {
		_, err := ReadSafetensors(bytes.NewReader(c.in), "f")
		if err == nil || err.Error() != c.want {
			t.Errorf("ReadSafetensors(%q):\n got %v\nwant %s", c.in, err, c.want)
		}
	}
}

func FuzzReadSafetensors(f *testing.F) {
	var buf bytes.Buffer
	m := MLP(Spec{Sizes: []int{2, 3, 2}}, rand.New(rand.NewPCG(1, 2)))
	WriteSafetensors(&buf, m.Parameters(), map[string]string{"architecture": "{}"})
	f.Add(buf.Bytes())
	f.Add([]byte{8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '})
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, '{'})
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ReadSafetensors(bytes.NewReader(b), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "safetensors: fuzz: offset ") {
				t.Fatalf("error %q does not name the file and offset", err)
			}
			return
		}
		if len(st.Names) != len(st.Tensors) {
			t.Fatalf("%d names for %d tensors", len(st.Names), len(st.Tensors))
		}
	})
}

func TestSpecErrors(t *testing.T) {
	for text, want := range map[string]string{
		`{"sizes":[3]}`:                        "architecture: 1 layer sizes [3], want at least 2 (inputs and classes)",
		`{"sizes":[3,2],"activation":"swish"}`: `architecture: unknown activation "swish" (want one of relu, leaky_relu, elu, tanh, sigmoid, maxout)`,
		`{"sizes":[3,0]}`:                      "architecture: layer size 0 in [3 0] out of range",
		`{"size":[3,2]}`:                       `architecture: json: unknown field "size"`,
	} {
		if _, err := ParseSpec(text); err == nil || err.Error() != want {
			t.Errorf("ParseSpec(%s): %v, want %s", text, err, want)
		}
	}
}

// A Linear layer without bias computes x·Wᵀ, alone and fused with a
// following ReLU, and has the parameter "weight" only.
func TestLinearWithoutBias(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	l := NewLinear(rng, 3, 2, nil)
	l.Bias = nil
	x := tensor.Randn(rng, tensor.Float32, 4, 3)
	want := tensor.MatMul(x, l.Weight.Value, false, true)
	if got := l.Forward(ag.Const(x)).Value; !tensor.AllClose(got, want, 0, 0) {
		t.Errorf("Forward %v, want %v", got.Values(), want.Values())
	}
	s := NewSequential(l, ReLU{})
	y := s.Forward(ag.Const(x))
	for i, v := range want.Values() {
		if got := y.Value.Flat(i); got != max(v, 0) {
			t.Errorf("fused with ReLU: element %d is %v, want %v", i, got, max(v, 0))
		}
	}
	ag.Backward(ag.Sum(y, false))
	if l.Weight.Grad == nil {
		t.Error("no gradient for the weight")
	}
	if ps := s.Parameters(); len(ps) != 1 || ps[0].Name != "0.weight" {
		t.Errorf("parameters %v", ps)
	}
}

// A batch split into shards, each passed through its own copy of a
// Dropout layer with the shard set, gets the masks the whole batch gets
// from one layer, and every copy's random stream ends where the whole
// batch's does — a shard of no rows included.
func TestDropoutShards(t *testing.T) {
	x := tensor.Randn(rand.New(rand.NewPCG(3, 4)), tensor.Float32, 7, 3, 2)
	whole := NewDropout(0.4, rand.New(rand.NewPCG(5, 6)))
	want := whole.Forward(ag.Const(x)).Value
	next := whole.Rand.Uint64()
	for _, cuts := range [][]int{{0, 7}, {0, 3, 7}, {0, 2, 2, 5, 7}} {
		for k := 0; k+1 < len(cuts); k++ {
			lo, hi := cuts[k], cuts[k+1]
			d := NewDropout(0.4, rand.New(rand.NewPCG(5, 6)))
			d.SetShard(lo, 7)
			got := d.Forward(ag.Const(tensor.Slice(x, 0, lo, hi))).Value
			if !tensor.Equal(got, tensor.Slice(want, 0, lo, hi)) {
				t.Errorf("rows [%d, %d): masks differ from the whole batch's", lo, hi)
			}
			if n := d.Rand.Uint64(); n != next {
				t.Errorf("rows [%d, %d): the random stream is out of step", lo, hi)
			}
		}
	}
	d := NewDropout(0.4, rand.New(rand.NewPCG(5, 6)))
	d.SetShard(5, 7)
	if msg := panics(func() { d.Forward(ag.Const(x)) }); msg != "nn: Dropout: a batch of shape [7 3 2] from row 5 of 7" {
		t.Errorf("panic %q", msg)
	}
}

func panics(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
