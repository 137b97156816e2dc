package expr

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"backprop/tensor"
)

// ParseValue reads a tensor literal of dtype dt: a number such as -2, 1e-3,
// NaN or -Inf gives a 0-d tensor, and a nested bracket list such as
// [[0.1, 0.5], [-0.3, 0.8]] gives a tensor of that shape. White space is
// allowed between tokens. Lists must be non-empty and rectangular. Every
// error it returns is a *SyntaxError.
func ParseValue(s string, dt tensor.DType) (*tensor.Tensor, error) {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, &SyntaxError{Src: s, Col: 1, Msg: "invalid dtype " + dt.String()}
	}
	p := &valueParser{src: s, dt: dt}
	p.skipSpace()
	shape, err := p.parseElem(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i < len(s) {
		return nil, errAt(s, p.i, "unexpected %s after value", p.describe())
	}
	if len(shape) == 0 {
		return tensor.Scalar(dt, p.data[0]), nil
	}
	return tensor.FromSlice(p.data, shape...).As(dt), nil
}

type valueParser struct {
	src  string
	i    int
	dt   tensor.DType
	data []float64
}

func (p *valueParser) skipSpace() {
	for p.i < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.i:])
		if !unicode.IsSpace(r) {
			return
		}
		p.i += n
	}
}

// describe quotes the token at the current offset for an error message: a
// run of letters, digits and dots, or else one rune.
func (p *valueParser) describe() string {
	if p.i >= len(p.src) {
		return "end of input"
	}
	j := p.i
	for j < len(p.src) && (isLetter(p.src[j]) || isDigit(p.src[j]) || p.src[j] == '.') {
		j++
	}
	if j == p.i {
		_, n := utf8.DecodeRuneInString(p.src[p.i:])
		j += n
	}
	return strconv.Quote(p.src[p.i:j])
}

// parseElem parses a number or a list at the current offset (after white
// space) and returns its shape: empty for a number.
func (p *valueParser) parseElem(depth int) ([]int, error) {
	if depth > maxDepth {
		return nil, errAt(p.src, p.i, "value nested too deeply")
	}
	if p.i < len(p.src) && p.src[p.i] == '[' {
		return p.parseList(depth)
	}
	v, err := p.parseNumber()
	if err != nil {
		return nil, err
	}
	p.data = append(p.data, v)
	return nil, nil
}

// parseList parses "[" elem { "," elem } "]"; all elements must have the
// same shape.
func (p *valueParser) parseList(depth int) ([]int, error) {
	open := p.i
	p.i++ // "["
	p.skipSpace()
	if p.i < len(p.src) && p.src[p.i] == ']' {
		return nil, errAt(p.src, open, "empty list")
	}
	var elem []int
	n := 0
	for {
		start := p.i
		shape, err := p.parseElem(depth + 1)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			elem = shape
		} else if !tensor.SameShape(shape, elem) {
			return nil, errAt(p.src, start, "ragged list: %s where %s was expected", describeShape(shape), describeShape(elem))
		}
		n++
		p.skipSpace()
		if p.i < len(p.src) && p.src[p.i] == ',' {
			p.i++
			p.skipSpace()
			continue
		}
		if p.i < len(p.src) && p.src[p.i] == ']' {
			p.i++
			return append([]int{n}, elem...), nil
		}
		return nil, errAt(p.src, p.i, `expected "," or "]", found %s`, p.describe())
	}
}

// describeShape names the shape of a list element for an error message.
func describeShape(shape []int) string {
	switch len(shape) {
	case 0:
		return "a number"
	case 1:
		if shape[0] == 1 {
			return "a list of 1 number"
		}
		return "a list of " + strconv.Itoa(shape[0]) + " numbers"
	}
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = strconv.Itoa(d)
	}
	return "a list of shape [" + strings.Join(s, " ") + "]"
}

// parseNumber parses an optionally signed number, NaN or Inf (either case)
// and checks that it fits the dtype.
func (p *valueParser) parseNumber() (float64, error) {
	start := p.i
	sign := 1.0
	if p.i < len(p.src) && (p.src[p.i] == '-' || p.src[p.i] == '+') {
		if p.src[p.i] == '-' {
			sign = -1
		}
		p.i++
	}
	if p.i < len(p.src) && isLetter(p.src[p.i]) {
		j := p.i
		for j < len(p.src) && (isLetter(p.src[j]) || isDigit(p.src[j])) {
			j++
		}
		switch strings.ToLower(p.src[p.i:j]) {
		case "nan":
			p.i = j
			return math.NaN(), nil
		case "inf", "infinity":
			p.i = j
			return math.Inf(int(sign)), nil
		}
	}
	if p.i >= len(p.src) || !isDigit(p.src[p.i]) && p.src[p.i] != '.' {
		return 0, errAt(p.src, p.i, `expected a number or "[", found %s`, p.describe())
	}
	end, v, msg := scanNumber(p.src, p.i)
	if msg != "" {
		return 0, errAt(p.src, p.i, "%s", msg)
	}
	p.i = end
	v *= sign
	if p.dt == tensor.Float32 && math.Abs(v) > math.MaxFloat32 && math.IsInf(float64(float32(v)), 0) {
		return 0, errAt(p.src, start, "number %s is out of range for float32", p.src[start:end])
	}
	return v, nil
}

// FormatValue writes t as ParseValue reads it: a number for a 0-d tensor,
// nested lists such as [[1, 2], [3, 4]] otherwise. Numbers use the shortest
// form that reads back exactly in t's dtype; NaN and infinities are written
// NaN, +Inf and -Inf.
func FormatValue(t *tensor.Tensor) string {
	bits := 64
	if t.DType() == tensor.Float32 {
		bits = 32
	}
	return Nested(t, func(v float64) string { return strconv.FormatFloat(v, 'g', -1, bits) })
}

// Nested writes t as nested lists, each element formatted by num: a single
// number for a 0-d tensor, [a, b] for a vector, [[a, b], [c, d]] for a
// matrix, and so on.
func Nested(t *tensor.Tensor, num func(float64) string) string {
	shape := t.Shape()
	var sb strings.Builder
	var rec func(dim, off int)
	rec = func(dim, off int) {
		if dim == len(shape) {
			sb.WriteString(num(t.Flat(off)))
			return
		}
		stride := 1
		for _, d := range shape[dim+1:] {
			stride *= d
		}
		sb.WriteByte('[')
		for i := 0; i < shape[dim]; i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			rec(dim+1, off+i*stride)
		}
		sb.WriteByte(']')
	}
	rec(0, 0)
	return sb.String()
}
