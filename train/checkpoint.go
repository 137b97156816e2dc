package train

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"

	"backprop/internal/memory"
	"backprop/nn"
)

// Meta is what a saved model holds besides its weights, in the
// safetensors metadata (a map of strings):
//
//	"architecture"   the nn.Spec as JSON, e.g. {"sizes":[784,512,256,10],"activation":"relu"}
//	"preprocessing"  {"mean": m, "std": s}: inputs are scaled to (x − m)/s before the model
//	"dataset"        {"name": "mnist"} or {"name":"spiral","points":N,"classes":K,"seed":S}
type Meta struct {
	Spec      nn.Spec
	Mean, Std float64
	Data      DataInfo
}

// DataInfo names the data set a model was trained on, with what is needed
// to generate it again for the spiral.
type DataInfo struct {
	Name    string `json:"name"`
	Points  int    `json:"points,omitempty"`
	Classes int    `json:"classes,omitempty"`
	Seed    uint64 `json:"seed,omitempty"`
	// Names names the classes, where the data set has names (see
	// mnist.ClassNames); nil for their numbers.
	Names []string `json:"names,omitempty"`
}

type prep struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// SaveModel writes the parameters of m, under their PyTorch state_dict
// names, and meta to path in the safetensors format, with a checksum of
// the data. It writes atomically (see WriteFileAtomic), so that path never
// holds a partial model.
func SaveModel(path string, m nn.Module, meta Meta) error {
	md := meta.metadata()
	return WriteFileAtomic(path, func(w io.Writer) error {
		return nn.WriteSafetensors(w, m.Parameters(), md)
	})
}

// metadata returns meta as safetensors metadata.
func (meta Meta) metadata() map[string]string {
	p, _ := json.Marshal(prep{meta.Mean, meta.Std})
	d, _ := json.Marshal(meta.Data)
	return map[string]string{
		"architecture":  meta.Spec.String(),
		"preprocessing": string(p),
		"dataset":       string(d),
		"format":        "pt",
	}
}

// LoadModel reads a model saved by SaveModel (or by the PyTorch script in
// interop/, or the model in a checkpoint of WriteCheckpoint), builds the
// network its architecture describes and loads the weights. Errors name
// the file.
//
// The file is outside input: its tensors are weighed against the limit
// (the optional nn.MaxMemory; the memory available without it) before
// they are read, and its architecture before the network is built, then
// compared with the tensors, so that a small file claiming huge layers
// is refused with an error rather than exhausting the memory.
func LoadModel(path string, limit ...nn.MaxMemory) (*nn.Sequential, Meta, error) {
	var meta Meta
	f, err := os.Open(path)
	if err != nil {
		return nil, meta, err
	}
	defer f.Close()
	st, err := nn.ReadSafetensors(f, path, limit...)
	if err != nil {
		return nil, meta, err
	}
	if meta, err = parseMeta(st.Metadata, path); err != nil {
		return nil, meta, err
	}
	if _, ok := st.Metadata[keyPosition]; ok {
		// A checkpoint: its optimizer state is not part of the model.
		for _, n := range st.Names {
			if runTensor(n) {
				delete(st.Tensors, n)
			}
		}
		st.Names = slices.DeleteFunc(st.Names, runTensor)
	}
	if err := checkSpec(st, meta.Spec, path, limitOf(limit)); err != nil {
		return nil, meta, err
	}
	// The initial weights are overwritten: any seed will do.
	m := nn.MLP(meta.Spec, rand.New(rand.NewPCG(0, 0)))
	if err := st.Load(m); err != nil {
		return nil, meta, fmt.Errorf("%s: %v", path, err)
	}
	m.SetTraining(false)
	return m, meta, nil
}

// checkSpec reports whether the network of spec fits the limit and the
// tensors of st, which come from the file path.
func checkSpec(st *nn.State, spec nn.Spec, path string, limit int64) error {
	what := fmt.Sprintf("architecture %s: a network of %d parameters", spec, spec.NumParams())
	if err := memory.Check(what, loadMemory(spec), limit); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if err := st.Fits(spec); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}

// parseMeta reads a model's Meta from safetensors metadata; path is for
// errors.
func parseMeta(md map[string]string, path string) (Meta, error) {
	var meta Meta
	arch, ok := md["architecture"]
	if !ok {
		return meta, fmt.Errorf("%s: no \"architecture\" in the metadata", path)
	}
	var err error
	if meta.Spec, err = nn.ParseSpec(arch); err != nil {
		return meta, fmt.Errorf("%s: %v", path, err)
	}
	meta.Std = 1
	if s, ok := md["preprocessing"]; ok {
		var p prep
		if err := json.Unmarshal([]byte(s), &p); err != nil {
			return meta, fmt.Errorf("%s: preprocessing: %v", path, err)
		}
		meta.Mean, meta.Std = p.Mean, p.Std
	}
	if s, ok := md["dataset"]; ok {
		if err := json.Unmarshal([]byte(s), &meta.Data); err != nil {
			return meta, fmt.Errorf("%s: dataset: %v", path, err)
		}
		if err := meta.Data.check(meta.Spec); err != nil {
			return meta, fmt.Errorf("%s: dataset: %v", path, err)
		}
	}
	return meta, nil
}

// check reports whether the data set d can be what a network of spec was
// trained on.
func (d DataInfo) check(spec nn.Spec) error {
	out := spec.Sizes[len(spec.Sizes)-1]
	if d.Names != nil && len(d.Names) != out {
		return fmt.Errorf("%d class names, but the architecture has %d outputs", len(d.Names), out)
	}
	if d.Name != "spiral" {
		return nil
	}
	switch {
	case d.Points <= 0 || d.Classes <= 0:
		return fmt.Errorf("a spiral of %d points in %d classes", d.Points, d.Classes)
	case d.Classes != out:
		return fmt.Errorf("a spiral of %d classes, but the architecture has %d outputs", d.Classes, out)
	}
	return nil
}
