package nn

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the architecture language: the text form of a
// Sequential, such as
//
//	conv(32,3) relu conv(64,3) relu maxpool(2) dropout(0.25) flatten linear(128) relu dropout(0.5) linear(10)
//
// Its grammar:
//
//	arch   = preset | layer { layer }
//	layer  = word [ "(" [ arg { "," arg } ] ")" ]
//	arg    = value | name "=" value          (positional arguments first)
//	value  = ["-"] number | size | "true" | "false"
//	size   = integer ("x" | "×") integer      (height × width, as 5x3)
//
// Layers are separated by white space. The words, their parameters and
// their defaults are in the table of layerKinds (archlayers.go); the
// package documentation lists them.

// MaxArchText bounds the length of an architecture's text, and
// MaxArchLayers the number of its layers: the text may come from a model
// file, which is outside input.
const (
	MaxArchText   = 1 << 16
	MaxArchLayers = 1 << 12
)

// ArchError reports architecture text that does not parse, or a layer
// that does not fit its input. Col is the 1-based column, in runes, of
// the word or argument at fault in Src; it is 0 for an architecture that
// has no text (a model being described), where Layer, the layer's index
// in the Sequential, names the place instead.
type ArchError struct {
	Src   string
	Col   int
	Layer int
	Msg   string
}

// Error returns "col N: msg", or "layer N: msg" without a column.
func (e *ArchError) Error() string {
	if e.Col == 0 {
		return fmt.Sprintf("layer %d: %s", e.Layer, e.Msg)
	}
	return fmt.Sprintf("col %d: %s", e.Col, e.Msg)
}

// Caret returns two lines without a trailing newline: the source, and a
// line with a ^ under column Col (as expr.SyntaxError does). Control
// characters in the source are shown as spaces; tabs are kept, and
// repeated in the second line, so that the caret lines up.
func (e *ArchError) Caret() string {
	var src, mark strings.Builder
	col := 1
	for _, r := range e.Src {
		if r != '\t' && unicode.IsControl(r) {
			r = ' '
		}
		src.WriteRune(r)
		if col < e.Col {
			if r == '\t' {
				mark.WriteByte('\t')
			} else {
				mark.WriteByte(' ')
			}
		}
		col++
	}
	for ; col < e.Col; col++ {
		mark.WriteByte(' ')
	}
	mark.WriteByte('^')
	return src.String() + "\n" + mark.String()
}

// Arch is a parsed architecture: the layers of a Sequential with their
// arguments, but not their input sizes, which Plan and Build infer from
// the shape of an example.
type Arch struct {
	src    string
	layers []*archLayer
}

// archLayer is one layer of an Arch: its kind, the column of its word
// (0 when it has no text) and a value for every parameter of its kind
// (dims for unflatten's list).
type archLayer struct {
	kind *layerKind
	col  int
	vals []value
	dims []int
}

// value is an argument: an int, a size (height, width), a float or a
// bool, as the parameter's type says.
type value struct {
	i  int
	sz [2]int
	f  float64
	b  bool
}

// String returns the canonical text of a: every layer's word and its
// arguments without spaces, every positional argument (such as the slope
// of leakyrelu(0.01), given or not), the options named and only where
// they differ from their default, layers separated by one space.
// Parsing it gives back a; it is what a model file stores.
func (a *Arch) String() string {
	words := make([]string, len(a.layers))
	for i, l := range a.layers {
		words[i] = l.String()
	}
	return strings.Join(words, " ")
}

// String returns the canonical words of the layer, such as
// "conv(32,3,pad=1)".
func (l *archLayer) String() string {
	k := l.kind
	var args []string
	if k.variadic {
		for _, d := range l.dims {
			args = append(args, strconv.Itoa(d))
		}
	}
	for i, p := range k.params {
		switch {
		case p.pos:
			args = append(args, p.format(l.vals[i]))
		case !p.pos && l.vals[i] != p.def:
			args = append(args, p.name+"="+p.format(l.vals[i]))
		}
	}
	if len(args) == 0 {
		return k.word
	}
	return k.word + "(" + strings.Join(args, ",") + ")"
}

// ptype is the type of a parameter.
type ptype uint8

const (
	pInt   ptype = iota // a non-negative integer
	pSize               // an integer n (meaning n×n) or h×w
	pFloat              // a finite number
	pBool               // true or false
)

func (t ptype) String() string {
	return [...]string{"an integer", "a size (an integer or HxW)", "a number", "true or false"}[t]
}

// param is a parameter of a layer kind.
type param struct {
	name string
	typ  ptype
	req  bool  // required: it has no default
	pos  bool  // it may be given by position (required ones always are)
	def  value // the default
	// defDoc, if not empty, is how errors write the default ("k" for a
	// pooling's stride, whose default is its window).
	defDoc string
	// check returns what is wrong with an argument, "" if nothing.
	check func(v value) string
}

// format writes v as the canonical text of an argument of p.
func (p *param) format(v value) string {
	switch p.typ {
	case pInt:
		return strconv.Itoa(v.i)
	case pSize:
		if v.sz[0] == v.sz[1] {
			return strconv.Itoa(v.sz[0])
		}
		return strconv.Itoa(v.sz[0]) + "x" + strconv.Itoa(v.sz[1])
	case pFloat:
		return strconv.FormatFloat(v.f, 'g', -1, 64)
	}
	return strconv.FormatBool(v.b)
}

// ParseArch parses the text of an architecture (see the package
// documentation for the grammar and the layers), or the name of a preset
// (see Preset). Every error it returns is an *ArchError naming the
// column of the word or argument at fault.
func ParseArch(text string) (*Arch, error) {
	if t, ok := Preset(strings.TrimSpace(text)); ok {
		text = t
	}
	if len(text) > MaxArchText {
		return nil, &ArchError{Src: text[:64] + "…", Col: 1, Msg: fmt.Sprintf("architecture of %d bytes, more than %d", len(text), MaxArchText)}
	}
	p := &archParser{src: text, toks: lexArch(text)}
	a := &Arch{src: text}
	for p.peek().kind != atEOF {
		if len(a.layers) == MaxArchLayers {
			return nil, p.errAt(p.peek().col, "more than %d layers", MaxArchLayers)
		}
		l, err := p.layer()
		if err != nil {
			return nil, err
		}
		a.layers = append(a.layers, l)
	}
	if len(a.layers) == 0 {
		return nil, p.errAt(p.peek().col, "no layers (want words such as %s, or a preset: %s)", "conv(32,3) relu flatten linear(10)", strings.Join(PresetNames(), ", "))
	}
	return a, nil
}

// MustParseArch is ParseArch for text known to be good, such as a
// constant; it panics on an error.
func MustParseArch(text string) *Arch {
	a, err := ParseArch(text)
	if err != nil {
		panic("nn: MustParseArch: " + err.Error())
	}
	return a
}

type archTokKind uint8

const (
	atEOF   archTokKind = iota
	atWord              // a word: letters, digits and underscores, starting with a letter
	atNum               // a number, in num (isInt when it has only digits)
	atSize              // h×w, in size
	atPunct             // ( ) , = -
	atErr               // a lexical error, its message in text
)

type archTok struct {
	kind  archTokKind
	text  string
	col   int
	num   float64
	isInt bool
	size  [2]int
}

// describe names the token for an error message.
func (t archTok) describe() string {
	if t.kind == atEOF {
		return "end of input"
	}
	return strconv.Quote(t.text)
}

func isArchLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }
func isArchDigit(c byte) bool  { return '0' <= c && c <= '9' }

// lexArch splits src into tokens, ending with atEOF or, at the first
// malformed token, atErr.
func lexArch(src string) []archTok {
	var toks []archTok
	i := 0
	col := 1 // the column of src[i]
	adv := func(j int) { col += utf8.RuneCountInString(src[i:j]); i = j }
	for {
		for i < len(src) {
			r, n := utf8.DecodeRuneInString(src[i:])
			if !unicode.IsSpace(r) {
				break
			}
			adv(i + n)
		}
		if i == len(src) {
			return append(toks, archTok{kind: atEOF, col: col})
		}
		c := src[i]
		switch {
		case isArchLetter(c):
			j := i + 1
			for j < len(src) && (isArchLetter(src[j]) || isArchDigit(src[j])) {
				j++
			}
			toks = append(toks, archTok{kind: atWord, text: src[i:j], col: col})
			adv(j)
		case isArchDigit(c) || c == '.':
			t, end := scanArchNumber(src, i)
			t.col = col
			toks = append(toks, t)
			if t.kind == atErr {
				return toks
			}
			adv(end)
		case c == '(' || c == ')' || c == ',' || c == '=' || c == '-':
			toks = append(toks, archTok{kind: atPunct, text: src[i : i+1], col: col})
			adv(i + 1)
		default:
			r, n := utf8.DecodeRuneInString(src[i:])
			msg := "unexpected character " + strconv.QuoteRune(r)
			if r == utf8.RuneError && n == 1 {
				msg = "invalid UTF-8 byte " + strconv.Quote(src[i:i+1])
			}
			return append(toks, archTok{kind: atErr, text: msg, col: col})
		}
	}
}

// scanArchNumber reads a number or a size starting at src[i]:
//
//	digits [ "." digits? ] [ exponent ]  |  "." digits [ exponent ]
//	digits ("x" | "×") digits
//
// A number running into a letter, digit or dot (2y, 1.2.3, 1e) is
// malformed, as is one too large.
func scanArchNumber(src string, i int) (archTok, int) {
	j := i
	digits := func() int {
		k := j
		for j < len(src) && isArchDigit(src[j]) {
			j++
		}
		return j - k
	}
	malformed := func() (archTok, int) {
		for j < len(src) {
			switch {
			case isArchLetter(src[j]) || isArchDigit(src[j]) || src[j] == '.':
				j++
				continue
			case strings.HasPrefix(src[j:], "×"):
				j += len("×")
				continue
			}
			break
		}
		return archTok{kind: atErr, text: "malformed number " + strconv.Quote(src[i:j])}, j
	}
	n := digits()
	isInt := n > 0
	// A size: digits, then x or ×, then digits.
	if isInt {
		sep := 0
		if j < len(src) && src[j] == 'x' {
			sep = 1
		} else if strings.HasPrefix(src[j:], "×") {
			sep = len("×")
		}
		if sep > 0 && j+sep < len(src) && isArchDigit(src[j+sep]) {
			h := src[i:j]
			j += sep
			k := j
			digits()
			w := src[k:j]
			if j < len(src) && (isArchLetter(src[j]) || isArchDigit(src[j]) || src[j] == '.') {
				return malformed()
			}
			hv, err1 := strconv.Atoi(h)
			wv, err2 := strconv.Atoi(w)
			if err1 != nil || err2 != nil {
				return archTok{kind: atErr, text: "size " + src[i:j] + " is out of range"}, j
			}
			return archTok{kind: atSize, text: src[i:j], size: [2]int{hv, wv}}, j
		}
	}
	if j < len(src) && src[j] == '.' {
		isInt = false
		j++
		n += digits()
	}
	if n == 0 {
		return malformed()
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		isInt = false
		j++
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if digits() == 0 {
			return malformed()
		}
	}
	if j < len(src) && (isArchLetter(src[j]) || isArchDigit(src[j]) || src[j] == '.') {
		return malformed()
	}
	v, err := strconv.ParseFloat(src[i:j], 64)
	if err != nil || math.IsInf(v, 0) {
		return archTok{kind: atErr, text: "number " + src[i:j] + " is out of range"}, j
	}
	return archTok{kind: atNum, text: src[i:j], num: v, isInt: isInt}, j
}

type archParser struct {
	src  string
	toks []archTok
	pos  int
}

func (p *archParser) peek() archTok { return p.toks[p.pos] }

func (p *archParser) next() archTok {
	t := p.toks[p.pos]
	if t.kind != atEOF && t.kind != atErr {
		p.pos++
	}
	return t
}

func (p *archParser) errAt(col int, format string, args ...any) *ArchError {
	return &ArchError{Src: p.src, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// unexpected reports the token t where something else was wanted.
func (p *archParser) unexpected(t archTok, want string) *ArchError {
	switch t.kind {
	case atErr:
		return p.errAt(t.col, "%s", t.text)
	}
	return p.errAt(t.col, "expected %s, found %s", want, t.describe())
}

func (p *archParser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == atPunct && t.text == s
}

// layer parses  word [ "(" [ arg { "," arg } ] ")" ].
func (p *archParser) layer() (*archLayer, error) {
	t := p.next()
	if t.kind != atWord {
		return nil, p.unexpected(t, "a layer")
	}
	k := kindOf(t.text)
	if k == nil {
		msg := fmt.Sprintf("unknown layer %q (layers: %s)", t.text, strings.Join(layerWords(), ", "))
		if _, ok := Preset(t.text); ok {
			msg = fmt.Sprintf("%q is a preset, which must be the whole architecture", t.text)
		}
		return nil, p.errAt(t.col, "%s", msg)
	}
	l := &archLayer{kind: k, col: t.col, vals: make([]value, len(k.params))}
	set := make([]bool, len(k.params))
	if p.isPunct("(") {
		p.next()
		named, npos := false, 0 // a name=value seen; positional arguments so far
		for !p.isPunct(")") {
			if err := p.arg(l, set, &named, &npos); err != nil {
				return nil, err
			}
			switch {
			case p.isPunct(","):
				p.next()
				if p.isPunct(")") {
					return nil, p.unexpected(p.peek(), "an argument")
				}
			case !p.isPunct(")"):
				return nil, p.unexpected(p.peek(), `"," or ")"`)
			}
		}
		p.next()
	}
	if k.variadic && len(l.dims) == 0 {
		return nil, p.errAt(t.col, "%s needs at least one size, as %s(1,28,28)", k.word, k.word)
	}
	for i, pr := range k.params {
		if !set[i] {
			if pr.req {
				return nil, p.errAt(t.col, "%s needs %s (%s)", k.word, pr.name, k.paramList())
			}
			l.vals[i] = pr.def
		}
	}
	if k.norm != nil {
		k.norm(l)
	}
	return l, nil
}

// arg parses one argument of the layer l: a value for its next
// positional parameter (or the next size of unflatten), or name=value.
// set records the parameters given, named whether a name=value was, and
// npos counts the positional ones.
func (p *archParser) arg(l *archLayer, set []bool, named *bool, npos *int) error {
	k := l.kind
	at := p.peek()
	var pi int
	if at.kind == atWord && p.toks[p.pos+1].kind == atPunct && p.toks[p.pos+1].text == "=" {
		if pi = k.index(at.text); pi < 0 {
			return p.errAt(at.col, "%s has no parameter %q (%s)", k.word, at.text, k.paramList())
		}
		if set[pi] {
			return p.errAt(at.col, "%s: %s given twice", k.word, at.text)
		}
		*named = true
		p.next()
		p.next()
	} else {
		if *named {
			return p.errAt(at.col, "%s: a positional argument after name=value", k.word)
		}
		if k.variadic {
			v, text, col, err := p.value(pInt, k.word+": size")
			if err != nil {
				return err
			}
			if v.i < 1 || v.i > MaxWidth {
				return p.errAt(col, "%s: size %s out of range [1, %d]", k.word, text, MaxWidth)
			}
			if len(l.dims) == 8 {
				return p.errAt(col, "%s: more than 8 sizes", k.word)
			}
			l.dims = append(l.dims, v.i)
			return nil
		}
		if pi = k.positional(*npos); pi < 0 {
			return p.errAt(at.col, "%s takes %d arguments by position: %s", k.word, *npos, k.paramList())
		}
		*npos++
	}
	pr := &k.params[pi]
	v, text, col, err := p.value(pr.typ, k.word+": "+pr.name)
	if err != nil {
		return err
	}
	if msg := pr.check(v); msg != "" {
		return p.errAt(col, "%s: %s %s: %s", k.word, pr.name, text, msg)
	}
	l.vals[pi], set[pi] = v, true
	return nil
}

// value parses a value of type typ and returns it with its text and
// column.
// what names the argument in errors, such as "conv: k".
func (p *archParser) value(typ ptype, what string) (v value, text string, col int, err error) {
	t := p.next()
	col = t.col
	neg := false
	if t.kind == atPunct && t.text == "-" {
		neg = true
		t = p.next()
	}
	text = t.text
	if neg {
		text = "-" + t.text
	}
	bad := func() (value, string, int, error) {
		if t.kind == atErr || t.kind == atEOF || t.kind == atPunct {
			return value{}, text, col, p.unexpected(t, typ.String())
		}
		return value{}, text, col, p.errAt(col, "%s %s: want %s", what, text, typ)
	}
	switch typ {
	case pInt:
		if t.kind == atNum && t.isInt && !neg {
			if t.num > math.MaxInt32 {
				return value{}, text, col, p.errAt(col, "%s is out of range", t.text)
			}
			return value{i: int(t.num)}, text, col, nil
		}
	case pSize:
		if t.kind == atNum && t.isInt && !neg {
			if t.num > math.MaxInt32 {
				return value{}, text, col, p.errAt(col, "%s is out of range", t.text)
			}
			return value{sz: [2]int{int(t.num), int(t.num)}}, text, col, nil
		}
		if t.kind == atSize && !neg {
			return value{sz: t.size}, text, col, nil
		}
	case pFloat:
		if t.kind == atNum {
			if neg {
				return value{f: -t.num}, text, col, nil
			}
			return value{f: t.num}, text, col, nil
		}
	case pBool:
		if t.kind == atWord && !neg && (t.text == "true" || t.text == "false") {
			return value{b: t.text == "true"}, text, col, nil
		}
	}
	return bad()
}

// layerWords lists the words of the language, in the table's order.
func layerWords() []string {
	ws := make([]string, len(layerKinds))
	for i, k := range layerKinds {
		ws[i] = k.word
	}
	return ws
}

// kindOf returns the kind whose word is w, or nil.
func kindOf(w string) *layerKind {
	i := slices.IndexFunc(layerKinds, func(k *layerKind) bool { return k.word == w })
	if i < 0 {
		return nil
	}
	return layerKinds[i]
}

// index returns the index of k's parameter name, or -1.
func (k *layerKind) index(name string) int {
	return slices.IndexFunc(k.params, func(p param) bool { return p.name == name })
}

// positional returns the index of k's n-th positional parameter, or -1.
func (k *layerKind) positional(n int) int {
	for i, p := range k.params {
		if p.pos {
			if n == 0 {
				return i
			}
			n--
		}
	}
	return -1
}

// paramList describes k's parameters for an error message, such as
// "conv(out, k, stride=1, pad=0, dilation=1, groups=1, bias=true)".
func (k *layerKind) paramList() string {
	if k.variadic {
		return k.word + "(size, …)"
	}
	if len(k.params) == 0 {
		return k.word + " takes no arguments"
	}
	var ps []string
	for _, p := range k.params {
		if p.req {
			ps = append(ps, p.name)
		} else if p.defDoc != "" {
			ps = append(ps, p.name+"="+p.defDoc)
		} else {
			ps = append(ps, p.name+"="+p.format(p.def))
		}
	}
	return k.word + "(" + strings.Join(ps, ", ") + ")"
}
