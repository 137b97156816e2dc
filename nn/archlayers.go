package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"backprop/internal/memory"
	"backprop/tensor"
)

// This file holds the layers of the architecture language: for every
// word its parameters, how it maps the shape of an example, what it
// builds, and (describeLayer) how a built layer is written back.

// want is what a layer needs of its input.
type want uint8

const (
	wantAny   want = iota // element-wise: any shape
	wantImage             // images [C H W] (or channels first, for the normalisations)
	wantFlat              // flat examples [D]
	wantSeq               // sequences [T E]
)

// family is the activation family that chooses the initialisation of
// the weights before it.
type family uint8

const (
	notActivation family = iota
	reluFamily           // ReLU, LeakyReLU, ELU, maxout: He uniform
	squashing            // tanh, sigmoid: Xavier uniform
)

// layerKind is a word of the language.
type layerKind struct {
	word     string
	params   []param
	variadic bool // unflatten: a list of sizes instead of parameters
	wants    want
	act      family
	weights  bool // it draws weights from the random source (conv, linear)
	// norm, if not nil, brings the arguments into their canonical form.
	norm func(l *archLayer)
	// plan maps the shape of an example, without the batch axis, to the
	// layer's output, its parameters and buffers (named as the layer
	// names them) and the floating-point operations of its forward pass
	// per example; msg says what is wrong otherwise.
	plan func(l *archLayer, in []int) (out []int, ps, bufs []ParamShape, flops int64, msg string)
	// build makes the layer for inputs of shape in, which plan accepted.
	build func(l *archLayer, in []int, rng *rand.Rand, init Init) Module
}

func (l *archLayer) get(name string) value {
	i := l.kind.index(name)
	if i < 0 {
		panic("nn: layer " + l.kind.word + " has no parameter " + name)
	}
	return l.vals[i]
}

// The parameter checks.

func intIn(lo, hi int) func(value) string {
	return func(v value) string {
		if v.i < lo || v.i > hi {
			return fmt.Sprintf("out of range [%d, %d]", lo, hi)
		}
		return ""
	}
}

func sizeIn(lo, hi int) func(value) string {
	return func(v value) string {
		for _, d := range v.sz {
			if d < lo || d > hi {
				return fmt.Sprintf("out of range [%d, %d]", lo, hi)
			}
		}
		return ""
	}
}

// floatIn accepts [lo, hi], or [lo, hi) when open.
func floatIn(lo, hi float64, open bool) func(value) string {
	return func(v value) string {
		if math.IsNaN(v.f) || v.f < lo || v.f > hi || open && v.f == hi {
			if open {
				return fmt.Sprintf("outside [%g, %g)", lo, hi)
			}
			return fmt.Sprintf("outside [%g, %g]", lo, hi)
		}
		return ""
	}
}

func positive(v value) string {
	if !(v.f > 0) || math.IsInf(v.f, 0) {
		return "want a positive number"
	}
	return ""
}

func finite(v value) string {
	if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
		return "want a finite number"
	}
	return ""
}

func anyBool(value) string { return "" }

func sz(n int) value      { return value{sz: [2]int{n, n}} }
func fl(f float64) value  { return value{f: f} }
func yes() value          { return value{b: true} }
func integer(n int) value { return value{i: n} }

// The parameters several kinds share.
var (
	pEps    = param{name: "eps", typ: pFloat, def: fl(1e-5), check: positive}
	pAffine = param{name: "affine", typ: pBool, def: yes(), check: anyBool}
	pBias   = param{name: "bias", typ: pBool, def: yes(), check: anyBool}
)

// maxValues bounds the values of one example's output of any layer.
const maxValues = 1 << 40

// layerKinds is the language, in the order the documentation lists it.
var layerKinds = []*layerKind{
	{word: "conv", wants: wantImage, weights: true, params: []param{
		{name: "out", typ: pInt, req: true, pos: true, check: intIn(1, MaxWidth)},
		{name: "k", typ: pSize, req: true, pos: true, check: sizeIn(1, MaxWidth)},
		{name: "stride", typ: pSize, def: sz(1), check: sizeIn(1, MaxWidth)},
		{name: "pad", typ: pSize, def: sz(0), check: sizeIn(0, MaxWidth)},
		{name: "dilation", typ: pSize, def: sz(1), check: sizeIn(1, MaxWidth)},
		{name: "groups", typ: pInt, def: integer(1), check: intIn(1, MaxWidth)},
		pBias,
	}, plan: planConv, build: buildConv},
	{word: "maxpool", wants: wantImage, params: poolParams(true), norm: normPool, plan: planPool, build: buildMaxPool},
	{word: "avgpool", wants: wantImage, params: poolParams(false), norm: normPool, plan: planPool, build: buildAvgPool},
	{word: "gap", wants: wantImage, plan: planGAP,
		build: func(*archLayer, []int, *rand.Rand, Init) Module { return GlobalAvgPool2d{} }},
	{word: "flatten", wants: wantFlat, plan: planFlatten,
		build: func(*archLayer, []int, *rand.Rand, Init) Module { return Flatten{} }},
	{word: "unflatten", wants: wantFlat, variadic: true, plan: planUnflatten,
		build: func(l *archLayer, _ []int, _ *rand.Rand, _ Init) Module {
			return Unflatten{Shape: append([]int(nil), l.dims...)}
		}},
	{word: "linear", wants: wantFlat, weights: true, params: []param{
		{name: "out", typ: pInt, req: true, pos: true, check: intIn(1, MaxWidth)},
		pBias,
	}, plan: planLinear, build: buildLinear},
	{word: "relu", act: reluFamily, plan: planSame,
		build: func(*archLayer, []int, *rand.Rand, Init) Module { return ReLU{} }},
	{word: "tanh", act: squashing, plan: planSame,
		build: func(*archLayer, []int, *rand.Rand, Init) Module { return Tanh{} }},
	{word: "sigmoid", act: squashing, plan: planSame,
		build: func(*archLayer, []int, *rand.Rand, Init) Module { return Sigmoid{} }},
	{word: "gelu", act: reluFamily, params: []param{
		{name: "tanh", typ: pBool, def: value{}, check: anyBool},
	}, plan: planSame, build: func(l *archLayer, _ []int, _ *rand.Rand, _ Init) Module {
		return GELU{Tanh: l.get("tanh").b}
	}},
	{word: "leakyrelu", act: reluFamily, params: []param{
		{name: "slope", typ: pFloat, pos: true, def: fl(0.01), check: finite},
	}, plan: planSame, build: func(l *archLayer, _ []int, _ *rand.Rand, _ Init) Module {
		return LeakyReLU{Slope: l.get("slope").f}
	}},
	{word: "elu", act: reluFamily, params: []param{
		{name: "alpha", typ: pFloat, pos: true, def: fl(1), check: finite},
	}, plan: planSame, build: func(l *archLayer, _ []int, _ *rand.Rand, _ Init) Module {
		return ELUModule{Alpha: l.get("alpha").f}
	}},
	{word: "maxout", act: reluFamily, params: []param{
		{name: "k", typ: pInt, pos: true, def: integer(2), check: intIn(1, 64)},
	}, plan: planMaxout, build: func(l *archLayer, _ []int, _ *rand.Rand, _ Init) Module {
		return MaxoutModule{K: l.get("k").i}
	}},
	{word: "dropout", params: []param{
		{name: "p", typ: pFloat, pos: true, def: fl(0.5), check: floatIn(0, 1, true)},
	}, plan: planSame, build: func(l *archLayer, _ []int, rng *rand.Rand, _ Init) Module {
		return NewDropout(l.get("p").f, rng)
	}},
	{word: "batchnorm", wants: wantImage, params: []param{
		{name: "momentum", typ: pFloat, def: fl(0.1), check: floatIn(0, 1, false)},
		pEps, pAffine,
	}, plan: planBatchNorm, build: buildBatchNorm},
	{word: "layernorm", wants: wantImage, params: []param{
		{name: "axes", typ: pInt, def: integer(0), check: intIn(0, 8)},
		pEps, pAffine,
	}, plan: planLayerNorm, build: buildLayerNorm},
	{word: "groupnorm", wants: wantImage, params: []param{
		{name: "g", typ: pInt, req: true, pos: true, check: intIn(1, MaxWidth)},
		pEps, pAffine,
	}, plan: planGroupNorm, build: buildGroupNorm},
	{word: "embed", wants: wantFlat, params: []param{
		{name: "dim", typ: pInt, req: true, pos: true, check: intIn(1, MaxWidth)},
		{name: "vocab", typ: pInt, def: integer(ByteVocab), check: intIn(1, MaxWidth)},
	}, plan: planEmbed, build: buildEmbed},
	{word: "posembed", params: []param{
		{name: "context", typ: pInt, req: true, pos: true, check: intIn(1, MaxWidth)},
	}, plan: planPosEmbed, build: buildPosEmbed},
	{word: "sinpos", plan: planSinPos,
		build: func(*archLayer, []int, *rand.Rand, Init) Module { return SinusoidalPositions{} }},
	{word: "lstm", wants: wantSeq, weights: true, params: recurrentParams(), plan: planRecurrent, build: buildRecurrent},
	{word: "gru", wants: wantSeq, weights: true, params: recurrentParams(), plan: planRecurrent, build: buildRecurrent},
	{word: "rnn", wants: wantSeq, weights: true, params: recurrentParams(), plan: planRecurrent, build: buildRecurrent},
	{word: "block", wants: wantSeq, weights: true, params: []param{
		{name: "heads", typ: pInt, req: true, pos: true, check: intIn(1, MaxWidth)},
		{name: "hidden", typ: pInt, def: integer(0), defDoc: "4E", check: intIn(0, MaxWidth)},
		{name: "dropout", typ: pFloat, def: fl(0), check: floatIn(0, 1, true)},
		{name: "causal", typ: pBool, def: yes(), check: anyBool},
	}, plan: planBlock, build: buildBlock},
}

// MaxRecurrentLayers bounds the layers of one lstm, gru or rnn word.
const MaxRecurrentLayers = 64

// recurrentParams are the parameters of lstm, gru and rnn: the hidden
// size and the number of stacked layers.
func recurrentParams() []param {
	return []param{
		{name: "hidden", typ: pInt, req: true, pos: true, check: intIn(1, MaxWidth)},
		{name: "layers", typ: pInt, pos: true, def: integer(1), check: intIn(1, MaxRecurrentLayers)},
		{name: "dropout", typ: pFloat, def: fl(0), check: floatIn(0, 1, true)},
	}
}

// recurrentGates returns the blocks of rows of the weights of a
// recurrent word: 4 for lstm, 3 for gru, 1 for rnn.
func recurrentGates(word string) int {
	switch word {
	case "lstm":
		return 4
	case "gru":
		return 3
	}
	return 1
}

// poolParams are the parameters of maxpool (with dilation) and avgpool
// (with count_pad). A stride of 0 means the window's size.
func poolParams(isMax bool) []param {
	ps := []param{
		{name: "k", typ: pSize, req: true, pos: true, check: sizeIn(1, MaxWidth)},
		{name: "stride", typ: pSize, def: sz(0), defDoc: "k", check: sizeIn(1, MaxWidth)},
		{name: "pad", typ: pSize, def: sz(0), check: sizeIn(0, MaxWidth)},
	}
	if isMax {
		return append(ps, param{name: "dilation", typ: pSize, def: sz(1), check: sizeIn(1, MaxWidth)})
	}
	return append(ps, param{name: "count_pad", typ: pBool, def: yes(), check: anyBool})
}

// normPool writes a stride equal to the window as the default.
func normPool(l *archLayer) {
	i := l.kind.index("stride")
	if l.vals[i].sz == l.get("k").sz {
		l.vals[i] = sz(0)
	}
}

func sizeStr(s [2]int) string { return strconv.Itoa(s[0]) + "×" + strconv.Itoa(s[1]) }

func wantImages(l *archLayer, in []int) string {
	if len(in) != 3 {
		return fmt.Sprintf("%s wants images [C H W]", l.kind.word)
	}
	return ""
}

func planConv(l *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	if msg := wantImages(l, in); msg != "" {
		return nil, nil, nil, 0, msg
	}
	c, h, w := in[0], in[1], in[2]
	out, k, g := l.get("out").i, l.get("k").sz, l.get("groups").i
	s, p, d := l.get("stride").sz, l.get("pad").sz, l.get("dilation").sz
	if c%g != 0 || out%g != 0 {
		return nil, nil, nil, 0, fmt.Sprintf("%d groups do not divide %d input and %d output channels", g, c, out)
	}
	eh, ew := d[0]*(k[0]-1)+1, d[1]*(k[1]-1)+1
	if h+2*p[0] < eh || w+2*p[1] < ew {
		return nil, nil, nil, 0, fmt.Sprintf("kernel %s (dilation %s) larger than the padded input %s", sizeStr(k), sizeStr(d), sizeStr([2]int{h + 2*p[0], w + 2*p[1]}))
	}
	oh, ow := (h+2*p[0]-eh)/s[0]+1, (w+2*p[1]-ew)/s[1]+1
	ps := []ParamShape{{"weight", []int{out, c / g, k[0], k[1]}}}
	if l.get("bias").b {
		ps = append(ps, ParamShape{"bias", []int{out}})
	}
	flops := memory.Mul(2, int64(out), int64(oh), int64(ow), int64(c/g), int64(k[0]), int64(k[1]))
	return []int{out, oh, ow}, ps, nil, flops, ""
}

func buildConv(l *archLayer, in []int, rng *rand.Rand, init Init) Module {
	p := tensor.ConvParams{Stride: l.get("stride").sz, Padding: l.get("pad").sz,
		Dilation: l.get("dilation").sz, Groups: l.get("groups").i}
	return NewConv2d(rng, in[0], l.get("out").i, l.get("k").sz, p, l.get("bias").b, init)
}

// poolOf returns the pooling parameters of l, a maxpool or avgpool.
func poolOf(l *archLayer) tensor.PoolParams {
	p := tensor.PoolParams{Kernel: l.get("k").sz, Stride: l.get("stride").sz, Padding: l.get("pad").sz, Dilation: [2]int{1, 1}}
	if p.Stride == [2]int{} {
		p.Stride = p.Kernel
	}
	if l.kind.word == "maxpool" {
		p.Dilation = l.get("dilation").sz
	} else {
		p.ExcludePad = !l.get("count_pad").b
	}
	return p
}

func planPool(l *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	if msg := wantImages(l, in); msg != "" {
		return nil, nil, nil, 0, msg
	}
	p := poolOf(l)
	k, d := p.Kernel, p.Dilation
	if p.Padding[0] > k[0]/2 || p.Padding[1] > k[1]/2 {
		return nil, nil, nil, 0, fmt.Sprintf("padding %s is more than half the window %s", sizeStr(p.Padding), sizeStr(k))
	}
	eh, ew := d[0]*(k[0]-1)+1, d[1]*(k[1]-1)+1
	h, w := in[1]+2*p.Padding[0], in[2]+2*p.Padding[1]
	if h < eh || w < ew {
		return nil, nil, nil, 0, fmt.Sprintf("window %s larger than the padded input %s", sizeStr([2]int{eh, ew}), sizeStr([2]int{h, w}))
	}
	return []int{in[0], (h-eh)/p.Stride[0] + 1, (w-ew)/p.Stride[1] + 1}, nil, nil, 0, ""
}

func buildMaxPool(l *archLayer, _ []int, _ *rand.Rand, _ Init) Module {
	return MaxPool2d{P: poolOf(l)}
}

func buildAvgPool(l *archLayer, _ []int, _ *rand.Rand, _ Init) Module {
	return AvgPool2d{P: poolOf(l)}
}

func planGAP(l *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	if msg := wantImages(l, in); msg != "" {
		return nil, nil, nil, 0, msg
	}
	return []int{in[0]}, nil, nil, 0, ""
}

func planFlatten(_ *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	return []int{int(memory.Elements(in))}, nil, nil, 0, ""
}

func planUnflatten(l *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	if a, b := memory.Elements(in), memory.Elements(l.dims); a != b {
		return nil, nil, nil, 0, fmt.Sprintf("%d values per example, but %v holds %d", a, l.dims, b)
	}
	return append([]int(nil), l.dims...), nil, nil, 0, ""
}

// planLinear accepts flat examples [D] and sequences [T D], where the
// layer applies to every step: [T D] → [T out].
func planLinear(l *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	if len(in) != 1 && len(in) != 2 {
		return nil, nil, nil, 0, "linear wants flat examples [D]: put flatten (or gap) before it"
	}
	d, out := in[len(in)-1], l.get("out").i
	ps := []ParamShape{{"weight", []int{out, d}}}
	if l.get("bias").b {
		ps = append(ps, ParamShape{"bias", []int{out}})
	}
	shape := append(append([]int(nil), in[:len(in)-1]...), out)
	steps := int64(memory.Elements(in[:len(in)-1]))
	return shape, ps, nil, memory.Mul(2, steps, int64(d), int64(out)), ""
}

func buildLinear(l *archLayer, in []int, rng *rand.Rand, init Init) Module {
	lin := NewLinear(rng, in[len(in)-1], l.get("out").i, init)
	if !l.get("bias").b {
		lin.Bias = nil
	}
	return lin
}

func planSame(_ *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	return append([]int(nil), in...), nil, nil, 0, ""
}

func planMaxout(l *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	k := l.get("k").i
	if in[len(in)-1]%k != 0 {
		return nil, nil, nil, 0, fmt.Sprintf("the last size %d is not a multiple of %d", in[len(in)-1], k)
	}
	out := append([]int(nil), in...)
	out[len(out)-1] /= k
	return out, nil, nil, 0, ""
}

// planRecurrent plans lstm, gru and rnn: sequences [T I] to the last
// layer's hidden states [T H], with every layer's weight_ih_l…,
// weight_hh_l…, bias_ih_l… and bias_hh_l…, as PyTorch names them.
func planRecurrent(l *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	if len(in) != 2 {
		return nil, nil, nil, 0, fmt.Sprintf("%s wants sequences [T D]", l.kind.word)
	}
	t, h, layers := in[0], l.get("hidden").i, l.get("layers").i
	g := recurrentGates(l.kind.word) * h
	var ps []ParamShape
	var flops int64
	for k := range layers {
		d := in[1]
		if k > 0 {
			d = h
		}
		s := strconv.Itoa(k)
		ps = append(ps, ParamShape{"weight_ih_l" + s, []int{g, d}}, ParamShape{"weight_hh_l" + s, []int{g, h}},
			ParamShape{"bias_ih_l" + s, []int{g}}, ParamShape{"bias_hh_l" + s, []int{g}})
		flops = memory.Add(flops, memory.Mul(2, int64(t), int64(g), int64(d+h)))
	}
	return []int{t, h}, ps, nil, flops, ""
}

// recurrentValues returns the values a recurrent word l of gates blocks
// keeps inside, per example, besides its output of out values: every
// layer's gate activations (gates·out), an LSTM's hidden and cell states
// (2·out, from which the output is taken) and a GRU's W_hn h + b_hn
// (out), the outputs of the layers below the last (out), and the masks
// of the dropout between them (out).
func recurrentValues(l *archLayer, gates int, out int64) int64 {
	layers := int64(l.get("layers").i)
	var per int64 // an RNN's activations are its output
	switch gates {
	case 4:
		per = 4 + 2
	case 3:
		per = 3 + 1
	}
	n := memory.Mul(layers, per, out)
	below := memory.Mul(layers-1, out)
	if l.get("dropout").f > 0 {
		below = memory.Mul(2, below)
	}
	return memory.Add(n, below)
}

func buildRecurrent(l *archLayer, in []int, rng *rand.Rand, _ Init) Module {
	h, layers := l.get("hidden").i, l.get("layers").i
	var m Module
	var r *Recurrent
	switch l.kind.word {
	case "lstm":
		x := NewLSTM(rng, in[1], h, layers, true)
		m, r = x, &x.Recurrent
	case "gru":
		x := NewGRU(rng, in[1], h, layers, true)
		m, r = x, &x.Recurrent
	default:
		x := NewRNN(rng, in[1], h, layers, true)
		m, r = x, &x.Recurrent
	}
	if p := l.get("dropout").f; p > 0 {
		r.Dropout = NewDropout(p, rng)
	}
	return m
}

// affinePair returns the parameters weight and bias of the given shape,
// or none when l has no affine transform.
func affinePair(l *archLayer, shape []int) []ParamShape {
	if !l.get("affine").b {
		return nil
	}
	return []ParamShape{{"weight", shape}, {"bias", append([]int(nil), shape...)}}
}

func planBatchNorm(l *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	if len(in) > 3 {
		return nil, nil, nil, 0, "batchnorm wants [C], [C L] or [C H W]"
	}
	c := in[0]
	bufs := []ParamShape{{"running_mean", []int{c}}, {"running_var", []int{c}}, {"num_batches_tracked", []int{}}}
	return append([]int(nil), in...), affinePair(l, []int{c}), bufs, 0, ""
}

func buildBatchNorm(l *archLayer, in []int, _ *rand.Rand, _ Init) Module {
	b := NewBatchNorm(in[0], l.get("affine").b)
	b.Momentum, b.Eps = l.get("momentum").f, l.get("eps").f
	return b
}

// normShape returns the trailing shape a layernorm normalises: the last
// axes sizes of in, all of them for 0.
func normShape(l *archLayer, in []int) []int {
	a := l.get("axes").i
	if a == 0 || a > len(in) {
		a = len(in)
	}
	return append([]int(nil), in[len(in)-a:]...)
}

func planLayerNorm(l *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	if a := l.get("axes").i; a > len(in) {
		return nil, nil, nil, 0, fmt.Sprintf("%d axes of an example of %d", a, len(in))
	}
	return append([]int(nil), in...), affinePair(l, normShape(l, in)), nil, 0, ""
}

func buildLayerNorm(l *archLayer, in []int, _ *rand.Rand, _ Init) Module {
	n := NewLayerNorm(normShape(l, in), l.get("affine").b)
	n.Eps = l.get("eps").f
	return n
}

func planGroupNorm(l *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	c, g := in[0], l.get("g").i
	if c%g != 0 {
		return nil, nil, nil, 0, fmt.Sprintf("%d groups do not divide %d channels", g, c)
	}
	return append([]int(nil), in...), affinePair(l, []int{c}), nil, 0, ""
}

func buildGroupNorm(l *archLayer, in []int, _ *rand.Rand, _ Init) Module {
	n := NewGroupNorm(l.get("g").i, in[0], l.get("affine").b)
	n.Eps = l.get("eps").f
	return n
}

// blockHidden returns the hidden width of a block of width e: its
// hidden argument, 0 meaning 4e.
func blockHidden(l *archLayer, e int) int {
	if h := l.get("hidden").i; h > 0 {
		return h
	}
	return 4 * e
}

func planBlock(l *archLayer, in []int) ([]int, []ParamShape, []ParamShape, int64, string) {
	if len(in) != 2 {
		return nil, nil, nil, 0, "block wants sequences [T E]"
	}
	t, e, heads := in[0], in[1], l.get("heads").i
	if e%heads != 0 {
		return nil, nil, nil, 0, fmt.Sprintf("%d heads do not divide the width %d", heads, e)
	}
	hid := blockHidden(l, e)
	ps := []ParamShape{
		{"ln1.weight", []int{e}}, {"ln1.bias", []int{e}},
		{"attn.in_proj_weight", []int{3 * e, e}}, {"attn.in_proj_bias", []int{3 * e}},
		{"attn.out_proj.weight", []int{e, e}}, {"attn.out_proj.bias", []int{e}},
		{"ln2.weight", []int{e}}, {"ln2.bias", []int{e}},
		{"mlp.0.weight", []int{hid, e}}, {"mlp.0.bias", []int{hid}},
		{"mlp.2.weight", []int{e, hid}}, {"mlp.2.bias", []int{e}},
	}
	// The projections, 2·T·E·(3E + E + 2·hidden), and the attention's
	// two products, 2·2·T²·E, counted whole even under a causal mask.
	flops := memory.Add(memory.Mul(2, int64(t), int64(e), int64(4*e+2*hid)), memory.Mul(4, int64(t), int64(t), int64(e)))
	return []int{t, e}, ps, nil, flops, ""
}

func buildBlock(l *archLayer, in []int, rng *rand.Rand, _ Init) Module {
	e := in[1]
	return NewBlock(rng, e, l.get("heads").i, blockHidden(l, e), l.get("causal").b, l.get("dropout").f)
}

// describeLayer writes the layer m, whose input examples have the shape
// in, as words of the language; ok is false for a module the language
// has no words for.
func describeLayer(m Module, in []int) (l *archLayer, ok bool) {
	mk := func(word string) *archLayer {
		k := kindOf(word)
		l := &archLayer{kind: k, vals: make([]value, len(k.params))}
		for i, p := range k.params {
			l.vals[i] = p.def
		}
		return l
	}
	set := func(l *archLayer, name string, v value) { l.vals[l.kind.index(name)] = v }
	or1 := func(s [2]int) [2]int { // 0 means 1 in ConvParams
		for i := range s {
			if s[i] == 0 {
				s[i] = 1
			}
		}
		return s
	}
	pool := func(word string, p tensor.PoolParams) *archLayer {
		l := mk(word)
		set(l, "k", value{sz: p.Kernel})
		set(l, "stride", value{sz: p.Stride})
		set(l, "pad", value{sz: p.Padding})
		if word == "maxpool" {
			set(l, "dilation", value{sz: or1(p.Dilation)})
		} else {
			set(l, "count_pad", value{b: !p.ExcludePad})
		}
		normPool(l)
		return l
	}
	switch m := m.(type) {
	case *Conv2d:
		l = mk("conv")
		set(l, "out", integer(m.Out))
		set(l, "k", value{sz: m.Kernel})
		set(l, "stride", value{sz: or1(m.P.Stride)})
		set(l, "pad", value{sz: m.P.Padding})
		set(l, "dilation", value{sz: or1(m.P.Dilation)})
		set(l, "groups", integer(max(m.P.Groups, 1)))
		set(l, "bias", value{b: m.Bias != nil})
	case MaxPool2d:
		l = pool("maxpool", m.P)
	case *MaxPool2d:
		l = pool("maxpool", m.P)
	case AvgPool2d:
		l = pool("avgpool", m.P)
	case *AvgPool2d:
		l = pool("avgpool", m.P)
	case GlobalAvgPool2d, *GlobalAvgPool2d:
		l = mk("gap")
	case Flatten, *Flatten:
		l = mk("flatten")
	case Unflatten:
		l = mk("unflatten")
		l.dims = append([]int(nil), m.Shape...)
	case *Unflatten:
		l = mk("unflatten")
		l.dims = append([]int(nil), m.Shape...)
	case *Linear:
		l = mk("linear")
		set(l, "out", integer(m.Out))
		set(l, "bias", value{b: m.Bias != nil})
	case ReLU, *ReLU:
		l = mk("relu")
	case Tanh, *Tanh:
		l = mk("tanh")
	case Sigmoid, *Sigmoid:
		l = mk("sigmoid")
	case GELU:
		l = mk("gelu")
		set(l, "tanh", value{b: m.Tanh})
	case *GELU:
		l = mk("gelu")
		set(l, "tanh", value{b: m.Tanh})
	case LeakyReLU:
		l = mk("leakyrelu")
		set(l, "slope", fl(m.Slope))
	case *LeakyReLU:
		l = mk("leakyrelu")
		set(l, "slope", fl(m.Slope))
	case ELUModule:
		l = mk("elu")
		set(l, "alpha", fl(m.Alpha))
	case *ELUModule:
		l = mk("elu")
		set(l, "alpha", fl(m.Alpha))
	case MaxoutModule:
		l = mk("maxout")
		set(l, "k", integer(m.K))
	case *MaxoutModule:
		l = mk("maxout")
		set(l, "k", integer(m.K))
	case *Dropout:
		l = mk("dropout")
		set(l, "p", fl(m.P))
	case *BatchNorm:
		l = mk("batchnorm")
		set(l, "momentum", fl(m.Momentum))
		set(l, "eps", fl(m.Eps))
		set(l, "affine", value{b: m.Weight != nil})
	case *LayerNorm:
		l = mk("layernorm")
		if len(m.Shape) != len(in) {
			set(l, "axes", integer(len(m.Shape)))
		}
		set(l, "eps", fl(m.Eps))
		set(l, "affine", value{b: m.Weight != nil})
	case *LSTM:
		l = recurrentWords(mk("lstm"), &m.Recurrent)
	case *GRU:
		l = recurrentWords(mk("gru"), &m.Recurrent)
	case *RNN:
		l = recurrentWords(mk("rnn"), &m.Recurrent)
	case *Block:
		l = mk("block")
		set(l, "heads", integer(m.Heads))
		if m.Hidden != 4*m.Embed {
			set(l, "hidden", integer(m.Hidden))
		}
		set(l, "dropout", fl(m.Attn.Dropout))
		set(l, "causal", value{b: m.Attn.Causal})
	case *GroupNorm:
		l = mk("groupnorm")
		set(l, "g", integer(m.Groups))
		set(l, "eps", fl(m.Eps))
		set(l, "affine", value{b: m.Weight != nil})
	default:
		return describeSeqLayer(m, mk, set)
	}
	if l == nil {
		return nil, false
	}
	return l, true
}

// recurrentWords sets the parameters of l, an lstm, gru or rnn, from r;
// it returns nil for time-major layers, which the language (batch-first
// throughout) has no words for.
func recurrentWords(l *archLayer, r *Recurrent) *archLayer {
	if !r.BatchFirst {
		return nil
	}
	l.vals[l.kind.index("hidden")] = integer(r.Hidden)
	l.vals[l.kind.index("layers")] = integer(r.Layers)
	if r.Dropout != nil {
		l.vals[l.kind.index("dropout")] = fl(r.Dropout.P)
	}
	return l
}
