package nn

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/tensor"
)

var mnistShape = []int{1, 28, 28}

func TestParseArchErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"", `col 1: no layers (want words such as conv(32,3) relu flatten linear(10), or a preset: ` + strings.Join(PresetNames(), ", ") + `)`},
		{"cnv(3,3)", `col 1: unknown layer "cnv" (layers: conv, maxpool, avgpool, gap, flatten, unflatten, linear, relu, tanh, sigmoid, gelu, leakyrelu, elu, maxout, dropout, batchnorm, layernorm, groupnorm, embed, posembed, sinpos, lstm, gru, rnn, block)`},
		{"relu lenet5", `col 6: "lenet5" is a preset, which must be the whole architecture`},
		{"conv(32)", `col 1: conv needs k (conv(out, k, stride=1, pad=0, dilation=1, groups=1, bias=true))`},
		{"conv(32,3", `col 10: expected "," or ")", found end of input`},
		{"conv(32,3,)", `col 11: expected an argument, found ")"`},
		{"conv(32 3)", `col 9: expected "," or ")", found "3"`},
		{"conv(32,3x)", `col 9: malformed number "3x"`},
		{"conv(32,3y3)", `col 9: malformed number "3y3"`},
		{"conv(32,1.5)", `col 9: conv: k 1.5: want a size (an integer or HxW)`},
		{"conv(32,3,strid=2)", `col 11: conv has no parameter "strid" (conv(out, k, stride=1, pad=0, dilation=1, groups=1, bias=true))`},
		{"conv(32,3,stride=0)", `col 18: conv: stride 0: out of range [1, 1048576]`},
		{"conv(32,3,stride=2,stride=2)", `col 20: conv: stride given twice`},
		{"conv(k=3,32)", `col 10: conv: a positional argument after name=value`},
		{"conv(32,3,1)", `col 11: conv takes 2 arguments by position: conv(out, k, stride=1, pad=0, dilation=1, groups=1, bias=true)`},
		{"conv(0,3)", `col 6: conv: out 0: out of range [1, 1048576]`},
		{"conv(-1,3)", `col 6: conv: out -1: want an integer`},
		{"conv(99999999999,3)", `col 6: 99999999999 is out of range`},
		{"conv(32,3,bias=no)", `col 16: conv: bias no: want true or false`},
		{"linear(10,bias=1)", `col 16: linear: bias 1: want true or false`},
		{"relu(1)", `col 6: relu takes 0 arguments by position: relu takes no arguments`},
		{"dropout(1)", `col 9: dropout: p 1: outside [0, 1)`},
		{"dropout(-0.1)", `col 9: dropout: p -0.1: outside [0, 1)`},
		{"leakyrelu(1e999)", `col 11: number 1e999 is out of range`},
		{"batchnorm(eps=0)", `col 15: batchnorm: eps 0: want a positive number`},
		{"maxout(65)", `col 8: maxout: k 65: out of range [1, 64]`},
		{"unflatten", `col 1: unflatten needs at least one size, as unflatten(1,28,28)`},
		{"unflatten(1,0)", `col 13: unflatten: size 0 out of range [1, 1048576]`},
		{"unflatten(1,1,1,1,1,1,1,1,1)", `col 27: unflatten: more than 8 sizes`},
		{"relu ; tanh", `col 6: unexpected character ';'`},
		{"relu\xff", `col 5: invalid UTF-8 byte "\xff"`},
		{"(relu)", `col 1: expected a layer, found "("`},
		{"relu 3", `col 6: expected a layer, found "3"`},
		{"conv(32,3) × relu", `col 12: unexpected character '×'`},
		{"gap groupnorm(g=2,g=3)", `col 19: groupnorm: g given twice`},
	} {
		_, err := ParseArch(c.text)
		var ae *ArchError
		if !errors.As(err, &ae) {
			t.Errorf("%q: error %v, want an *ArchError", c.text, err)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%q:\ngot  %s\nwant %s", c.text, err, c.want)
		}
	}
	_, err := ParseArch("relu " + strings.Repeat("tanh ", MaxArchText/5))
	if err == nil || !strings.Contains(err.Error(), "more than 65536") {
		t.Errorf("a long text: %v", err)
	}
	_, err = ParseArch(strings.Repeat("relu ", MaxArchLayers+1))
	if err == nil || err.Error() != "col 20481: more than 4096 layers" {
		t.Errorf("too many layers: %v", err)
	}
}

func TestArchErrorCaret(t *testing.T) {
	_, err := ParseArch("conv(32,3)\tmaxpol(2)")
	var ae *ArchError
	if !errors.As(err, &ae) {
		t.Fatal(err)
	}
	if got, want := ae.Caret(), "conv(32,3)\tmaxpol(2)\n          \t^"; got != want {
		t.Errorf("caret\n%s\nwant\n%s", got, want)
	}
}

// The canonical text: positional arguments by position, options only
// where they differ from the default, sizes as N or HxW.
func TestArchCanonical(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"conv( 32 , 3 )", "conv(32,3)"},
		{"conv(out=32, k=3x3, stride=1, pad=0x0, dilation=1, groups=1, bias=true)", "conv(32,3)"},
		{"conv(32,3×5,stride=2x1,pad=1,bias=false)", "conv(32,3x5,stride=2x1,pad=1,bias=false)"},
		{"maxpool(2,stride=2) maxpool(3,stride=2) avgpool(2x2,count_pad=true)", "maxpool(2) maxpool(3,stride=2) avgpool(2)"},
		{"avgpool(3,stride=1,pad=1,count_pad=false)", "avgpool(3,stride=1,pad=1,count_pad=false)"},
		{"leakyrelu elu maxout dropout", "leakyrelu(0.01) elu(1) maxout(2) dropout(0.5)"},
		{"leakyrelu(slope=0.2) elu(alpha=.5) maxout(k=3) dropout(p=0.25)", "leakyrelu(0.2) elu(0.5) maxout(3) dropout(0.25)"},
		{"batchnorm(momentum=0.1,eps=1e-5,affine=true) batchnorm(momentum=0.01,affine=false)", "batchnorm batchnorm(momentum=0.01,affine=false)"},
		{"layernorm(axes=1,eps=1e-6) groupnorm(4,affine=false)", "layernorm(axes=1,eps=1e-06) groupnorm(4,affine=false)"},
		{"  flatten\n\tunflatten(1,28,28)  gap  ", "flatten unflatten(1,28,28) gap"},
		{"leakyrelu(-0.5)", "leakyrelu(-0.5)"},
		{"lenet5", "conv(6,5,pad=2) relu maxpool(2) conv(16,5) relu maxpool(2) flatten linear(120) relu linear(84) relu linear(10)"},
		{" mlp ", "linear(512) relu linear(256) relu linear(10)"},
	} {
		a, err := ParseArch(c.text)
		if err != nil {
			t.Errorf("%q: %v", c.text, err)
			continue
		}
		if a.String() != c.want {
			t.Errorf("%q: canonical\n%s\nwant\n%s", c.text, a, c.want)
		}
		b, err := ParseArch(a.String())
		if err != nil || b.String() != a.String() {
			t.Errorf("%q: the canonical text parses to %v, %v", c.text, b, err)
		}
	}
}

// archCases use every layer kind, with options, and the presets; each
// with the shape of an example.
var archCases = []struct {
	text string
	in   []int
}{
	{"conv(4,3,pad=1) relu conv(6,3x2,stride=2,pad=1x0,dilation=1x2,groups=2,bias=false) tanh flatten linear(3)", mnistShape},
	{"conv(4,3) maxpool(2) maxpool(3,stride=1,pad=1,dilation=2) avgpool(2,stride=1) avgpool(3,pad=1,count_pad=false) gap linear(5,bias=false)", []int{2, 20, 20}},
	{"unflatten(2,7,7) conv(4,3) batchnorm sigmoid flatten batchnorm(momentum=0.2,eps=0.001) leakyrelu(0.2) linear(6)", []int{98}},
	{"batchnorm(affine=false) conv(4,3) groupnorm(2) elu(0.5) layernorm layernorm(axes=1,affine=false) flatten linear(8) maxout(4) linear(3)", []int{3, 10, 10}},
	{"layernorm(eps=0.0001) linear(12) maxout(3) dropout(0.3) linear(4) groupnorm(2,affine=false) dropout(0) relu linear(2)", []int{6}},
	{"relu dropout(0.1) conv(3,3) flatten linear(2)", mnistShape},
	{"linear(16) relu linear(10)", mnistShape},
	{"flatten linear(4) unflatten(1,2,2) conv(2,1)", []int{1, 4, 4}},
	{"mlp", mnistShape}, {"lenet5", mnistShape}, {"mnistcnn", mnistShape}, {"fast", mnistShape},
	{"mlp", []int{784}},
	{"lstm(6) linear(3)", []int{5, 4}},
	{"lstm(6,2,dropout=0.3) gru(4,3,dropout=0.5) linear(3)", []int{5, 4}},
	{"gru(5,2) rnn(3,layers=3) linear(4) relu linear(2)", []int{3, 2}},
	{"unflatten(4,3) lstm(5,layers=2) tanh flatten linear(3)", []int{12}},
}

// Parsing, building, describing the model and building the description
// give the same network: the same layers, parameters and buffers, names
// and shapes; the plan's shapes are those of a forward pass.
func TestArchRoundTrip(t *testing.T) {
	for _, c := range archCases {
		a, err := ParseArch(c.text)
		if err != nil {
			t.Fatalf("%s: %v", c.text, err)
		}
		p, err := a.Plan(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.text, err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		m := p.Build(rng)
		text, err := Describe(m, c.in)
		if err != nil {
			t.Fatalf("%s: Describe: %v", c.text, err)
		}
		if text != p.Arch().String() {
			t.Errorf("%s: Describe\n%s\nwant\n%s", c.text, text, p.Arch())
		}
		b, err := ParseArch(text)
		if err != nil {
			t.Fatalf("%s: the description %q: %v", c.text, text, err)
		}
		m2, err := b.Build(c.in, rng)
		if err != nil {
			t.Fatalf("%s: building the description %q: %v", c.text, text, err)
		}
		if len(m2.Layers) != len(m.Layers) {
			t.Errorf("%s: %d layers, then %d", c.text, len(m.Layers), len(m2.Layers))
		}
		if got, want := stateShapes(m2), stateShapes(m); !slices.EqualFunc(got, want, sameParamShape) {
			t.Errorf("%s: state_dict\n%v\nthen\n%v", c.text, want, got)
		}
		if got := p.StateDict(); !slices.EqualFunc(got, stateShapes(m), sameParamShape) {
			t.Errorf("%s: the plan's state_dict\n%v\nthe model's\n%v", c.text, got, stateShapes(m))
		}
		for i := range m.Layers {
			if d1, d2 := m.Layers[i], m2.Layers[i]; !sameLayer(d1, d2) {
				t.Errorf("%s: layer %d is %#v, then %#v", c.text, i, d1, d2)
			}
		}
		// The plan's shapes, parameter count and activations are the
		// model's.
		m.SetTraining(true)
		const n = 3
		x := ag.Const(tensor.Randn(rng, tensor.Float32, n, int(tensor.New(tensor.Float32, c.in...).Len())))
		var values int64
		for i, l := range m.Layers {
			x = l.Forward(x)
			if want := append([]int{n}, p.Layers[i].Out...); !slices.Equal(x.Shape(), want) {
				t.Errorf("%s: layer %d (%s) makes %v, the plan says %v", c.text, i, p.Layers[i].Words, x.Shape(), want)
			}
			values += int64(x.Value.Len() / n)
			switch l := l.(type) {
			case *Dropout, MaxPool2d:
				values += int64(x.Value.Len() / n)
			case *LSTM, *GRU, *RNN:
				values += recurrentInside(t, l, x.Value.Len()/n)
			}
		}
		if got := p.Activations(); got != values {
			t.Errorf("%s: Activations %d, a forward pass makes %d", c.text, got, values)
		}
		var params int64
		for _, q := range m.Parameters() {
			params += int64(q.Var.Value.Len())
		}
		if p.NumParams() != params {
			t.Errorf("%s: NumParams %d, the model has %d", c.text, p.NumParams(), params)
		}
	}
}

func stateShapes(m Module) []ParamShape {
	var ps []ParamShape
	for _, p := range StateDict(m) {
		ps = append(ps, ParamShape{p.Name, p.Var.Value.Shape()})
	}
	return ps
}

func sameParamShape(a, b ParamShape) bool { return a.Name == b.Name && slices.Equal(a.Shape, b.Shape) }

// sameLayer compares two layers' types and settings, not their weights.
func sameLayer(a, b Module) bool {
	switch a := a.(type) {
	case *Conv2d:
		b, ok := b.(*Conv2d)
		return ok && a.In == b.In && a.Out == b.Out && a.Kernel == b.Kernel && a.P == b.P && (a.Bias == nil) == (b.Bias == nil)
	case *Linear:
		b, ok := b.(*Linear)
		return ok && a.In == b.In && a.Out == b.Out && (a.Bias == nil) == (b.Bias == nil)
	case *Dropout:
		b, ok := b.(*Dropout)
		return ok && a.P == b.P
	case *BatchNorm:
		b, ok := b.(*BatchNorm)
		return ok && a.C == b.C && a.Momentum == b.Momentum && a.Eps == b.Eps && (a.Weight == nil) == (b.Weight == nil)
	case *LayerNorm:
		b, ok := b.(*LayerNorm)
		return ok && slices.Equal(a.Shape, b.Shape) && a.Eps == b.Eps && (a.Weight == nil) == (b.Weight == nil)
	case *GroupNorm:
		b, ok := b.(*GroupNorm)
		return ok && a.Groups == b.Groups && a.C == b.C && a.Eps == b.Eps && (a.Weight == nil) == (b.Weight == nil)
	case Unflatten:
		b, ok := b.(Unflatten)
		return ok && slices.Equal(a.Shape, b.Shape)
	case *LSTM:
		b, ok := b.(*LSTM)
		return ok && sameRecurrent(&a.Recurrent, &b.Recurrent)
	case *GRU:
		b, ok := b.(*GRU)
		return ok && sameRecurrent(&a.Recurrent, &b.Recurrent)
	case *RNN:
		b, ok := b.(*RNN)
		return ok && sameRecurrent(&a.Recurrent, &b.Recurrent)
	}
	return a == b // the value types: pooling, activations, Flatten
}

// recurrentInside counts the values the gates of a recurrent module
// keep, per example, besides its output of out values, from what
// ag.LSTM, GRU and RNN make: the gate buffer and the states each, the
// outputs taken from an LSTM's states, the masks of the dropout.
func recurrentInside(t *testing.T, m Module, out int) int64 {
	var r *Recurrent
	per := 0 // values per output value and layer, besides the output
	switch m := m.(type) {
	case *LSTM:
		r, per = &m.Recurrent, 4+2+1 // i f g o; h and c; h taken out
	case *GRU:
		r, per = &m.Recurrent, 3+1+1 // r z n; W_hn h + b_hn; h
	case *RNN:
		r, per = &m.Recurrent, 1 // h, also the gate buffer
	}
	n := r.Layers*per*out - out // the last layer's output is counted
	if r.Dropout != nil {
		n += (r.Layers - 1) * out
	}
	return int64(n)
}

func sameRecurrent(a, b *Recurrent) bool {
	return a.In == b.In && a.Hidden == b.Hidden && a.Layers == b.Layers && a.BatchFirst == b.BatchFirst &&
		(a.Dropout == nil) == (b.Dropout == nil) && (a.Dropout == nil || a.Dropout.P == b.Dropout.P)
}

// The text of a Spec builds what MLP builds, bit for bit, with the same
// draws from the random source: --hidden keeps making the same networks.
func TestSpecArchBuildsMLP(t *testing.T) {
	for _, s := range []Spec{
		{Sizes: []int{784, 512, 256, 10}},
		{Sizes: []int{2, 100, 3}, Activation: "relu"},
		{Sizes: []int{5, 4, 3, 2}, Activation: "maxout", K: 3},
		{Sizes: []int{5, 4, 3}, Activation: "maxout"},
		{Sizes: []int{6, 7, 8, 3}, Activation: "tanh", Dropout: 0.5},
		{Sizes: []int{6, 7, 3}, Activation: "sigmoid"},
		{Sizes: []int{6, 7, 3}, Activation: "leaky_relu", Slope: 0.2, Dropout: 0.1},
		{Sizes: []int{6, 7, 3}, Activation: "elu"},
		{Sizes: []int{6, 3}},
	} {
		want := MLP(s, rand.New(rand.NewPCG(7, 8)))
		a, err := ParseArch(s.Arch())
		if err != nil {
			t.Fatalf("%v: %q: %v", s, s.Arch(), err)
		}
		got, err := a.Build([]int{s.Sizes[0]}, rand.New(rand.NewPCG(7, 8)))
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		if len(got.Layers) != len(want.Layers) {
			t.Fatalf("%v: %d layers, MLP makes %d", s, len(got.Layers), len(want.Layers))
		}
		for i := range want.Layers {
			if !sameLayer(got.Layers[i], want.Layers[i]) {
				t.Errorf("%v: layer %d is %#v, MLP makes %#v", s, i, got.Layers[i], want.Layers[i])
			}
		}
		gp, wp := got.Parameters(), want.Parameters()
		for i := range wp {
			if gp[i].Name != wp[i].Name || !slices.Equal(gp[i].Var.Value.Values(), wp[i].Var.Value.Values()) {
				t.Errorf("%v: parameter %s differs from MLP's %s", s, gp[i].Name, wp[i].Name)
			}
		}
		p, _ := a.Plan([]int{s.Sizes[0]})
		if p.NumParams() != s.NumParams() || p.Activations() != s.Activations() {
			t.Errorf("%v: plan of %d parameters and %d activations, the Spec says %d and %d", s, p.NumParams(), p.Activations(), s.NumParams(), s.Activations())
		}
		if d, err := Describe(want, []int{s.Sizes[0]}); err != nil || d != s.Arch() {
			t.Errorf("%v: Describe(MLP) = %q, %v; want %q", s, d, err, s.Arch())
		}
	}
}

func TestArchPlanErrors(t *testing.T) {
	for _, c := range []struct {
		text string
		in   []int
		want string
	}{
		{"conv(6,5) relu linear(10)", mnistShape, "col 16: linear(10): input [6 24 24]: linear wants flat examples [D]: put flatten (or gap) before it"},
		{"conv(6,5)", []int{784}, "col 1: conv(6,5): input [784]: conv wants images [C H W]"},
		{"flatten conv(6,5)", mnistShape, "col 9: conv(6,5): input [784]: conv wants images [C H W]"},
		{"conv(6,30)", mnistShape, "col 1: conv(6,30): input [1 28 28]: kernel 30×30 (dilation 1×1) larger than the padded input 28×28"},
		{"conv(6,3,dilation=14)", mnistShape, "col 1: conv(6,3,dilation=14): input [1 28 28]: kernel 3×3 (dilation 14×14) larger than the padded input 28×28"},
		{"conv(6,3,groups=2)", mnistShape, "col 1: conv(6,3,groups=2): input [1 28 28]: 2 groups do not divide 1 input and 6 output channels"},
		{"maxpool(2,pad=2)", mnistShape, "col 1: maxpool(2,pad=2): input [1 28 28]: padding 2×2 is more than half the window 2×2"},
		{"avgpool(29)", mnistShape, "col 1: avgpool(29): input [1 28 28]: window 29×29 larger than the padded input 28×28"},
		{"gap gap", mnistShape, "col 5: gap: input [1]: gap wants images [C H W]"},
		{"unflatten(2,28,28)", []int{784}, "col 1: unflatten(2,28,28): input [784]: 784 values per example, but [2 28 28] holds 1568"},
		{"linear(10) maxout(3)", []int{784}, "col 12: maxout(3): input [10]: the last size 10 is not a multiple of 3"},
		{"conv(6,3) groupnorm(4)", mnistShape, "col 11: groupnorm(4): input [6 26 26]: 4 groups do not divide 6 channels"},
		{"layernorm(axes=2)", []int{784}, "col 1: layernorm(axes=2): input [784]: 2 axes of an example of 1"},
		{"unflatten(1,1,28,28) batchnorm", []int{784}, "col 22: batchnorm: input [1 1 28 28]: batchnorm wants [C], [C L] or [C H W]"},
		{"relu", []int{}, "input shape []: want 1 to 4 sizes"},
		{"relu", []int{0, 3}, "input shape [0 3]: size 0 out of range [1, 1048576]"},
		{"relu", []int{1, 1, 1, 1, 1}, "input shape [1 1 1 1 1]: want 1 to 4 sizes"},
		{"conv(1048576,1) conv(1048576,1) flatten", []int{1, 1048576, 1048576}, "col 1: conv(1048576,1): input [1 1048576 1048576]: output [1048576 1048576 1048576]: too many values per example"},
	} {
		a, err := ParseArch(c.text)
		if err != nil {
			t.Fatalf("%s: %v", c.text, err)
		}
		_, err = a.Plan(c.in)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s %v:\ngot  %v\nwant %s", c.text, c.in, err, c.want)
		}
		if _, err2 := a.Build(c.in, rand.New(rand.NewPCG(1, 1))); err2 == nil || err2.Error() != c.want {
			t.Errorf("%s %v: Build: %v", c.text, c.in, err2)
		}
	}
}

// The description of a model comes from its layers; what the language
// cannot say, or what does not fit, is an error naming the layer.
func TestDescribeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	type odd struct{ ReLU }
	badDropout := NewDropout(0.5, rng)
	badDropout.P = 1.5
	for _, c := range []struct {
		m    *Sequential
		in   []int
		want string
	}{
		{NewSequential(NewLinear(rng, 4, 3, nil), odd{}), []int{4}, "layer 1: nn.odd has no words in the architecture language"},
		{NewSequential(NewLinear(rng, 5, 3, nil)), []int{4}, "layer 0: linear(3): the layer has parameter 0.weight[3 5], its words make 0.weight[3 4]"},
		{NewSequential(NewConv2d(rng, 1, 2, [2]int{3, 3}, tensor.ConvParams{}, true, nil)), mnistShape, "layer 0: conv(2,3): the model takes images [1 28 28], but the language describes models of flat examples: start it with Unflatten{Shape: [1 28 28]}"},
		{NewSequential(Unflatten{Shape: mnistShape}, NewConv2d(rng, 2, 2, [2]int{3, 3}, tensor.ConvParams{}, true, nil)), mnistShape, "layer 1: conv(2,3): the layer has parameter 1.weight[2 2 3 3], its words make 1.weight[2 1 3 3]"},
		{NewSequential(Unflatten{Shape: mnistShape}, Flatten{}, NewLinear(rng, 784, 3, nil), badDropout), mnistShape, "layer 3: dropout(1.5): p 1.5: outside [0, 1)"},
		{NewSequential(Unflatten{Shape: []int{2, 28, 28}}), mnistShape, "layer 0: unflatten(2,28,28): input [784]: 784 values per example, but [2 28 28] holds 1568"},
		{NewSequential(), mnistShape, "a model with no layers"},
	} {
		if _, err := Describe(c.m, c.in); err == nil || err.Error() != c.want {
			t.Errorf("got  %v\nwant %s", err, c.want)
		}
	}
	// A BatchNorm whose buffers were replaced by others of the wrong size.
	bn := NewBatchNorm(3, true)
	bn.RunningVar = tensor.New(tensor.Float32, 4)
	_, err := Describe(NewSequential(bn), []int{3})
	if want := "layer 0: batchnorm: the layer has buffer 0.running_var[4], its words make 0.running_var[3]"; err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

// Weight layers take He uniform before the ReLU family and Xavier
// uniform before tanh and sigmoid; the last layer the previous one's.
func TestArchInit(t *testing.T) {
	a := MustParseArch("linear(300) tanh linear(200) relu linear(300) dropout(0.5) sigmoid linear(100) elu(1) batchnorm linear(10)")
	m, err := a.Build([]int{400}, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	xavier := func(in, out float64) float64 { return math.Sqrt(6 / (in + out)) }
	he := func(in, _ float64) float64 { return math.Sqrt(6 / in) }
	for _, c := range []struct {
		layer   int
		in, out float64
		bound   func(in, out float64) float64
	}{{0, 400, 300, xavier}, {2, 300, 200, he}, {4, 200, 300, xavier}, {7, 300, 100, he}, {10, 100, 10, he}} {
		w := m.Layers[c.layer].(*Linear).Weight.Value
		var top float64
		for _, v := range w.Values() {
			top = max(top, math.Abs(v))
		}
		if b := c.bound(c.in, c.out); top > b || top < 0.95*b {
			t.Errorf("layer %d: largest weight %.4f, want just under %.4f", c.layer, top, b)
		}
	}
}

func TestPresets(t *testing.T) {
	want := map[string]int64{"mlp": 535818, "lenet5": 61706, "mnistcnn": 1199882, "fast": 73762, "lstm": 938240, "gpt": 875520}
	if names := PresetNames(); len(names) != len(want) {
		t.Errorf("presets %v, want %d", names, len(want))
	}
	for name, n := range want {
		text, ok := Preset(name)
		if !ok {
			t.Errorf("no preset %q", name)
			continue
		}
		// The image models for MNIST's images, the text models for
		// windows of 128 bytes.
		in, out := mnistShape, []int{10}
		if name == "lstm" || name == "gpt" {
			in, out = []int{128}, []int{128, 256}
		}
		p, err := MustParseArch(text).Plan(in)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if p.NumParams() != n {
			t.Errorf("%s: %d parameters, want %d", name, p.NumParams(), n)
		}
		if !slices.Equal(p.Out(), out) {
			t.Errorf("%s: output %v, want %v", name, p.Out(), out)
		}
	}
	// The transformer's learned positions stop at its context.
	if _, err := MustParseArch("gpt").Plan([]int{129}); err == nil || !strings.Contains(err.Error(), "129 positions, more than the context 128") {
		t.Errorf("gpt for 129 positions: %v", err)
	}
	if _, ok := Preset("lenet"); ok {
		t.Error(`Preset("lenet") found something`)
	}
	// The parameter names of LeNet-5: an Unflatten comes first.
	p, _ := MustParseArch("lenet5").Plan(mnistShape)
	var names []string
	for _, s := range p.StateDict() {
		names = append(names, s.Name)
	}
	if want := []string{"1.weight", "1.bias", "4.weight", "4.bias", "8.weight", "8.bias", "10.weight", "10.bias", "12.weight", "12.bias"}; !slices.Equal(names, want) {
		t.Errorf("lenet5 names %v, want %v", names, want)
	}
}

// A model file's tensors are checked against the plan of its
// architecture before the network is built.
func TestFitsPlan(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a := MustParseArch("conv(4,3) batchnorm relu flatten linear(3)")
	m, err := a.Build(mnistShape, rng)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, StateDict(m), nil); err != nil {
		t.Fatal(err)
	}
	st, err := ReadSafetensors(bytes.NewReader(buf.Bytes()), "m")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := a.Plan(mnistShape)
	if err := st.FitsPlan(p); err != nil {
		t.Errorf("FitsPlan of its own plan: %v", err)
	}
	other, _ := MustParseArch("conv(5,3) batchnorm relu flatten linear(3)").Plan(mnistShape)
	if err := st.FitsPlan(other); err == nil || err.Error() != `tensor "1.weight" has shape [4 1 3 3], the architecture wants [5 1 3 3]` {
		t.Errorf("FitsPlan of another plan: %v", err)
	}
	m2 := p.Build(rng)
	if err := st.Load(m2); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m2.Layers[2].(*BatchNorm).RunningVar.Values(), m.Layers[2].(*BatchNorm).RunningVar.Values()) {
		t.Error("the buffers were not loaded")
	}
}

func FuzzParseArch(f *testing.F) {
	for _, c := range archCases {
		f.Add(c.text)
	}
	for _, s := range []string{"conv(32,3x", "maxpool(2,stride=3×3)", "leakyrelu(-1e-3)", "dropout(.5e1)", "unflatten(1,2,3,4)", "conv(1,1,groups=0)", "a(b=c)", "1x", "×", "((("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		a, err := ParseArch(text)
		if err != nil {
			var ae *ArchError
			if !errors.As(err, &ae) {
				t.Fatalf("%q: %T %v", text, err, err)
			}
			_ = ae.Caret()
			return
		}
		b, err := ParseArch(a.String())
		if err != nil || b.String() != a.String() {
			t.Fatalf("%q: the canonical %q parses to %v, %v", text, a, b, err)
		}
		for _, in := range [][]int{mnistShape, {784}, {3, 8, 8}} {
			p, err := a.Plan(in)
			if err != nil {
				continue
			}
			if p.NumParams() < 1<<16 && p.Activations() < 1<<16 {
				m := p.Build(rand.New(rand.NewPCG(1, 1)))
				if d, err := Describe(m, in); err != nil || d != p.Arch().String() {
					t.Fatalf("%q %v: Describe %q, %v; want %q", text, in, d, err, p.Arch())
				}
			}
		}
	})
}
