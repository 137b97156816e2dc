package nn

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

// A model file round-trips: the description, the labels, the other
// metadata, and a Forward that standardises raw inputs exactly as
// data.Dataset.Standardize does.
func TestModelFileRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	net := MLP(Spec{Sizes: []int{4, 6, 3}, Activation: "tanh"}, rng)
	net.SetTraining(false)
	m, err := NewModel(net, nil, Standardization{Mean: 0.1307, Std: 0.3081}, []string{"cat", "dog", "frog"})
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
	if got.Arch != "linear(6) tanh linear(3)" || !slices.Equal(got.Shape, []int{4}) || got.Input != m.Input || strings.Join(got.Labels, ",") != "cat,dog,frog" ||
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
	if got := (Description{Arch: "linear(3)"}).Label(2); got != "2" {
		t.Errorf("default label %q", got)
	}
	// The file's own keys are not another package's.
	if err := WriteModel(&b, m, map[string]string{"architecture": "x"}); err == nil || err.Error() != `nn: WriteModel: metadata key "architecture" is the model file's own` {
		t.Errorf("extra architecture: %v", err)
	}
	m.Arch = "linear(6) relu linear(3)"
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
		{map[string]string{"architecture": "linear(3) relu linear(2)", "input_shape": "[2]", "format_version": "2"}, ""},
		{map[string]string{"architecture": "linear(3) relu linear(2)", "format_version": "2"}, `m: no "input_shape" in the metadata of a version 2 model file`},
		{map[string]string{"architecture": "linear(3) relu linear(2)", "input_shape": "2", "format_version": "2"}, `m: input_shape: want a JSON list of sizes, got "2"`},
		{map[string]string{"architecture": "linear(3) relu linear(5)", "input_shape": "[2]", "format_version": "2"}, `m: tensor "2.weight" has shape [2 3], the architecture wants [5 3]`},
		{map[string]string{"architecture": arch, "format_version": "3"}, "m: model format version 3 is newer than this program reads (2): update backprop to read it"},
		{map[string]string{"architecture": arch, "format_version": "v1"}, `m: unknown model format version "v1" (this program reads versions 1 to 2)`},
		{map[string]string{"architecture": arch, "format_version": "0"}, `m: unknown model format version "0" (this program reads versions 1 to 2)`},
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
