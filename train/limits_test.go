package train

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"backprop/nn"
)

// writeModel writes the float32 network of tensors spec with the metadata
// of meta in its place: a file whose architecture may lie, its checksums
// right (SaveModel would describe the network as it is).
func writeModel(t testing.TB, path string, tensors nn.Spec, meta Meta) {
	t.Helper()
	m := nn.MLP(tensors, rand.New(rand.NewPCG(1, 1)))
	md := map[string]string{"architecture": meta.Spec.String(), "preprocessing": `{"mean":0,"std":1}`}
	for k, v := range meta.extra() {
		md[k] = v
	}
	if err := WriteFileAtomic(path, func(w io.Writer) error { return nn.WriteSafetensors(w, m.Parameters(), md) }); err != nil {
		t.Fatal(err)
	}
}

// loadModel reads a model file as the command line does: nn.Load, then
// the data set it was trained on; errors name the file.
func loadModel(path string, limit ...nn.MaxMemory) (*nn.Model, error) {
	m, err := nn.Load(path, limit...)
	if err != nil {
		return nil, err
	}
	if _, err := DataOf(m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return m, nil
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// A file of a few hundred bytes whose architecture claims huge layers is
// refused, naming the field, what it needs and the limit, before
// anything of that size is allocated; one whose architecture is modest
// but does not match its tensors is refused before the network is built.
func TestLoadModelWeighsTheArchitecture(t *testing.T) {
	dir := t.TempDir()
	small := nn.Spec{Sizes: []int{2, 3, 2}}
	for _, c := range []struct {
		arch nn.Spec
		data DataInfo
		want string
	}{
		{nn.Spec{Sizes: []int{784, nn.MaxWidth, nn.MaxWidth, 10}, Activation: "relu"}, DataInfo{Name: "mnist"},
			`architecture {"sizes":[784,1048576,1048576,10],"activation":"relu"}: a network of 1100346294282 parameters needs 8.01 TiB, limit 64.0 MiB`},
		{nn.Spec{Sizes: []int{2, 1000, 2}}, DataInfo{},
			`tensor "0.weight" has shape [3 2], the architecture wants [1000 2]`},
		{nn.Spec{Sizes: []int{2, 3, 2}}, DataInfo{Name: "spiral", Points: -5, Classes: 2},
			`dataset: a spiral of -5 points in 2 classes`},
		{nn.Spec{Sizes: []int{2, 3, 2}}, DataInfo{Name: "spiral", Points: 5, Classes: 3},
			`dataset: a spiral of 3 classes, but the architecture has 2 outputs`},
	} {
		path := filepath.Join(dir, "m.safetensors")
		writeModel(t, path, small, Meta{Spec: c.arch, Std: 1, Data: c.data})
		var err error
		n := allocated(func() { _, err = loadModel(path, nn.MaxMemory(64<<20)) })
		if err == nil || err.Error() != path+": "+c.want {
			t.Errorf("%v:\n got %v\nwant %s: %s", c.arch.Sizes, err, path, c.want)
		}
		if n > 1<<20 {
			t.Errorf("%v: allocated %d bytes before refusing", c.arch.Sizes, n)
		}
		if _, err := ReadCheckpoint(path, nn.MaxMemory(64<<20)); err == nil {
			t.Errorf("%v: read as a checkpoint", c.arch.Sizes)
		}
	}
	// Without a limit, the memory available is the limit.
	path := filepath.Join(dir, "m.safetensors")
	writeModel(t, path, small, Meta{Spec: nn.Spec{Sizes: []int{nn.MaxWidth, nn.MaxWidth, nn.MaxWidth, nn.MaxWidth, 10}, Activation: "maxout", K: 64}, Std: 1})
	if _, err := loadModel(path); err == nil || !strings.HasSuffix(err.Error(), " (the memory available)") || !strings.Contains(err.Error(), "needs 1.50 PiB, limit ") {
		t.Errorf("without a limit: %v", err)
	}
}

// A checkpoint whose header has one flipped bit, wherever it is, is
// refused: a resumed run never starts from a corrupted configuration.
func TestCheckpointHeaderBitFlips(t *testing.T) {
	ds, m, opt, src, rng, spec := setup("adam", 7)
	ds = ds.Head(12)
	cfg := config(opt, src, rng)
	cfg.Epochs, cfg.Batch = 1, 4
	path := filepath.Join(t.TempDir(), "ck.safetensors")
	cfg.Checkpoint = func(p Progress) bool {
		if p.EpochEnd {
			err := WriteCheckpoint(path, m, opt, &Checkpoint{Meta: Meta{Spec: spec, Std: 1, Data: DataInfo{Name: "spiral", Points: 4, Classes: 3, Seed: 1}},
				Position: p.Position(), Extra: map[string]string{"flags": `{"epochs":"470"}`}})
			if err != nil {
				t.Fatal(err)
			}
		}
		return false
	}
	if _, err := Run(m, ds, nil, cfg); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readCheckpoint(bytes.NewReader(b), path, 0); err != nil {
		t.Fatal(err)
	}
	hlen := int(binary.LittleEndian.Uint64(b))
	corrupt := 0
	for i := 0; i < 8+hlen; i++ {
		for bit := 0; bit < 8; bit++ {
			bad := bytes.Clone(b)
			bad[i] ^= 1 << bit
			_, err := readCheckpoint(bytes.NewReader(bad), path, 1<<30)
			if err == nil {
				t.Fatalf("byte %d (%q), bit %d flipped: the checkpoint reads without error", i, b[i], bit)
			}
			if strings.HasSuffix(err.Error(), "(the file is corrupt)") {
				corrupt++
			}
		}
	}
	// Nearly every flip is caught by the checksum; the rest (in the length,
	// or breaking the JSON) before the checksum can be found.
	if total := 8 * (8 + hlen); corrupt < total*9/10 {
		t.Errorf("only %d of %d flipped bits reported as corruption", corrupt, total)
	}
	t.Logf("%d-byte header: %d of %d flips caught by the checksum", hlen, corrupt, 8*(8+hlen))
}

func TestTrainingMemory(t *testing.T) {
	spec := nn.Spec{Sizes: []int{784, 512, 256, 10}}
	// 535818 parameters ×4 bytes × (value, gradient, 2 Adam states, and
	// the value and states again for the file); activations 1546 per
	// example, with gradients on 128 examples, without on 1000.
	p := int64(535818)
	want := 4*7*p + 4*128*(2*1546+784+2*10) + 4*1000*(1546+784+10)
	if got := TrainingMemory(spec, 128, 2); got != want {
		t.Errorf("TrainingMemory = %d, want %d", got, want)
	}
	if got, want := InferenceMemory(spec, 1), 8*p+4*(1546+784+10); got != want {
		t.Errorf("InferenceMemory = %d, want %d", got, want)
	}
	huge := nn.Spec{Sizes: []int{784, 100000, 100000, 10}}
	if got := TrainingMemory(huge, 128, 2); got < 280e9 {
		t.Errorf("TrainingMemory of 784-100000-100000-10 = %d, want more than 280 GB", got)
	}
}

// The architecture and the data set are outside input: whatever a file
// claims, nn.Load and DataOf return a model or an error, never panics, and
// allocates little more than the file before it refuses.
func FuzzLoadModelMetadata(f *testing.F) {
	for _, s := range [][2]string{
		{`{"sizes":[2,3,2],"activation":"relu"}`, `{"name":"mnist"}`},
		{`{"sizes":[2,3,2]}`, `{"name":"spiral","points":100000000,"classes":2}`},
		{`{"sizes":[784,1048576,1048576,10],"activation":"relu"}`, `{"name":"mnist"}`},
		{`{"sizes":[2,1048576,1048576,1048576,2],"activation":"maxout","k":64}`, ``},
		{`{"sizes":[2,6,2],"activation":"maxout","k":2}`, `{"name":"spiral","points":3,"classes":2}`},
		{`{"sizes":[2,3,2],"dropout":0.5}`, `{"name":"spiral","points":-1,"classes":2}`},
		{`{"sizes":[2,3,2]}`, `{"name":"spiral","points":1,"classes":-9223372036854775808}`},
		{`{"sizes":[2,3]}`, `[]`},
		{`{"sizes":[2]}`, `{}`},
		{`{"sizes":[2,3,2],"k":65}`, `{}`},
		{`{"sizes":[2,3,2],"activation":"swish"}`, `{}`},
		{`[`, `{}`},
	} {
		f.Add(s[0], s[1])
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	tensors := nn.MLP(nn.Spec{Sizes: []int{2, 3, 2}}, rand.New(rand.NewPCG(1, 1)))
	f.Fuzz(func(t *testing.T, arch, dataset string) {
		md := map[string]string{"architecture": arch, "preprocessing": `{"mean":0,"std":1}`}
		if dataset != "" {
			md["dataset"] = dataset
		}
		err := WriteFileAtomic(path, func(w io.Writer) error {
			return nn.WriteSafetensors(w, tensors.Parameters(), md)
		})
		if err != nil {
			t.Fatal(err)
		}
		var m *nn.Model
		n := allocated(func() { m, err = loadModel(path, nn.MaxMemory(32<<20)) })
		if n > 4<<20 {
			t.Fatalf("%s %s: allocated %d bytes", arch, dataset, n)
		}
		if err == nil && len(m.Parameters()) != 4 {
			t.Fatalf("%s: a model of %d parameters from a file of 4 tensors", arch, len(m.Parameters()))
		}
		if err != nil && !strings.HasPrefix(err.Error(), path+": ") {
			t.Fatalf("%s %s: error %q does not name the file", arch, dataset, err)
		}
	})
}
