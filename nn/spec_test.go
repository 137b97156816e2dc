package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// Params, NumParams and Activations describe the network MLP builds,
// without building it.
func TestSpecSizesWithoutBuilding(t *testing.T) {
	for _, s := range []Spec{
		{Sizes: []int{784, 512, 256, 10}},
		{Sizes: []int{2, 3}},
		{Sizes: []int{5, 4, 3, 2}, Activation: "maxout", K: 3},
		{Sizes: []int{5, 4, 3}, Activation: "maxout"},
		{Sizes: []int{6, 7, 8, 3}, Activation: "tanh", Dropout: 0.5},
	} {
		m := MLP(s, rand.New(rand.NewPCG(1, 1)))
		ps, want := s.Params(), m.Parameters()
		if len(ps) != len(want) {
			t.Fatalf("%v: %d parameters, MLP has %d", s, len(ps), len(want))
		}
		var n int64
		for i, p := range want {
			if ps[i].Name != p.Name || !tensor.SameShape(ps[i].Shape, p.Var.Value.Shape()) {
				t.Errorf("%v: parameter %d is %s%v, MLP has %s%v", s, i, ps[i].Name, ps[i].Shape, p.Name, p.Var.Value.Shape())
			}
			n += int64(p.Var.Value.Len())
		}
		if s.NumParams() != n {
			t.Errorf("%v: NumParams %d, MLP has %d", s, s.NumParams(), n)
		}
		// Count the values of a forward pass of one example.
		m.SetTraining(true)
		var values int64
		x := tensor.Ones(tensor.Float32, 1, s.Sizes[0])
		for _, l := range m.Layers {
			y := l.Forward(ag.Const(x))
			values += int64(y.Value.Len())
			if _, ok := l.(*Dropout); ok {
				values += int64(y.Value.Len()) // the mask
			}
			x = y.Value
		}
		if got := s.Activations(); got != values {
			t.Errorf("%v: Activations %d, a forward pass makes %d", s, got, values)
		}
	}
	huge := Spec{Sizes: []int{MaxWidth, MaxWidth, MaxWidth, 10}, Activation: "maxout", K: 64}
	if err := huge.Check(); err != nil {
		t.Fatal(err)
	}
	if got, want := huge.NumParams(), int64(64*MaxWidth)*(MaxWidth+1)*2+10*(MaxWidth+1); got != want {
		t.Errorf("NumParams of %v = %d, want %d", huge.Sizes, got, want)
	}
	many := Spec{Sizes: make([]int, 150000)}
	for i := range many.Sizes {
		many.Sizes[i] = MaxWidth
	}
	many.Activation, many.K = "maxout", 64
	if got := many.NumParams(); got != math.MaxInt64 {
		t.Errorf("NumParams of 150000 layers of 2²⁰ maxout units = %d, want math.MaxInt64 (beyond counting)", got)
	}
}

// State.Fits compares a file's tensors with an architecture before the
// network is built.
func TestStateFits(t *testing.T) {
	s := Spec{Sizes: []int{3, 4, 2}}
	st := &State{Tensors: map[string]*tensor.Tensor{}}
	for _, p := range MLP(s, rand.New(rand.NewPCG(1, 1))).Parameters() {
		st.Names = append(st.Names, p.Name)
		st.Tensors[p.Name] = p.Var.Value
	}
	if err := st.Fits(s); err != nil {
		t.Error(err)
	}
	for spec, want := range map[string]string{
		`{"sizes":[3,1048576,2]}`: `tensor "0.weight" has shape [4 3], the architecture wants [1048576 3]`,
		`{"sizes":[3,4,2,2]}`:     `no tensor "4.weight"`,
		`{"sizes":[3,2]}`:         `tensor "0.weight" has shape [4 3], the architecture wants [2 3]`,
	} {
		s, err := ParseSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Fits(s); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %s", spec, err, want)
		}
	}
	delete(st.Tensors, "2.bias")
	st.Names = st.Names[:3]
	st.Names = append(st.Names, "extra")
	st.Tensors["extra"] = tensor.New(tensor.Float32, 2)
	st.Tensors["2.bias"] = tensor.New(tensor.Float32, 2)
	st.Tensors["more"] = tensor.New(tensor.Float32, 2)
	st.Names = append(st.Names, "more")
	if err := st.Fits(s); err == nil || err.Error() != `unexpected tensor "extra"` {
		t.Errorf("an extra tensor: %v", err)
	}
}

// The architecture is outside input: whatever a file's metadata says,
// ParseSpec returns an error or a Spec whose sizes NumParams and
// Activations give without building anything; and where the network is
// small, MLP builds exactly what Params describes.
func FuzzSpec(f *testing.F) {
	for _, s := range []string{
		`{"sizes":[784,512,256,10],"activation":"relu"}`,
		`{"sizes":[2,100,3],"activation":"maxout","k":64}`,
		`{"sizes":[1048576,1048576,1048576,10]}`,
		`{"sizes":[784,100000,100000,10],"activation":"tanh","dropout":0.5}`,
		`{"sizes":[3,4,2],"activation":"leaky_relu","slope":0.2}`,
		`{"sizes":[-1,2]}`, `{"sizes":[2]}`, `{"sizes":[2,3],"k":-1}`, `{"sizes":[2,3],"dropout":1}`,
		`{"sizes":[1e9,2]}`, `{"sizes":[2,3]} x`, `{}`, `null`, `[]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseSpec(text)
		if err != nil {
			return
		}
		n, a := s.NumParams(), s.Activations()
		if n <= 0 || a <= 0 {
			t.Fatalf("%s: %d parameters, %d activations", text, n, a)
		}
		var sum int64
		ps := s.Params()
		for _, p := range ps {
			if len(p.Shape) == 0 || p.Shape[0] <= 0 || p.Shape[0] > 64*MaxWidth {
				t.Fatalf("%s: parameter %s%v", text, p.Name, p.Shape)
			}
			e := int64(1)
			for _, d := range p.Shape {
				e *= int64(d)
			}
			if sum += e; sum < 0 {
				sum = math.MaxInt64
			}
		}
		if n != math.MaxInt64 && n != sum {
			t.Fatalf("%s: NumParams %d, the parameters add to %d", text, n, sum)
		}
		if n > 1e5 || a > 1e5 {
			return // too large to build here
		}
		m := MLP(s, rand.New(rand.NewPCG(1, 1)))
		got := m.Parameters()
		if len(got) != len(ps) {
			t.Fatalf("%s: MLP has %d parameters, Params %d", text, len(got), len(ps))
		}
		for i, p := range got {
			if p.Name != ps[i].Name || !tensor.SameShape(p.Var.Value.Shape(), ps[i].Shape) {
				t.Fatalf("%s: MLP has %s%v, Params %s%v", text, p.Name, p.Var.Value.Shape(), ps[i].Name, ps[i].Shape)
			}
		}
	})
}
