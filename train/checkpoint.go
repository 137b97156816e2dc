package train

import (
	"encoding/json"
	"fmt"
	"io"

	"backprop/internal/memory"
	"backprop/nn"
)

// Meta is what a saved model holds besides its weights: the model's
// nn.Description (its architecture and preprocessing, under the metadata
// keys of an nn model file) and the data set it was trained on, under
//
//	"dataset"  {"name": "mnist"} or {"name":"spiral","points":N,"classes":K,"seed":S}
//
// Spec is derived from the model when a model or checkpoint is written,
// never taken from the caller: SaveModel and WriteCheckpoint refuse a
// Meta whose Spec, when set, is not the model's. ReadCheckpoint fills it
// from the file. Mean and Std are the standardisation of the inputs (both
// 0: none).
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
	// mnist.ClassNames); nil for their numbers. SaveModel also stores
	// them as the model's labels (nn.Description.Labels).
	Names []string `json:"names,omitempty"`
}

// keyDataset is the metadata key of the DataInfo.
const keyDataset = "dataset"

// SaveModel writes m — a network that nn.Describe describes, or an
// *nn.Model — with meta to path as an nn model file (see nn.WriteModel),
// its architecture derived from m itself, and meta's data set under
// "dataset". It writes atomically (see WriteFileAtomic), so that path
// never holds a partial model. nn.Load reads it back as a model that
// applies meta's standardisation itself.
func SaveModel(path string, m nn.Module, meta Meta) error {
	model, err := modelOf(m, meta)
	if err != nil {
		return err
	}
	extra := meta.extra()
	return WriteFileAtomic(path, func(w io.Writer) error { return nn.WriteModel(w, model, extra) })
}

// modelOf returns m with meta's preprocessing as an nn.Model, its
// description derived from m, or an error if m cannot be described or
// meta contradicts it.
func modelOf(m nn.Module, meta Meta) (*nn.Model, error) {
	in := nn.Standardization{Mean: meta.Mean, Std: meta.Std}
	var model *nn.Model
	var err error
	switch v := m.(type) {
	case *nn.Model:
		if in != (nn.Standardization{}) && in != v.Input {
			return nil, fmt.Errorf("train: the Meta's standardisation (mean %v, std %v) is not the model's (mean %v, std %v)", in.Mean, in.Std, v.Input.Mean, v.Input.Std)
		}
		model, err = nn.NewModel(v.Net, v.Input, v.Labels)
	case *nn.Sequential:
		model, err = nn.NewModel(v, in, meta.Data.Names)
	default:
		_, err = nn.Describe(m)
	}
	if err != nil {
		return nil, err
	}
	if len(meta.Spec.Sizes) > 0 && meta.Spec.Normal().String() != model.Arch.String() {
		return nil, fmt.Errorf("train: the Meta's architecture %s is not the model's, %s (a saved model is described by the model itself; leave Meta.Spec empty)", meta.Spec, model.Arch)
	}
	return model, nil
}

// extra returns the metadata that meta adds to the model's.
func (meta Meta) extra() map[string]string {
	d, _ := json.Marshal(meta.Data)
	return map[string]string{keyDataset: string(d)}
}

// DataOf returns the data set a model read by nn.Load was trained on, as
// SaveModel recorded it (a zero DataInfo if the file does not say), or an
// error if the record is malformed or does not fit the model.
func DataOf(m *nn.Model) (DataInfo, error) {
	var d DataInfo
	s, ok := m.Extra[keyDataset]
	if !ok {
		return d, nil
	}
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return d, fmt.Errorf("dataset: %v", err)
	}
	if err := d.check(m.Arch); err != nil {
		return d, fmt.Errorf("dataset: %v", err)
	}
	return d, nil
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
	d, err := nn.ReadDescription(md)
	if err != nil {
		return meta, fmt.Errorf("%s: %v", path, err)
	}
	meta.Spec, meta.Mean, meta.Std = d.Arch, d.Input.Mean, d.Input.Std
	if s, ok := md[keyDataset]; ok {
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
