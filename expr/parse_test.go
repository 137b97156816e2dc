package expr

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct{ src, want string }{
		{"2", "2"},
		{"-2", "(-2)"},
		{"+x", "(+x)"},
		{"1e-3", "0.001"},
		{"1E3", "1000"},
		{".5", "0.5"},
		{"5.", "5"},
		{"2.5e+2", "250"},
		{"1e21", "1e+21"},
		{"x_1", "x_1"},
		{"_", "_"},
		{"a + b + c", "((a + b) + c)"},
		{"a - b - c", "((a - b) - c)"},
		{"a - b + c", "((a - b) + c)"},
		{"a * b / c", "((a * b) / c)"},
		{"a / b * c", "((a / b) * c)"},
		{"a @ b @ c", "((a @ b) @ c)"},
		{"a + b * c", "(a + (b * c))"},
		{"a * b + c", "((a * b) + c)"},
		{"a - b @ c", "(a - (b @ c))"},
		{"(a + b) * c", "((a + b) * c)"},
		{"a ^ b ^ c", "(a ^ (b ^ c))"},
		{"(a ^ b) ^ c", "((a ^ b) ^ c)"},
		{"-x^2", "(-(x ^ 2))"},
		{"(-x)^2", "((-x) ^ 2)"},
		{"2^-1", "(2 ^ (-1))"},
		{"2^-x^2", "(2 ^ (-(x ^ 2)))"},
		{"-2^-2", "(-(2 ^ (-2)))"},
		{"a * -b", "(a * (-b))"},
		{"--x", "(-(-x))"},
		{"-a * b", "((-a) * b)"},
		{"-a + b", "((-a) + b)"},
		{"a*b^c", "(a * (b ^ c))"},
		{"x - -1", "(x - (-1))"},
		{"exp(x)", "exp(x)"},
		{"exp(x)^2", "(exp(x) ^ 2)"},
		{"-exp(-x)", "(-exp((-x)))"},
		{"max(a, b + 1)", "max(a, (b + 1))"},
		{"pow(a,b)", "pow(a, b)"},
		{"sum(x)", "sum(x)"},
		{"sum(x, 0)", "sum(x, 0)"},
		{"mean(x, -1)", "mean(x, -1)"},
		{"sum(x, +1)", "sum(x, 1)"},
		{"softmax(W @ x + b)", "softmax(((W @ x) + b))"},
		{"transpose(x)", "transpose(x)"},
		{"sigmoid(w0*x0 + w1*x1 + w2)", "sigmoid((((w0 * x0) + (w1 * x1)) + w2))"},
		{"1/(1+exp(-(w0*x0+w1*x1+w2)))", "(1 / (1 + exp((-(((w0 * x0) + (w1 * x1)) + w2)))))"},
		{" \t(x)\n", "x"},
		{"exp", "exp"}, // a function name without a call is a variable
	}
	for _, tt := range tests {
		n, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		if got := n.String(); got != tt.want {
			t.Errorf("Parse(%q) = %s, want %s", tt.src, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", "col 1: unexpected end of input"},
		{"   ", "col 4: unexpected end of input"},
		{"x +", "col 4: unexpected end of input"},
		{"foo(x)", `col 1: unknown function "foo"`},
		{"1 + foo(x)", `col 5: unknown function "foo"`},
		{"exp(x, y)", "col 1: exp takes 1 argument, got 2"},
		{"exp()", "col 1: exp takes 1 argument, got 0"},
		{"max(x)", "col 1: max takes 2 arguments, got 1"},
		{"sum(x, 1, 2)", "col 1: sum takes 1 or 2 arguments, got 3"},
		{"sum(x, y)", "col 8: axis of sum must be an integer literal"},
		{"mean(x, 1.5)", "col 9: axis of mean must be an integer literal"},
		{"sum(x, 1+1)", "col 9: axis of sum must be an integer literal"},
		{"x y", `col 3: unexpected "y" after expression`},
		{"x)", `col 2: unexpected ")" after expression`},
		{"(x", `col 3: expected ")", found end of input`},
		{"(x y)", `col 4: expected ")", found "y"`},
		{"exp(x", `col 6: expected ")", found end of input`},
		{"exp(x,)", `col 7: unexpected ")"`},
		{"x * * y", `col 5: unexpected "*"`},
		{"x # y", `col 3: unexpected character '#'`},
		{"x # (", `col 3: unexpected character '#'`},
		{"x + é", `col 5: unexpected character 'é'`},
		{"é + #", `col 1: unexpected character 'é'`},
		{"ab\xffc", `col 3: invalid UTF-8 byte "\xff"`},
		{"2x", `col 1: malformed number "2x"`},
		{"1.2.3", `col 1: malformed number "1.2.3"`},
		{"x + 1e", `col 5: malformed number "1e"`},
		{"1e+", `col 1: malformed number "1e+"`},
		{".", `col 1: malformed number "."`},
		{"1e999", `col 1: number 1e999 is out of range`},
		{"()", `col 2: unexpected ")"`},
		{"x ^", `col 4: unexpected end of input`},
		{strings.Repeat("(", 2000) + "x" + strings.Repeat(")", 2000), "col 1001: expression nested too deeply"},
	}
	for _, tt := range tests {
		n, err := Parse(tt.src)
		if err == nil {
			t.Errorf("Parse(%q) = %v, want error %q", tt.src, n, tt.want)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q): error %T, want *SyntaxError", tt.src, err)
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%q): error %q, want %q", tt.src, err, tt.want)
		}
	}
}

func TestCaret(t *testing.T) {
	tests := []struct{ src, want string }{
		{"x + foo(y)", "x + foo(y)\n    ^"},
		{"x +", "x +\n   ^"},
		{"\u00a0x #", "\u00a0x #\n   ^"}, // columns count runes
		{"\tx y", "\tx y\n\t  ^"},
		{"x\n#", "x #\n  ^"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.src)
		se, ok := err.(*SyntaxError)
		if !ok {
			t.Fatalf("Parse(%q): error %v, want *SyntaxError", tt.src, err)
		}
		if got := se.Caret(); got != tt.want {
			t.Errorf("Parse(%q).Caret() =\n%s\nwant\n%s", tt.src, got, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"2", nil},
		{"(x+y)*z", []string{"x", "y", "z"}},
		{"b*a + a*c - b", []string{"b", "a", "c"}},
		{"sum((W@x + b)^2, 0)", []string{"W", "x", "b"}},
		{"max(q, exp(-p))", []string{"q", "p"}},
	}
	for _, tt := range tests {
		n, err := Parse(tt.src)
		if err != nil {
			t.Fatal(err)
		}
		if got := Names(n); !slices.Equal(got, tt.want) {
			t.Errorf("Names(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestPos(t *testing.T) {
	n, err := Parse("a + exp(b * -c)")
	if err != nil {
		t.Fatal(err)
	}
	add := n.(*Binary)
	call := add.Y.(*Call)
	mul := call.Args[0].(*Binary)
	neg := mul.Y.(*Unary)
	got := []int{add.X.Pos(), add.Pos(), call.Pos(), mul.X.Pos(), mul.Pos(), neg.Pos(), neg.X.Pos()}
	want := []int{1, 3, 5, 9, 11, 13, 14}
	if !slices.Equal(got, want) {
		t.Errorf("positions %v, want %v", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"2", "-2", "1e-3", ".5", "x", "(x+y)*z", "-x^2", "2^-1", "a^b^c",
		"sigmoid(w0*x0 + w1*x1 + w2)", "1/(1+exp(-(w0*x0+w1*x1+w2)))",
		"sum((W@x + b)^2)", "mean(x, -1)", "softmax(transpose(x))",
		"max(a, b) - min(a, b) + pow(a, 2)", "relu(x) * abs(y) / sqrt(z)",
		"log(sin(x) + cos(y)) - tanh(z)", "+x", "1e21", "5e-324",
		// invalid
		"", "(", ")", "x +", "foo(x)", "exp(x, y)", "sum(x, y)", "x y",
		"1.2.3", "1e", "#", "\xff", "((((x", "2x", "x ^ ^ y", "1e999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		n, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T, want *SyntaxError", src, err)
			}
			if se.Col < 1 || se.Col > len([]rune(src))+1 {
				t.Fatalf("Parse(%q): column %d out of range", src, se.Col)
			}
			_ = se.Caret()
			return
		}
		s := n.String()
		n2, err := Parse(s)
		if err != nil {
			if strings.HasSuffix(err.Error(), "nested too deeply") {
				t.Skip("parenthesised form exceeds the nesting limit")
			}
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", src, s, err)
		}
		if s2 := n2.String(); s2 != s {
			t.Fatalf("Parse(%q).String() = %q, reparsed as %q", src, s, s2)
		}
		_ = Names(n)
	})
}
