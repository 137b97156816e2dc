package train

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"backprop/ag"
	"backprop/data"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
)

// Position is where a training run stands: with the model's weights and
// the optimizer's state, everything needed to continue it exactly.
type Position struct {
	Epoch int // the current epoch, from 1
	Batch int // the batches of the epoch done

	Batches int     // batches per epoch
	Step    int     // the steps done in all epochs (the schedule's position)
	Perm    []int   // the order of the current epoch's examples
	Rand    []byte  // the state of Config.Source
	SumLoss float64 // the epoch's running sums: Σ loss·batch size,
	Correct int     // correct predictions,
	Seen    int     // and examples seen
	History History // the epochs completed, evaluation included: Epoch or Epoch−1 of them
	// StepLoss holds the loss of every step of the current epoch so far.
	StepLoss []float64
	// Best is the best epoch so far and its weights, for Config.Patience.
	Best *Best
	// Windows is, for RunText, the windows the sampler has served since
	// it last started over (text.Sampler.Position); 0 for Run.
	Windows int
}

// loopState is where a training loop stands, as a Position records it
// besides the order of the data: the epochs done, the steps done, the
// epoch to run first and its batches done, and its running sums.
type loopState struct {
	hist          History
	step, first   int
	k             int
	sumLoss       float64
	correct, seen int
	stepLoss      []float64
}

// restore returns the loop state p records and restores the random state
// into src (if both have one). When p's epoch is complete, evaluation
// included, the state is the start of the next epoch, and next is true.
// Run and RunText share it, each restoring its data order itself.
func (p *Position) restore(src RandState) (s loopState, next bool, err error) {
	if src != nil && len(p.Rand) > 0 {
		if err := src.UnmarshalBinary(p.Rand); err != nil {
			return s, false, fmt.Errorf("train: resume: random state: %v", err)
		}
	}
	s = loopState{hist: slices.Clone(p.History), step: p.Step, first: p.Epoch, k: p.Batch,
		sumLoss: p.SumLoss, correct: p.Correct, seen: p.Seen, stepLoss: slices.Clone(p.StepLoss)}
	if len(s.hist) == p.Epoch { // that epoch is complete, evaluation included
		s.first++
		s.k, s.sumLoss, s.correct, s.seen, s.stepLoss = 0, 0, 0, 0, nil
		return s, true, nil
	}
	return s, false, nil
}

// Best is the epoch of the lowest validation loss so far, with a copy of
// the model's parameters at its end, in the order of Parameters.
type Best struct {
	Epoch   int
	Loss    float64
	Weights []*tensor.Tensor
}

// check reports whether p fits the loader and configuration of a run.
func (p *Position) check(ld *data.Loader, cfg Config) error {
	perm, _ := ld.Order()
	switch {
	case p.Batches != ld.Batches() || len(p.Perm) != len(perm):
		return fmt.Errorf("train: resume: the checkpoint was made with %d examples in %d batches per epoch, this run has %d in %d",
			len(p.Perm), p.Batches, len(perm), ld.Batches())
	case p.Epoch < 1 || p.Batch < 0 || p.Batch > p.Batches || p.Step < 0 || p.Seen < 0 || p.Correct < 0:
		return fmt.Errorf("train: resume: bad position: epoch %d, batch %d of %d, step %d", p.Epoch, p.Batch, p.Batches, p.Step)
	case len(p.History) != p.Epoch-1 && (p.Batch != p.Batches || len(p.History) != p.Epoch):
		return fmt.Errorf("train: resume: bad position: %d epochs of history at epoch %d, batch %d of %d", len(p.History), p.Epoch, p.Batch, p.Batches)
	case len(p.Rand) > 0 && cfg.Source == nil:
		return fmt.Errorf("train: resume: the checkpoint has a random state but the configuration no Source")
	}
	return nil
}

// jfloat is a float64 that JSON encodes as a string, so that NaN and ±Inf
// survive and every value reads back bit for bit.
type jfloat float64

func (f jfloat) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatFloat(float64(f), 'g', -1, 64) + `"`), nil
}

func (f *jfloat) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("number %s: want a quoted number", b)
	}
	v, err := strconv.ParseFloat(s, 64)
	*f = jfloat(v)
	return err
}

type wireEpoch struct {
	Epoch                int
	Loss, Accuracy       jfloat
	ValLoss, ValAccuracy jfloat
	LR                   jfloat
	Seconds              jfloat
	SamplesPerSecond     jfloat
	StepLoss             []float64 `json:",omitempty"`
}

type wireBest struct {
	Epoch int
	Loss  jfloat
}

type wirePosition struct {
	Epoch, Batch, Batches, Step int
	Perm                        []int
	Rand                        []byte
	SumLoss                     jfloat
	Correct, Seen               int
	History                     []wireEpoch
	StepLoss                    []float64 `json:",omitempty"`
	Best                        *wireBest `json:",omitempty"`
	Windows                     int       `json:",omitempty"`
}

func (p *Position) MarshalJSON() ([]byte, error) {
	w := wirePosition{Epoch: p.Epoch, Batch: p.Batch, Batches: p.Batches, Step: p.Step, Perm: p.Perm,
		Rand: p.Rand, SumLoss: jfloat(p.SumLoss), Correct: p.Correct, Seen: p.Seen, StepLoss: p.StepLoss, Windows: p.Windows}
	for _, e := range p.History {
		w.History = append(w.History, wireEpoch{e.Epoch, jfloat(e.Loss), jfloat(e.Accuracy), jfloat(e.ValLoss),
			jfloat(e.ValAccuracy), jfloat(e.LR), jfloat(e.Seconds), jfloat(e.SamplesPerSecond), e.StepLoss})
	}
	if p.Best != nil {
		w.Best = &wireBest{p.Best.Epoch, jfloat(p.Best.Loss)}
	}
	return json.Marshal(w)
}

func (p *Position) UnmarshalJSON(b []byte) error {
	var w wirePosition
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.DisallowUnknownFields()
	if err := d.Decode(&w); err != nil {
		return err
	}
	*p = Position{Epoch: w.Epoch, Batch: w.Batch, Batches: w.Batches, Step: w.Step, Perm: w.Perm,
		Rand: w.Rand, SumLoss: float64(w.SumLoss), Correct: w.Correct, Seen: w.Seen, StepLoss: w.StepLoss, Windows: w.Windows}
	for _, e := range w.History {
		p.History = append(p.History, Epoch{e.Epoch, float64(e.Loss), float64(e.Accuracy), float64(e.ValLoss),
			float64(e.ValAccuracy), float64(e.LR), float64(e.Seconds), float64(e.SamplesPerSecond), e.StepLoss})
	}
	if w.Best != nil {
		p.Best = &Best{Epoch: w.Best.Epoch, Loss: float64(w.Best.Loss)}
	}
	return nil
}

// Checkpoint is a saved training run: the model (its weights under their
// usual names, and Meta), the optimizer's state, the Position, and
// whatever else the caller keeps in Extra (the command line's options).
// It is one safetensors file, written atomically, so that a crash leaves
// the previous checkpoint or the new one; the optimizer's tensors are
// named "optimizer.0", "optimizer.1" … and the rest is in the metadata.
type Checkpoint struct {
	Meta     Meta
	Position *Position
	Extra    map[string]string

	state *nn.State // the tensors, after ReadCheckpoint
	path  string
}

// Metadata keys of a checkpoint, besides the model's.
const (
	keyPosition  = "train.position"
	keyOptimizer = "train.optimizer"
	keySteps     = "train.optimizer_steps"
	keyExtra     = "train.extra"
	optPrefix    = nn.OptimizerPrefix
	bestPrefix   = nn.BestPrefix
)

// optimizerName names the type of opt, as checkpoints record it.
func optimizerName(opt optim.Optimizer) string {
	t := reflect.TypeOf(opt)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.String()
}

// WriteCheckpoint saves m, the state of opt (which must be an
// optim.Stateful) and c to path, atomically. The model's architecture is
// derived from m, as SaveModel derives it; nn.Load reads the file as the
// model it holds.
func WriteCheckpoint(path string, m nn.Module, opt optim.Optimizer, c *Checkpoint) error {
	so, ok := opt.(optim.Stateful)
	if !ok {
		return fmt.Errorf("train: WriteCheckpoint: optimizer %T cannot save its state", opt)
	}
	model, err := modelOf(m, c.Meta)
	if err != nil {
		return err
	}
	md := model.Description.Metadata()
	for k, v := range c.Meta.extra() {
		md[k] = v
	}
	pos, err := json.Marshal(c.Position)
	if err != nil {
		return err
	}
	md[keyPosition] = string(pos)
	md[keyOptimizer] = optimizerName(opt)
	md[keySteps] = strconv.Itoa(so.Steps())
	if c.Extra != nil {
		x, _ := json.Marshal(c.Extra)
		md[keyExtra] = string(x)
	}
	ps := nn.StateDict(m)
	for i, t := range so.StateTensors() {
		ps = append(ps, nn.Parameter{Name: optPrefix + strconv.Itoa(i), Var: ag.Const(t)})
	}
	if b := c.Position.Best; b != nil {
		for i, t := range b.Weights {
			ps = append(ps, nn.Parameter{Name: bestPrefix + strconv.Itoa(i), Var: ag.Const(t)})
		}
	}
	return WriteFileAtomic(path, func(w io.Writer) error { return nn.WriteSafetensors(w, ps, md) })
}

// ReadCheckpoint reads a checkpoint written by WriteCheckpoint; Restore
// then loads its weights and optimizer state. Errors name the file. As
// with nn.Load, the file's tensors and architecture are weighed against
// the limit (the optional nn.MaxMemory; the memory available without it)
// and compared with each other before anything of their size is made.
func ReadCheckpoint(path string, limit ...nn.MaxMemory) (*Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCheckpoint(f, path, limitOf(limit))
}

// readCheckpoint is ReadCheckpoint from r, which holds the file path.
func readCheckpoint(r io.Reader, path string, limit int64) (*Checkpoint, error) {
	st, err := nn.ReadSafetensors(r, path, nn.MaxMemory(limit))
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{state: st, path: path, Position: new(Position)}
	if c.Meta, err = parseMeta(st.Metadata, path); err != nil {
		return nil, err
	}
	model := &nn.State{Tensors: map[string]*tensor.Tensor{}}
	for _, n := range st.Names {
		if !runTensor(n) {
			model.Names = append(model.Names, n)
			model.Tensors[n] = st.Tensors[n]
		}
	}
	if err := checkPlan(model, c.Meta.plan, path, limit); err != nil {
		return nil, err
	}
	s, ok := st.Metadata[keyPosition]
	if !ok {
		return nil, fmt.Errorf("%s: not a checkpoint: no %q in the metadata", path, keyPosition)
	}
	if err := json.Unmarshal([]byte(s), c.Position); err != nil {
		return nil, fmt.Errorf("%s: %s: %v", path, keyPosition, err)
	}
	if s, ok := st.Metadata[keyExtra]; ok {
		if err := json.Unmarshal([]byte(s), &c.Extra); err != nil {
			return nil, fmt.Errorf("%s: %s: %v", path, keyExtra, err)
		}
	}
	if b := c.Position.Best; b != nil {
		// As many best weights as the model has tensors; Restore compares
		// their shapes with the model's.
		for i := range model.Names {
			t, ok := st.Tensors[bestPrefix+strconv.Itoa(i)]
			if !ok {
				return nil, fmt.Errorf("%s: the position has a best epoch but no tensor %s%d", path, bestPrefix, i)
			}
			b.Weights = append(b.Weights, t)
		}
	}
	return c, nil
}

// Restore copies the checkpoint's weights into m and its optimizer state
// into opt, which must have the architecture and the kind of optimizer
// the checkpoint was made with.
func (c *Checkpoint) Restore(m nn.Module, opt optim.Optimizer) error {
	so, ok := opt.(optim.Stateful)
	if !ok {
		return fmt.Errorf("train: Restore: optimizer %T cannot restore its state", opt)
	}
	if name := c.state.Metadata[keyOptimizer]; name != optimizerName(opt) {
		return fmt.Errorf("%s: the checkpoint holds the state of optimizer %s, not %s", c.path, name, optimizerName(opt))
	}
	steps, err := strconv.Atoi(c.state.Metadata[keySteps])
	if err != nil || steps < 0 {
		return fmt.Errorf("%s: %s %q: want a count of steps", c.path, keySteps, c.state.Metadata[keySteps])
	}
	model := &nn.State{Tensors: map[string]*tensor.Tensor{}, Metadata: c.state.Metadata}
	var opts []string
	for _, n := range c.state.Names {
		if strings.HasPrefix(n, optPrefix) {
			opts = append(opts, n)
			continue
		}
		if strings.HasPrefix(n, bestPrefix) {
			continue
		}
		model.Names = append(model.Names, n)
		model.Tensors[n] = c.state.Tensors[n]
	}
	if err := model.Load(m); err != nil {
		return fmt.Errorf("%s: %v", c.path, err)
	}
	if b := c.Position.Best; b != nil {
		ps := nn.StateDict(m)
		if len(b.Weights) != len(ps) {
			return fmt.Errorf("%s: %d best weights for a model of %d tensors", c.path, len(b.Weights), len(ps))
		}
		for i, p := range ps {
			if !tensor.SameShape(b.Weights[i].Shape(), p.Var.Value.Shape()) || b.Weights[i].DType() != p.Var.Value.DType() {
				return fmt.Errorf("%s: best weight %d is %v%v, the model's %s is %v%v", c.path, i,
					b.Weights[i].DType(), b.Weights[i].Shape(), p.Name, p.Var.Value.DType(), p.Var.Value.Shape())
			}
		}
	}
	dst := so.StateTensors()
	if len(opts) != len(dst) {
		return fmt.Errorf("%s: %d optimizer tensors, the optimizer has %d", c.path, len(opts), len(dst))
	}
	for i, d := range dst {
		t, ok := c.state.Tensors[optPrefix+strconv.Itoa(i)]
		if !ok || !tensor.SameShape(t.Shape(), d.Shape()) {
			return fmt.Errorf("%s: optimizer tensor %d is missing or has the wrong shape (want %v)", c.path, i, d.Shape())
		}
	}
	for i, d := range dst {
		tensor.CopyTo(d, c.state.Tensors[optPrefix+strconv.Itoa(i)])
	}
	so.SetSteps(steps)
	return nil
}

// runTensor reports whether the tensor named n in a checkpoint belongs
// to the run (the optimizer's state, the best weights) rather than to the
// model.
func runTensor(n string) bool {
	return strings.HasPrefix(n, optPrefix) || strings.HasPrefix(n, bestPrefix)
}

// Finite reports whether every parameter of m is finite (no NaN or ±Inf).
func Finite(m nn.Module) bool {
	for _, p := range m.Parameters() {
		t := p.Var.Value
		if t.DType() == tensor.Float64 {
			for _, v := range t.Float64s() {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return false
				}
			}
			continue
		}
		for _, v := range t.Float32s() {
			if v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 {
				return false
			}
		}
	}
	return true
}
