package expr

import (
	"fmt"
	"math"
)

// maxDepth bounds the nesting of the parser's recursion so that hostile
// input cannot exhaust the stack.
const maxDepth = 1000

// arity gives the number of arguments each built-in function takes.
var arity = map[string]struct{ min, max int }{
	"exp": {1, 1}, "log": {1, 1}, "sqrt": {1, 1}, "abs": {1, 1},
	"sin": {1, 1}, "cos": {1, 1}, "tanh": {1, 1}, "sigmoid": {1, 1}, "relu": {1, 1},
	"max": {2, 2}, "min": {2, 2}, "pow": {2, 2},
	"sum": {1, 2}, "mean": {1, 2},
	"softmax": {1, 1}, "transpose": {1, 1},
}

// Parse parses an expression (see the package documentation for the
// grammar). Every error it returns is a *SyntaxError.
func Parse(src string) (Node, error) {
	p := &parser{src: src, toks: lex(src)}
	n, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		if t.kind == tokErr {
			return nil, p.errTok(t)
		}
		return nil, errCol(src, t.col, "unexpected %s after expression", t.describe())
	}
	return n, nil
}

type parser struct {
	src   string
	toks  []token
	pos   int
	depth int
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF && t.kind != tokErr {
		p.pos++
	}
	return t
}

// isPunct reports whether the next token is the punctuation s.
func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == s
}

// errTok reports the unexpected token t.
func (p *parser) errTok(t token) error {
	switch t.kind {
	case tokErr:
		return errCol(p.src, t.col, "%s", t.text)
	case tokEOF:
		return errCol(p.src, t.col, "unexpected end of input")
	}
	return errCol(p.src, t.col, "unexpected %s", t.describe())
}

// expect consumes the punctuation s or reports what is there instead.
func (p *parser) expect(s string) error {
	t := p.peek()
	if t.kind == tokErr {
		return p.errTok(t)
	}
	if t.kind != tokPunct || t.text != s {
		return errCol(p.src, t.col, "expected %q, found %s", s, t.describe())
	}
	p.next()
	return nil
}

// parseExpr parses  term { ("+" | "-") term }.
func (p *parser) parseExpr() (Node, error) {
	x, err := p.parseTerm()
	if err != nil {
		return nil, err
	}
	for p.isPunct("+") || p.isPunct("-") {
		op := p.next()
		y, err := p.parseTerm()
		if err != nil {
			return nil, err
		}
		x = &Binary{Col: op.col, Op: op.text, X: x, Y: y}
	}
	return x, nil
}

// parseTerm parses  unary { ("*" | "/" | "@") unary }.
func (p *parser) parseTerm() (Node, error) {
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.isPunct("*") || p.isPunct("/") || p.isPunct("@") {
		op := p.next()
		y, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		x = &Binary{Col: op.col, Op: op.text, X: x, Y: y}
	}
	return x, nil
}

// parseUnary parses  ("-" | "+") unary  |  power.
// Every recursive path of the parser passes through here, so this is where
// the depth is bounded.
func (p *parser) parseUnary() (Node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, errCol(p.src, p.peek().col, "expression nested too deeply")
	}
	if p.isPunct("-") || p.isPunct("+") {
		op := p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &Unary{Col: op.col, Op: op.text, X: x}, nil
	}
	return p.parsePower()
}

// parsePower parses  primary [ "^" unary ]; the right operand may itself be
// a power, which makes ^ right-associative, or start with a sign (2^-1).
func (p *parser) parsePower() (Node, error) {
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	if !p.isPunct("^") {
		return x, nil
	}
	op := p.next()
	y, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	return &Binary{Col: op.col, Op: "^", X: x, Y: y}, nil
}

// parsePrimary parses  number | name | name "(" args ")" | "(" expr ")".
func (p *parser) parsePrimary() (Node, error) {
	t := p.peek()
	switch {
	case t.kind == tokNum:
		p.next()
		return &Number{Col: t.col, Value: t.num}, nil
	case t.kind == tokName:
		p.next()
		if p.isPunct("(") {
			return p.parseCall(t)
		}
		return &Ident{Col: t.col, Name: t.text}, nil
	case t.kind == tokPunct && t.text == "(":
		p.next()
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return x, nil
	}
	return nil, p.errTok(t)
}

// parseCall parses the argument list of a call of name, whose "(" is next.
func (p *parser) parseCall(name token) (Node, error) {
	col := name.col
	want, ok := arity[name.text]
	if !ok {
		return nil, errCol(p.src, name.col, "unknown function %q", name.text)
	}
	p.next() // "("
	var args []Node
	if !p.isPunct(")") {
		for {
			a, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	if len(args) < want.min || len(args) > want.max {
		return nil, errCol(p.src, name.col, "%s takes %s, got %d", name.text, plural(want.min, want.max), len(args))
	}
	c := &Call{Col: col, Func: name.text, Args: args}
	if (name.text == "sum" || name.text == "mean") && len(args) == 2 {
		axis, ok := intLiteral(args[1])
		if !ok {
			return nil, errCol(p.src, args[1].Pos(), "axis of %s must be an integer literal", name.text)
		}
		c.Args, c.Axis, c.HasAxis = args[:1], axis, true
	}
	return c, nil
}

// plural describes an argument count: "1 argument", "2 arguments",
// "1 or 2 arguments".
func plural(min, max int) string {
	switch {
	case min != max:
		return fmt.Sprintf("%d or %d arguments", min, max)
	case min == 1:
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", min)
}

// intLiteral returns the value of n if it is an integer literal, optionally
// with a sign.
func intLiteral(n Node) (int, bool) {
	sign := 1.0
	if u, ok := n.(*Unary); ok {
		if u.Op == "-" {
			sign = -1
		}
		n = u.X
	}
	num, ok := n.(*Number)
	if !ok || num.Value != math.Trunc(num.Value) || num.Value > 1<<30 {
		return 0, false
	}
	return int(sign * num.Value), true
}
