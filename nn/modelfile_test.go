package nn

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// Describe gives back the Spec MLP was built from, in its normal form,
// for every activation, dropout and maxout; Build makes the same layers.
func TestDescribeRoundTrip(t *testing.T) {
	for _, s := range []Spec{
		{Sizes: []int{784, 512, 256, 10}},
		{Sizes: []int{2, 3}},
		{Sizes: []int{5, 4, 3, 2}, Activation: "maxout", K: 3},
		{Sizes: []int{5, 4, 3}, Activation: "maxout"},
		{Sizes: []int{6, 7, 8, 3}, Activation: "tanh", Dropout: 0.5},
		{Sizes: []int{6, 7, 3}, Activation: "sigmoid"},
		{Sizes: []int{6, 7, 3}, Activation: "leaky_relu", Slope: 0.2},
		{Sizes: []int{6, 7, 3}, Activation: "leaky_relu", Slope: 0.01},
		{Sizes: []int{6, 7, 3}, Activation: "elu", Alpha: 0.7, Dropout: 0.1},
		{Sizes: []int{6, 7, 3}, Activation: "elu"},
	} {
		m := MLP(s, rand.New(rand.NewPCG(1, 1)))
		got, err := Describe(m)
		if err != nil {
			t.Errorf("%v: %v", s, err)
			continue
		}
		if got.String() != s.Normal().String() {
			t.Errorf("Describe(MLP(%v)) = %v, want %v", s, got, s.Normal())
		}
		b, err := Build(got, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		x := ag.Const(tensor.Randn(rand.New(rand.NewPCG(2, 2)), tensor.Float32, 3, s.Sizes[0]))
		m.SetTraining(false)
		b.SetTraining(false)
		if !tensor.Equal(m.Forward(x).Value, b.Forward(x).Value) {
			t.Errorf("%v: Build(Describe(m)) computes another function", s)
		}
	}
	if got, _ := Describe(&Model{Net: MLP(Spec{Sizes: []int{2, 3}}, rand.New(rand.NewPCG(1, 1)))}); got.String() != `{"sizes":[2,3],"activation":"relu"}` {
		t.Errorf("Describe of a Model: %v", got)
	}
}

// What a Spec cannot describe is refused, naming the layer.
func TestDescribeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	lin := func(in, out int) *Linear { return NewLinear(rng, in, out, nil) }
	for _, c := range []struct {
		m    Module
		want string
	}{
		{ReLU{}, "nn: Describe: a nn.ReLU cannot be described; a model file holds a Sequential"},
		{NewSequential(), "nn: Describe: an empty Sequential"},
		{NewSequential(ReLU{}, lin(2, 3)), "nn: Describe: layer 0 is a nn.ReLU where a Linear layer belongs"},
		{NewSequential(lin(2, 3), lin(3, 2)), "nn: Describe: layer 1: a *nn.Linear where an activation belongs"},
		{NewSequential(lin(2, 3), ReLU{}), "nn: Describe: the network ends with layer 1, a nn.ReLU: the last layer must be Linear"},
		{NewSequential(lin(2, 3), ReLU{}, lin(4, 2)), "nn: Describe: layer 2 takes 4 inputs, the layer before gives 3"},
		{NewSequential(lin(2, 3), Tanh{}, lin(3, 3), Sigmoid{}, lin(3, 2)), "nn: Describe: layer 3 is sigmoid, an earlier one tanh: a Spec has one activation"},
		{NewSequential(lin(2, 3), LeakyReLU{Slope: 0.1}, lin(3, 3), LeakyReLU{Slope: 0.2}, lin(3, 2)), "nn: Describe: layer 3 is leaky_relu(slope 0.2), an earlier one leaky_relu(slope 0.1): a Spec has one activation"},
		{NewSequential(lin(2, 3), LeakyReLU{}, lin(3, 2)), "nn: Describe: layer 1: a LeakyReLU of slope 0, which a Spec cannot describe (its 0 means 0.01): use ReLU"},
		{NewSequential(lin(2, 3), ReLU{}, NewDropout(0.5, rng), lin(3, 3), ReLU{}, lin(3, 2)), "nn: Describe: dropout 0 at layer 4, 0.5 before it: a Spec has one dropout probability"},
		{NewSequential(lin(2, 3), ReLU{}, NewDropout(0, rng), lin(3, 2)), "nn: Describe: layer 2 is a Dropout of probability 0, which a Spec cannot describe"},
		{NewSequential(lin(2, 5), MaxoutModule{K: 2}, lin(2, 2)), "nn: Describe: layer 1: maxout of 2 pieces after a Linear layer of width 5"},
	} {
		_, err := Describe(c.m)
		if err == nil || err.Error() != c.want {
			t.Errorf("got  %v\nwant %s", err, c.want)
		}
	}
	// A Linear layer whose sizes disagree with its weights.
	l := lin(2, 3)
	l.Out = 4
	if _, err := Describe(NewSequential(lin(3, 2), ReLU{}, l)); err == nil || !strings.Contains(err.Error(), "parameter 2.weight[3 2], the architecture") {
		t.Errorf("a Linear layer whose Out lies: %v", err)
	}
}

// A model file round-trips: the description, the labels, the other
// metadata, and a Forward that standardises raw inputs exactly as
// data.Dataset.Standardize does.
func TestModelFileRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	net := MLP(Spec{Sizes: []int{4, 6, 3}, Activation: "tanh"}, rng)
	net.SetTraining(false)
	m, err := NewModel(net, Standardization{Mean: 0.1307, Std: 0.3081}, []string{"cat", "dog", "frog"})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteModel(&b, m, map[string]string{"dataset": `{"name":"pets"}`}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadModel(bytes.NewReader(b.Bytes()), "m")
	if err != nil {
		t.Fatal(err)
	}
	if got.Arch.String() != `{"sizes":[4,6,3],"activation":"tanh"}` || got.Input != m.Input || strings.Join(got.Labels, ",") != "cat,dog,frog" ||
		len(got.Extra) != 1 || got.Extra["dataset"] != `{"name":"pets"}` || got.Label(2) != "frog" || got.Inputs() != 4 || got.Classes() != 3 {
		t.Errorf("read back %+v, extra %v", got.Description, got.Extra)
	}
	raw := tensor.Rand(rng, tensor.Float32, 5, 4)
	std := raw.Clone()
	tensor.ScaleTo(std, tensor.AddScalarTo(std, std, -0.1307), 1/0.3081)
	want := tensor.Softmax(net.Forward(ag.Const(std)).Value, 1)
	if p := got.Predict(raw); !tensor.Equal(p, want) {
		t.Errorf("Predict of raw inputs is not the network on standardised ones:\n%v\n%v", p, want)
	}
	if got := (Description{Arch: Spec{Sizes: []int{2, 3}}}).Label(2); got != "2" {
		t.Errorf("default label %q", got)
	}
	// The file's own keys are not another package's.
	if err := WriteModel(&b, m, map[string]string{"architecture": "x"}); err == nil || err.Error() != `nn: WriteModel: metadata key "architecture" is the model file's own` {
		t.Errorf("extra architecture: %v", err)
	}
	m.Arch.Activation = "relu"
	if err := WriteModel(&b, m, nil); err == nil || !strings.Contains(err.Error(), "is not its network's") {
		t.Errorf("a Model whose Arch lies: %v", err)
	}
}

// writeMeta writes the network of spec as a model file with the metadata
// md in place of its own.
func writeMeta(t *testing.T, spec Spec, md map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteSafetensors(&b, MLP(spec, rand.New(rand.NewPCG(1, 1))).Parameters(), md); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A file's metadata is checked: versions it does not know, preprocessing
// that cannot be applied, labels that do not fit; files without a
// version are version 1.
func TestModelFileMetadataErrors(t *testing.T) {
	arch := `{"sizes":[2,3,2],"activation":"relu"}`
	for _, c := range []struct {
		md   map[string]string
		want string // "" for no error
	}{
		{map[string]string{"architecture": arch}, ""},
		{map[string]string{"architecture": arch, "format_version": "1", "preprocessing": `{"mean":0.5,"std":2}`}, ""},
		{map[string]string{"architecture": arch, "format_version": "2"}, "m: model format version 2 is newer than this program reads (1): update backprop to read it"},
		{map[string]string{"architecture": arch, "format_version": "v1"}, `m: unknown model format version "v1" (this program reads version 1)`},
		{map[string]string{"architecture": arch, "format_version": "0"}, `m: unknown model format version "0" (this program reads version 1)`},
		{map[string]string{"format_version": "1"}, `m: no "architecture" in the metadata: not a model file`},
		{map[string]string{"architecture": arch, "preprocessing": `{"mean":0,"std":-1}`}, "m: preprocessing: mean 0, std -1: want a finite mean and a finite positive std"},
		{map[string]string{"architecture": arch, "preprocessing": `{"mean":1,"std":0}`}, "m: preprocessing: mean 1, std 0: want a finite mean and a finite positive std"},
		{map[string]string{"architecture": arch, "preprocessing": `{"mean":0,"std":1,"max":3}`}, `m: preprocessing: json: unknown field "max"`},
		{map[string]string{"architecture": arch, "labels": `["a"]`}, "m: labels: 1 names for 2 classes"},
		{map[string]string{"architecture": arch, "labels": `["a",""]`}, `m: labels: class 1 is named "": want 1 to 64 bytes`},
		{map[string]string{"architecture": arch, "labels": `"ab"`}, `m: labels: want a JSON list of strings, got "\"ab\""`},
	} {
		_, err := ReadModel(bytes.NewReader(writeMeta(t, Spec{Sizes: []int{2, 3, 2}}, c.md)), "m")
		if (err == nil) != (c.want == "") || (err != nil && err.Error() != c.want) {
			t.Errorf("%v:\n got %v\nwant %q", c.md, err, c.want)
		}
	}
	// A checkpoint's optimizer state is not part of the model.
	ps := MLP(Spec{Sizes: []int{2, 3, 2}}, rand.New(rand.NewPCG(1, 1))).Parameters()
	ps = append(ps, Parameter{OptimizerPrefix + "0", ag.Const(tensor.New(tensor.Float32, 7))},
		Parameter{BestPrefix + "0", ag.Const(tensor.New(tensor.Float32, 3, 2))})
	var b bytes.Buffer
	WriteSafetensors(&b, ps, map[string]string{"architecture": arch})
	if m, err := ReadModel(&b, "ck"); err != nil || len(m.Parameters()) != 4 {
		t.Errorf("a checkpoint: %v", err)
	}
}

// Whatever a file's metadata says, ReadModel returns a model or an error
// naming the file, never panics, and builds no network the file does not
// hold.
func FuzzReadModelMetadata(f *testing.F) {
	for _, s := range [][4]string{
		{"1", `{"sizes":[2,3,2],"activation":"relu"}`, `{"mean":0,"std":1}`, ``},
		{"", `{"sizes":[2,3,2]}`, `{"mean":0.5,"std":2}`, `["a","b"]`},
		{"2", `{"sizes":[2,3,2]}`, ``, ``},
		{"1", `{"sizes":[2,1048576,1048576,2],"activation":"maxout","k":64}`, ``, ``},
		{"1", `{"sizes":[2,3,2]}`, `{"mean":NaN}`, `[1]`},
		{"01", `[`, `{`, `["`},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	ps := MLP(Spec{Sizes: []int{2, 3, 2}}, rand.New(rand.NewPCG(1, 1))).Parameters()
	f.Fuzz(func(t *testing.T, version, arch, prep, labels string) {
		md := map[string]string{"architecture": arch}
		for k, v := range map[string]string{"format_version": version, "preprocessing": prep, "labels": labels} {
			if v != "" {
				md[k] = v
			}
		}
		var b bytes.Buffer
		if err := WriteSafetensors(&b, ps, md); err != nil {
			t.Fatal(err)
		}
		m, err := ReadModel(&b, "f", MaxMemory(32<<20))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f: ") && !strings.HasPrefix(err.Error(), "safetensors: f: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if len(m.Parameters()) != 4 || m.Input.Std <= 0 || (m.Labels != nil && len(m.Labels) != m.Classes()) {
			t.Fatalf("%v: model %+v", md, m.Description)
		}
		m.Predict(tensor.New(tensor.Float32, 1, m.Inputs()))
	})
}
