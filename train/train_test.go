package train

import (
	"bytes"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/data"
	"backprop/data/mnist"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
)

// A small MLP on 3,000 MNIST digits learns in two epochs.
func TestFitMNISTSubset(t *testing.T) {
	dir, err := mnist.DefaultDir()
	if err != nil {
		t.Fatal(err) // GoMNIST is a module dependency: go test has fetched it
	}
	all, err := mnist.LoadSet(dir, "t10k")
	if err != nil {
		t.Fatal(err)
	}
	all.Standardize(0.1307, 0.3081)
	tr, te := all.Head(4000).Split(1000, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	m := nn.MLP(nn.Spec{Sizes: []int{784, 64, 10}}, rng)
	opt := optim.NewAdam(nn.Vars(m), 2e-3)
	var steps, epochs int
	h := Fit(m, tr, te, Config{Epochs: 2, Batch: 64, Optimizer: opt, Rand: rng,
		Schedule: optim.Warmup{Steps: 10, Then: optim.Cosine{Base: 2e-3, Steps: 2 * 47}},
		OnStep:   func(Step) { steps++ }, OnEpoch: func(Epoch) { epochs++ }})
	if steps != 2*47 || epochs != 2 || len(h) != 2 {
		t.Errorf("%d steps, %d epochs, history of %d", steps, epochs, len(h))
	}
	if h[1].ValAccuracy < 0.85 || h[1].Loss > h[0].Loss {
		t.Errorf("history %+v", h)
	}
}

func TestSaveLoadModel(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	rng := rand.New(rand.NewPCG(1, 2))
	spec := nn.Spec{Sizes: []int{6, 5, 4, 3}, Activation: "elu"}
	m := nn.MLP(spec, rng)
	meta := Meta{Mean: 0.5, Std: 2, Data: DataInfo{Name: "spiral", Points: 10, Classes: 3, Seed: 7}}
	if err := SaveModel(path, m, meta); err != nil {
		t.Fatal(err)
	}
	m2, err := nn.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := DataOf(m2)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Input.Mean != 0.5 || m2.Input.Std != 2 || !reflect.DeepEqual(d, meta.Data) || m2.Arch.String() != `{"sizes":[6,5,4,3],"activation":"elu"}` {
		t.Errorf("loaded %+v, data %+v; want %+v", m2.Description, d, meta)
	}
	// The loaded model standardises its raw inputs itself.
	raw := tensor.Randn(rng, tensor.Float32, 2, 6)
	ds := data.New(raw.Clone(), []int{0, 0}, 3)
	ds.Standardize(0.5, 2)
	if !tensor.Equal(m.Forward(ag.Const(ds.X)).Value, m2.Forward(ag.Const(raw)).Value) {
		t.Error("the loaded model computes other logits")
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 {
		t.Errorf("files left behind: %v", files)
	}
	if err := SaveModel(filepath.Join(dir, "no", "m"), m, meta); err == nil {
		t.Error("saving into a missing folder succeeded")
	}
	os.WriteFile(path, []byte("junk"), 0o644)
	if _, err := nn.Load(path); err == nil || err.Error() != "safetensors: "+path+": offset 4: truncated header length" {
		t.Errorf("junk: %v", err)
	}
}

// The class names a data set records are the model file's labels.
func TestSaveModelClassNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	names := []string{"T-shirt/top", "Trouser", "Pullover"}
	m := nn.MLP(nn.Spec{Sizes: []int{4, 5, 3}}, rand.New(rand.NewPCG(1, 1)))
	if err := SaveModel(path, m, Meta{Data: DataInfo{Name: "mnist", Names: names}}); err != nil {
		t.Fatal(err)
	}
	got, err := nn.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := DataOf(got)
	if err != nil || !reflect.DeepEqual(got.Labels, names) || got.Label(1) != "Trouser" || !reflect.DeepEqual(d.Names, names) {
		t.Errorf("labels %q, data %+v, %v", got.Labels, d, err)
	}
	if err := SaveModel(path, m, Meta{Data: DataInfo{Names: names[:2]}}); err == nil || !strings.Contains(err.Error(), "labels: 2 names for 3 classes") {
		t.Errorf("two names for three classes: %v", err)
	}
}

// The architecture a file records is the model's own: a Tanh network is
// saved as tanh and loads computing the same function; a Meta that claims
// another architecture is refused instead of being written.
func TestSaveModelDescribesTheModel(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	tanh := nn.MLP(nn.Spec{Sizes: []int{4, 8, 3}, Activation: "tanh"}, rng)
	tanh.SetTraining(false)
	path := filepath.Join(dir, "tanh.safetensors")
	relu := nn.Spec{Sizes: []int{4, 8, 3}, Activation: "relu"}
	err := SaveModel(path, tanh, Meta{Spec: relu, Std: 1})
	want := `train: the Meta's architecture {"sizes":[4,8,3],"activation":"relu"} is not the model's, {"sizes":[4,8,3],"activation":"tanh"} (a saved model is described by the model itself; leave Meta.Spec empty)`
	if err == nil || err.Error() != want {
		t.Errorf("saving a tanh network as relu: %v\nwant %s", err, want)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a refused model was written: %v", err)
	}
	if err := SaveModel(path, tanh, Meta{}); err != nil {
		t.Fatal(err)
	}
	m, err := nn.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Arch.String(); got != `{"sizes":[4,8,3],"activation":"tanh"}` {
		t.Errorf("saved as %s", got)
	}
	x := tensor.Randn(rng, tensor.Float32, 5, 4)
	if !tensor.Equal(tanh.Forward(ag.Const(x)).Value, m.Forward(ag.Const(x)).Value) {
		t.Error("the loaded tanh network computes another function")
	}
	// A checkpoint derives its architecture the same way.
	opt := optim.NewAdam(nn.Vars(tanh), 0.01)
	err = WriteCheckpoint(filepath.Join(dir, "ck"), tanh, opt, &Checkpoint{Meta: Meta{Spec: relu}, Position: &Position{Epoch: 1}})
	if err == nil || !strings.Contains(err.Error(), "is not the model's") {
		t.Errorf("a checkpoint of a tanh network as relu: %v", err)
	}
	// What Describe cannot describe is refused.
	odd := nn.NewSequential(nn.NewLinear(rng, 4, 8, nil), nn.Tanh{}, nn.NewLinear(rng, 8, 8, nil), nn.ReLU{}, nn.NewLinear(rng, 8, 3, nil))
	if err := SaveModel(path, odd, Meta{}); err == nil || !strings.Contains(err.Error(), "a Spec has one activation") {
		t.Errorf("a network of two activations: %v", err)
	}
}

func TestPlot(t *testing.T) {
	h := History{{Epoch: 1, Loss: 1, Accuracy: 0.6, ValLoss: 0.8, ValAccuracy: 0.7},
		{Epoch: 2, Loss: 0.5, Accuracy: 0.8, ValLoss: 0.6, ValAccuracy: 0.75},
		{Epoch: 3, Loss: 0.3, Accuracy: 0.9, ValLoss: 0.5, ValAccuracy: 0.8}}
	ds := data.Spiral(rand.New(rand.NewPCG(1, 1)), 20, 3)
	m := nn.MLP(nn.Spec{Sizes: []int{2, 8, 3}}, rand.New(rand.NewPCG(1, 1)))
	for _, b := range []*Boundary{nil, {Model: m, Data: ds, Std: 1}} {
		var buf bytes.Buffer
		if err := Plot(&buf, h, b); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		want := 960 // two panels of 480 × 360
		if b != nil {
			want = 1440
		}
		if img.Bounds().Dx() != want || img.Bounds().Dy() != 360 {
			t.Errorf("image %v", img.Bounds())
		}
		blue := 0
		for y := 0; y < 360; y++ {
			for x := 0; x < 960; x++ {
				if r, g, bb, _ := img.At(x, y).RGBA(); r>>8 == 31 && g>>8 == 119 && bb>>8 == 180 {
					blue++
				}
			}
		}
		if blue < 200 {
			t.Errorf("only %d pixels of the training curves", blue)
		}
	}
}
