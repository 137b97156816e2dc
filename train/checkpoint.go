package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

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
}

type prep struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// SaveModel writes the parameters of m, under their PyTorch state_dict
// names, and meta to path in the safetensors format. It writes a temporary
// file in the same folder and renames it, so that path never holds a
// partial model.
func SaveModel(path string, m nn.Module, meta Meta) error {
	p, _ := json.Marshal(prep{meta.Mean, meta.Std})
	d, _ := json.Marshal(meta.Data)
	md := map[string]string{
		"architecture":  meta.Spec.String(),
		"preprocessing": string(p),
		"dataset":       string(d),
		"format":        "pt",
	}
	var buf bytes.Buffer
	if err := nn.WriteSafetensors(&buf, m.Parameters(), md); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(buf.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// LoadModel reads a model saved by SaveModel (or by the PyTorch script in
// interop/), builds the network its architecture describes and loads the
// weights. Errors name the file.
func LoadModel(path string) (*nn.Sequential, Meta, error) {
	var meta Meta
	f, err := os.Open(path)
	if err != nil {
		return nil, meta, err
	}
	defer f.Close()
	st, err := nn.ReadSafetensors(f, path)
	if err != nil {
		return nil, meta, err
	}
	arch, ok := st.Metadata["architecture"]
	if !ok {
		return nil, meta, fmt.Errorf("%s: no \"architecture\" in the metadata", path)
	}
	if meta.Spec, err = nn.ParseSpec(arch); err != nil {
		return nil, meta, fmt.Errorf("%s: %v", path, err)
	}
	meta.Std = 1
	if s, ok := st.Metadata["preprocessing"]; ok {
		var p prep
		if err := json.Unmarshal([]byte(s), &p); err != nil {
			return nil, meta, fmt.Errorf("%s: preprocessing: %v", path, err)
		}
		meta.Mean, meta.Std = p.Mean, p.Std
	}
	if s, ok := st.Metadata["dataset"]; ok {
		if err := json.Unmarshal([]byte(s), &meta.Data); err != nil {
			return nil, meta, fmt.Errorf("%s: dataset: %v", path, err)
		}
	}
	// The initial weights are overwritten: any seed will do.
	m := nn.MLP(meta.Spec, rand.New(rand.NewPCG(0, 0)))
	if err := st.Load(m); err != nil {
		return nil, meta, fmt.Errorf("%s: %v", path, err)
	}
	m.SetTraining(false)
	return m, meta, nil
}
