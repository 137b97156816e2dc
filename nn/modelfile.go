package nn

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"

	"backprop/internal/memory"
)

// A model file is a safetensors file (see WriteSafetensors) holding the
// network's parameters under their PyTorch state_dict names and, in its
// metadata, the model's Description:
//
//	"format_version"  "2": the version of this layout (FormatVersion)
//	"architecture"    the layers in the text of ParseArch, derived from the network, e.g.
//	                  "linear(512) relu linear(256) relu linear(10)"
//	"input_shape"     the shape of one example as JSON, e.g. [784] or [1,28,28]
//	"preprocessing"   {"mean": m, "std": s}: inputs become (x − m)/s before the network
//	"labels"          optionally, the names of the classes as a JSON list
//	"format"          "pt", as PyTorch's safetensors files say
//
// besides entries of other packages, such as train's "dataset", which a
// Model keeps in Extra; the tensors are the network's parameters and
// buffers (StateDict). Files of version 1 — and files without
// "format_version", written before it was recorded and by
// interop/pytorch_model.py — hold an MLP's Spec as JSON under
// "architecture", e.g. {"sizes":[784,512,256,10],"activation":"relu"}, and
// no "input_shape"; they are read as the same network (Spec.Arch). A file
// without "preprocessing" has none. Tensors whose names begin with
// OptimizerPrefix or BestPrefix are the state of a training run saved
// beside the model in a checkpoint (the optimizer's, the best weights so
// far) and are not part of the model.

// FormatVersion is the version of the model files this package writes,
// and the newest it reads.
const FormatVersion = 2

// The prefixes of the names of the tensors of a training run that a
// checkpoint holds beside the model's parameters: the optimizer's state
// and the best weights so far.
const (
	OptimizerPrefix = "optimizer."
	BestPrefix      = "best."
)

// runState reports whether the tensor named n is a training run's, not
// the model's.
func runState(n string) bool {
	return strings.HasPrefix(n, OptimizerPrefix) || strings.HasPrefix(n, BestPrefix)
}

// The metadata keys of a model file.
const (
	keyVersion       = "format_version"
	keyArchitecture  = "architecture"
	keyShape         = "input_shape"
	keyPreprocessing = "preprocessing"
	keyLabels        = "labels"
	keyFormat        = "format"
)

type prepJSON struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// Metadata returns d as the metadata entries of a model file. d must be
// valid (as NewModel and ReadDescription return it).
func (d Description) Metadata() map[string]string {
	p, _ := json.Marshal(prepJSON{d.Input.Mean, d.Input.Std})
	shape, _ := json.Marshal(d.Shape)
	md := map[string]string{
		keyVersion:       strconv.Itoa(FormatVersion),
		keyArchitecture:  d.Arch,
		keyShape:         string(shape),
		keyPreprocessing: string(p),
		keyFormat:        "pt",
	}
	if d.Labels != nil {
		l, _ := json.Marshal(d.Labels)
		md[keyLabels] = string(l)
	}
	return md
}

// ReadDescription reads and checks the Description in the metadata of a
// model file. A file of a newer format version than FormatVersion, or of
// a version it does not know, is refused with an error that says so.
func ReadDescription(md map[string]string) (Description, error) {
	var d Description
	version := 1
	if v, ok := md[keyVersion]; ok {
		n, err := strconv.Atoi(v)
		switch {
		case err == nil && n > FormatVersion:
			return d, fmt.Errorf("model format version %d is newer than this program reads (%d): update backprop to read it", n, FormatVersion)
		case err != nil || n < 1:
			return d, fmt.Errorf("unknown model format version %q (this program reads versions 1 to %d)", v, FormatVersion)
		}
		version = n
	}
	arch, ok := md[keyArchitecture]
	if !ok {
		return d, fmt.Errorf("no %q in the metadata: not a model file", keyArchitecture)
	}
	if version == 1 {
		spec, err := ParseSpec(arch)
		if err != nil {
			return d, err
		}
		d.Arch, d.Shape = spec.Arch(), []int{spec.Sizes[0]}
	} else {
		d.Arch = arch
		s, ok := md[keyShape]
		if !ok {
			return d, fmt.Errorf("no %q in the metadata of a version %d model file", keyShape, version)
		}
		if err := json.Unmarshal([]byte(s), &d.Shape); err != nil || len(d.Shape) == 0 {
			return d, fmt.Errorf("%s: want a JSON list of sizes, got %.80q", keyShape, s)
		}
	}
	if s, ok := md[keyPreprocessing]; ok {
		var p prepJSON
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return d, fmt.Errorf("preprocessing: %v", err)
		}
		d.Input = Standardization{p.Mean, p.Std}
	}
	if s, ok := md[keyLabels]; ok {
		if err := json.Unmarshal([]byte(s), &d.Labels); err != nil || d.Labels == nil {
			return d, fmt.Errorf("labels: want a JSON list of strings, got %.80q", s)
		}
	}
	return d.check()
}

// WriteModel writes m as a model file to w: its parameters, its
// Description and the metadata entries extra (which may not use the
// model's keys). train.SaveModel writes one atomically to a path.
func WriteModel(w io.Writer, m *Model, extra map[string]string) error {
	arch, err := Describe(m.Net, m.Shape)
	if err != nil {
		return err
	}
	if arch != m.Arch {
		return fmt.Errorf("nn: WriteModel: the model's Arch %s is not its network's, %s", m.Arch, arch)
	}
	d, err := m.Description.check()
	if err != nil {
		return fmt.Errorf("nn: WriteModel: %v", err)
	}
	md := d.Metadata()
	for k, v := range extra {
		if _, ok := md[k]; ok || k == ChecksumKey {
			return fmt.Errorf("nn: WriteModel: metadata key %q is the model file's own", k)
		}
		md[k] = v
	}
	return WriteSafetensors(w, StateDict(m.Net), md)
}

// Load reads the model file at path (see ReadModel).
func Load(path string, limit ...MaxMemory) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadModel(f, path, limit...)
}

// ReadModel reads a model file from r — one that train.SaveModel,
// train.WriteCheckpoint or interop/pytorch_model.py wrote — and returns the
// model it describes, built (see Build) with the file's weights, in
// evaluation mode, applying the file's preprocessing in Forward and
// Predict; name is for errors, which begin with it.
//
// The file is outside input: its checksums are verified, its tensors
// weighed against the limit (the optional MaxMemory; the memory available
// without it) before they are read, and its architecture weighed before
// the network is built, then compared with the tensors, so that a small
// file claiming huge layers is refused with an error rather than
// exhausting the memory.
func ReadModel(r io.Reader, name string, limit ...MaxMemory) (*Model, error) {
	st, err := ReadSafetensors(r, name, limit...)
	if err != nil {
		return nil, err
	}
	d, err := ReadDescription(st.Metadata)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	// The state of a training run in a checkpoint is not the model's.
	for _, n := range st.Names {
		if runState(n) {
			delete(st.Tensors, n)
		}
	}
	st.Names = slices.DeleteFunc(st.Names, runState)
	// The tensors read and the network built from them.
	p := d.Plan()
	n := memory.Add(p.NumParams(), p.NumBuffers())
	what := fmt.Sprintf("architecture %s: a network of %d parameters", d.Arch, p.NumParams())
	if err := memory.Check(what, memory.Mul(8, n), limitOf(limit)); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if err := st.FitsPlan(p); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	// The initial weights are overwritten: any seed will do.
	net := p.Build(rand.New(rand.NewPCG(0, 0)))
	if err := st.Load(net); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	net.SetTraining(false)
	m := &Model{Net: net, Description: d, Extra: map[string]string{}}
	own := d.Metadata()
	for k, v := range st.Metadata {
		if _, ok := own[k]; !ok && k != ChecksumKey {
			m.Extra[k] = v
		}
	}
	return m, nil
}
