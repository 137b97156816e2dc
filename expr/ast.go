package expr

import (
	"strconv"
	"strings"
)

// Node is a node of the syntax tree: *Number, *Ident, *Unary, *Binary or
// *Call.
type Node interface {
	// Pos returns the 1-based column, in runes, where the node starts (for
	// a Binary, the column of its operator).
	Pos() int
	// String formats the node fully parenthesised; Parse reads the result
	// back to an equal tree.
	String() string
	node()
}

// Number is a numeric literal. It is never negative: -2 parses as a Unary
// minus applied to 2.
type Number struct {
	Col   int
	Value float64
}

// Ident is a variable name.
type Ident struct {
	Col  int
	Name string
}

// Unary is a prefix operator: "-" or "+".
type Unary struct {
	Col int
	Op  string
	X   Node
}

// Binary is an infix operator: "+", "-", "*", "/", "^" or "@".
type Binary struct {
	Col  int // column of the operator
	Op   string
	X, Y Node
}

// Call is a call of one of the built-in functions. For sum and mean with an
// axis argument, Args holds only the operand and HasAxis is true.
type Call struct {
	Col     int
	Func    string
	Args    []Node
	Axis    int
	HasAxis bool
}

// Pos returns the column of the number's first digit or dot.
func (n *Number) Pos() int { return n.Col }

// Pos returns the column of the name's first letter.
func (n *Ident) Pos() int { return n.Col }

// Pos returns the column of the operator.
func (n *Unary) Pos() int { return n.Col }

// Pos returns the column of the operator.
func (n *Binary) Pos() int { return n.Col }

// Pos returns the column of the function name.
func (n *Call) Pos() int { return n.Col }

func (*Number) node() {}
func (*Ident) node()  {}
func (*Unary) node()  {}
func (*Binary) node() {}
func (*Call) node()   {}

// String formats the number in the shortest form that reads back exactly.
func (n *Number) String() string { return strconv.FormatFloat(n.Value, 'g', -1, 64) }

// String returns the name.
func (n *Ident) String() string { return n.Name }

// String returns "(-x)" or "(+x)".
func (n *Unary) String() string { return "(" + n.Op + n.X.String() + ")" }

// String returns "(x op y)".
func (n *Binary) String() string {
	return "(" + n.X.String() + " " + n.Op + " " + n.Y.String() + ")"
}

// String returns "f(a, b)", with the axis as the last argument when there
// is one.
func (n *Call) String() string {
	var sb strings.Builder
	sb.WriteString(n.Func)
	sb.WriteByte('(')
	for i, a := range n.Args {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(a.String())
	}
	if n.HasAxis {
		sb.WriteString(", ")
		sb.WriteString(strconv.Itoa(n.Axis))
	}
	sb.WriteByte(')')
	return sb.String()
}

// Names returns the variable names used in n, each once, in order of first
// appearance in the source.
func Names(n Node) []string {
	var names []string
	seen := map[string]bool{}
	var walk func(Node)
	walk = func(n Node) {
		switch n := n.(type) {
		case *Ident:
			if !seen[n.Name] {
				seen[n.Name] = true
				names = append(names, n.Name)
			}
		case *Unary:
			walk(n.X)
		case *Binary:
			walk(n.X)
			walk(n.Y)
		case *Call:
			for _, a := range n.Args {
				walk(a)
			}
		}
	}
	walk(n)
	return names
}
