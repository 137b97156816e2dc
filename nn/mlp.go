package nn

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"backprop/internal/memory"
)

// Activations lists the activation names an MLP accepts.
var Activations = []string{"relu", "leaky_relu", "elu", "tanh", "sigmoid", "maxout"}

// Spec describes a multilayer perceptron: what Build needs to make it
// again, stored as JSON in a saved model's metadata.
type Spec struct {
	// Sizes are the widths of the layers, input first and classes last,
	// such as [784, 512, 256, 10].
	Sizes []int `json:"sizes"`
	// Activation is one of Activations; "" means relu.
	Activation string `json:"activation"`
	// Slope is LeakyReLU's negative slope (0 means 0.01), Alpha ELU's α
	// (0 means 1), and K the number of pieces of a maxout unit (0 means 2).
	Slope float64 `json:"slope,omitempty"`
	Alpha float64 `json:"alpha,omitempty"`
	K     int     `json:"k,omitempty"`
	// Dropout, when positive, adds a Dropout layer of that probability
	// after every activation.
	Dropout float64 `json:"dropout,omitempty"`
}

// String returns the JSON form of s.
func (s Spec) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// ParseSpec reads the JSON form of a Spec and checks it.
func ParseSpec(text string) (Spec, error) {
	var s Spec
	d := json.NewDecoder(strings.NewReader(text))
	d.DisallowUnknownFields()
	if err := d.Decode(&s); err != nil {
		return s, fmt.Errorf("architecture: %v", err)
	}
	return s, s.Check()
}

// MaxWidth bounds every layer size of a Spec.
const MaxWidth = 1 << 20

// Check reports whether s describes a network MLP can make. It bounds
// every number but not the network's size: see NumParams and Activations
// for what it needs before building it.
func (s Spec) Check() error {
	if len(s.Sizes) < 2 {
		return fmt.Errorf("architecture: %d layer sizes %v, want at least 2 (inputs and classes)", len(s.Sizes), s.Sizes)
	}
	for _, n := range s.Sizes {
		if n <= 0 || n > MaxWidth {
			return fmt.Errorf("architecture: layer size %d in %v out of range", n, s.Sizes)
		}
	}
	if s.Activation != "" && !contains(Activations, s.Activation) {
		return fmt.Errorf("architecture: unknown activation %q (want one of %s)", s.Activation, strings.Join(Activations, ", "))
	}
	if s.Dropout < 0 || s.Dropout >= 1 {
		return fmt.Errorf("architecture: dropout %v outside [0, 1)", s.Dropout)
	}
	if s.K < 0 || s.K > 64 {
		return fmt.Errorf("architecture: maxout k %d out of range", s.K)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// MLP builds the multilayer perceptron that s describes: for every hidden
// width h a Linear layer, the activation and, if s.Dropout > 0, a Dropout
// layer; then a Linear layer to the classes. Weights are drawn from rng
// (He uniform for the ReLU family and maxout, Xavier uniform for tanh and
// sigmoid), biases are zero, and dropout masks come from rng too. A maxout
// layer of width h follows a Linear layer of width k·h.
//
// The layer indices, and so the parameter names, are those of the same
// network written as PyTorch's nn.Sequential: 784-512-256-10 with ReLU has
// 0.weight [512 784], 0.bias, 2.weight [256 512], 2.bias, 4.weight, 4.bias.
func MLP(s Spec, rng *rand.Rand) *Sequential {
	if err := s.Check(); err != nil {
		panic("nn: MLP: " + err.Error())
	}
	init := HeUniform
	if s.Activation == "tanh" || s.Activation == "sigmoid" {
		init = XavierUniform
	}
	seq := &Sequential{}
	for _, l := range s.linears() {
		seq.Layers = append(seq.Layers, NewLinear(rng, l.in, l.out, init))
		if !l.last {
			seq.Layers = append(seq.Layers, s.activation())
			if s.Dropout > 0 {
				seq.Layers = append(seq.Layers, NewDropout(s.Dropout, rng))
			}
		}
	}
	return seq
}

// linear is one Linear layer of an MLP: its index in the Sequential, its
// sizes, and whether it is the last.
type linear struct {
	index, in, out int
	hidden         int // the width after the activation: out, or out/k for maxout
	last           bool
}

// linears lists the Linear layers of MLP(s): for every hidden width h one
// of width h (k·h for maxout) followed by the activation and, with
// dropout, a Dropout layer; then one to the classes.
func (s Spec) linears() []linear {
	per := 2 // layers per hidden width
	if s.Dropout > 0 {
		per = 3
	}
	ls := make([]linear, 0, len(s.Sizes)-1)
	in := s.Sizes[0]
	for i, h := range s.Sizes[1 : len(s.Sizes)-1] {
		width := h
		if s.Activation == "maxout" {
			width *= s.k()
		}
		ls = append(ls, linear{index: per * i, in: in, out: width, hidden: h})
		in = h
	}
	return append(ls, linear{index: per * (len(s.Sizes) - 2), in: in, out: s.Sizes[len(s.Sizes)-1], hidden: s.Sizes[len(s.Sizes)-1], last: true})
}

// ParamShape is the name and shape of a parameter.
type ParamShape struct {
	Name  string
	Shape []int
}

// Params returns the names and shapes of the parameters of MLP(s), in
// order, without building it; s must pass Check.
func (s Spec) Params() []ParamShape {
	var ps []ParamShape
	for _, l := range s.linears() {
		i := strconv.Itoa(l.index)
		ps = append(ps, ParamShape{i + ".weight", []int{l.out, l.in}}, ParamShape{i + ".bias", []int{l.out}})
	}
	return ps
}

// NumParams returns the number of parameters (weights and biases) of
// MLP(s), computed without building it, or math.MaxInt64 if it is beyond
// counting; s must pass Check.
func (s Spec) NumParams() int64 {
	var n int64
	for _, l := range s.linears() {
		n = memory.Add(n, memory.Mul(int64(l.out), int64(l.in)+1))
	}
	return n
}

// Activations returns the number of values a forward pass of MLP(s)
// computes per example: every layer's output (a Linear layer's, the
// activation's, and a Dropout layer's with its mask). Training holds them
// and as many gradients; s must pass Check.
func (s Spec) Activations() int64 {
	var n int64
	for _, l := range s.linears() {
		n = memory.Add(n, int64(l.out))
		if !l.last {
			n = memory.Add(n, int64(l.hidden))
			if s.Dropout > 0 {
				n = memory.Add(n, memory.Mul(2, int64(l.hidden)))
			}
		}
	}
	return n
}

func (s Spec) k() int {
	if s.K == 0 {
		return 2
	}
	return s.K
}

func (s Spec) activation() Module {
	switch s.Activation {
	case "leaky_relu":
		slope := s.Slope
		if slope == 0 {
			slope = 0.01
		}
		return LeakyReLU{Slope: slope}
	case "elu":
		alpha := s.Alpha
		if alpha == 0 {
			alpha = 1
		}
		return ELUModule{Alpha: alpha}
	case "tanh":
		return Tanh{}
	case "sigmoid":
		return Sigmoid{}
	case "maxout":
		return MaxoutModule{K: s.k()}
	}
	return ReLU{}
}
