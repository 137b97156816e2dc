package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"backprop/ag"
	"backprop/expr"
	"backprop/gradcheck"
	"backprop/internal/memory"
	"backprop/tensor"
)

const gradSynopsis = "backprop grad [--json] [--check] [--dtype float64|float32] [--svg FILE] [--png FILE] [--dot FILE] [--max-memory SIZE] EXPR NAME=VALUE ..."

const gradUsage = "usage: " + gradSynopsis + `

Grad evaluates the expression EXPR at the given values of its variables,
back-propagates through it, and prints the value and the gradient with
respect to every variable, in the order the variables are given:

	value = V
	d/dNAME = G
	...

EXPR is made of numbers, variable names, parentheses, unary -, the
elementwise operators + - * / (which broadcast as in NumPy), ^ (power,
right-associative, tighter than unary minus: -x^2 is -(x^2)), @ (matrix
product) and the functions exp log sqrt abs sin cos tanh sigmoid relu,
max(a, b) min(a, b) pow(a, b), sum(x) mean(x), sum(x, axis) mean(x, axis),
softmax(x) (over the last axis) and transpose(x) (the last two axes).
The value of EXPR must have a single element: wrap a tensor in sum(...).

Every variable of EXPR must be given, and every one given must be used.
VALUE is a number (2, -0.5, 1e-3, NaN, -Inf) or a nested list such as
[[0.1, 0.5], [-0.3, 0.8]] for a 2×2 tensor. Numbers are printed in the
shortest form that reads back exactly, tensors as nested lists.

Flags may come before or after EXPR; put -- before an EXPR that starts
with "--".

	--json    print one JSON object instead:
	          {"value": V, "grad": {"NAME": G, ...}}
	          with numbers, or nested arrays for tensors; NaN and infinities,
	          which JSON numbers cannot represent, are the strings "NaN",
	          "+Inf" and "-Inf"
	--check   also compute the gradient numerically, by centered differences
	          in float64 whatever --dtype is, and print it and its relative
	          error |a − n| / max(|a|, |n|, 1e-3) for each variable:
	          numeric d/dNAME = N
	          with the course's verdict on it: good (below 1e-7),
	          acceptable (up to 1e-4, fine where the function has kinks),
	          questionable (up to 1e-2) or wrong:
	          rel error NAME = E (good)
	          (JSON: "numeric": {...}, "rel_error": {...}, "verdict": {...})
	--dtype   float64 (the default) or float32
	--svg FILE, --png FILE, --dot FILE
	          also draw the expression's graph after the backward pass, as
	          in the lecture: one box per gate, left to right, every wire
	          with its value above (green) and its gradient below (red);
	          SVG and PNG are laid out by Graphviz built into the program,
	          DOT is Graphviz's text. Graphs of more than 500 gates are
	          refused
	--max-memory SIZE
	          refuse, before evaluating it, an expression whose values and
	          gradients need more memory than SIZE, such as 2GB or 512MiB
	          (default: the memory available); values that broadcast can
	          ask for far more than they hold

Examples:

	backprop grad "(x+y)*z" x=-2 y=5 z=-4
	backprop grad --json "sigmoid(w0*x0 + w1*x1 + w2)" w0=2 x0=-1 w1=-3 x1=-2 w2=-3
	backprop grad --png neuron.png "sigmoid(w0*x0 + w1*x1 + w2)" w0=2 x0=-1 w1=-3 x1=-2 w2=-3
	backprop grad --check "sum((W@x + b)^2)" W="[[1,2,3],[4,5,6]]" x="[[1],[0],[-1]]" b="[[0.5],[-0.5]]"
`

// variable is one NAME=VALUE argument.
type variable struct {
	name  string
	text  string // the VALUE as given
	value *tensor.Tensor
	param *ag.Var
}

// runGrad implements "backprop grad".
func runGrad(args []string, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "backprop grad: "+format+"\n", a...)
		return 2
	}

	fs := flag.NewFlagSet("grad", flag.ContinueOnError)
	jsonOut := fs.Bool("json", false, "print one JSON object")
	check := fs.Bool("check", false, "also print numerical gradients and relative errors")
	dtypeName := fs.String("dtype", "float64", "element type: float64 or float32")
	var pictures pictureFlags
	fs.StringVar(&pictures.svg, "svg", "", "write the graph as SVG to `FILE`")
	fs.StringVar(&pictures.png, "png", "", "write the graph as PNG to `FILE`")
	fs.StringVar(&pictures.dot, "dot", "", "write the graph as DOT to `FILE`")
	maxMemory := addMaxMemory(fs)
	pos, code, done := parseCommandFlags(fs, args, gradUsage, stdout, stderr)
	if done {
		return code
	}
	dt, err := tensor.ParseDType(*dtypeName)
	if err != nil {
		return fail("%v", err)
	}
	if len(pos) == 0 {
		return fail("missing EXPR; usage: %s", gradSynopsis)
	}
	src := pos[0]
	node, err := expr.Parse(src)
	if err != nil {
		var se *expr.SyntaxError
		if errors.As(err, &se) {
			caret := "  " + strings.ReplaceAll(se.Caret(), "\n", "\n  ")
			fmt.Fprintf(stderr, "backprop grad: %v\n%s\n", err, caret)
			return 2
		}
		return fail("%v", err)
	}

	// The variables, in command-line order.
	var vars []*variable
	byName := map[string]*variable{}
	for _, a := range pos[1:] {
		name, text, ok := strings.Cut(a, "=")
		if !ok || !isName(name) {
			return fail("argument %q is not NAME=VALUE", a)
		}
		if byName[name] != nil {
			return fail("variable %q is given twice", name)
		}
		value, err := expr.ParseValue(text, dt)
		if err != nil {
			return fail("bad value for %s: %v", name, err)
		}
		v := &variable{name: name, text: text, value: value, param: ag.Param(value)}
		vars = append(vars, v)
		byName[name] = v
	}
	used := expr.Names(node)
	for _, name := range used {
		if byName[name] == nil {
			return fail("undefined variable %q in %q", name, src)
		}
	}
	for _, v := range vars {
		if !slices.Contains(used, v.name) {
			return fail("variable %q is not used in %q", v.name, src)
		}
	}

	if err := checkGradMemory(maxMemory.budget(), src, node, vars, dt, *check); err != nil {
		return fail("%v", err)
	}

	env := map[string]*ag.Var{}
	for _, v := range vars {
		env[v.name] = v.param
	}
	y, err := expr.Eval(node, env, dt)
	if err != nil {
		return fail("%v", err)
	}
	if y.Value.Len() != 1 {
		return fail("output has shape %v, not a scalar; wrap it in sum(...)", y.Shape())
	}
	grads := make([]*tensor.Tensor, len(vars))
	if len(vars) > 0 {
		var opts []ag.Option
		if pictures.any() {
			opts = append(opts, ag.KeepGraph())
		}
		if err := catch(func() { ag.Backward(y, opts...) }); err != nil {
			return fail("%v", err)
		}
		for i, v := range vars {
			grads[i] = v.param.Grad
			if grads[i] == nil {
				grads[i] = tensor.ZerosLike(v.value)
			}
		}
	}

	var res *gradcheck.Result
	if *check && len(vars) > 0 {
		res, err = numericCheck(node, vars, y.Shape())
		if err != nil {
			return fail("--check: %v", err)
		}
	}

	if pictures.any() {
		names := map[*ag.Var]string{}
		for _, v := range vars {
			names[v.param] = v.name
		}
		if err := pictures.write(y, names); err != nil {
			return fail("%v", err)
		}
	}

	if *jsonOut {
		writeJSON(stdout, y.Value, vars, grads, res)
	} else {
		writePlain(stdout, y.Value, vars, grads, res)
	}
	return 0
}

// checkGradMemory weighs evaluating node (the expression src) on vars in
// dtype dt against the budget, from the values' shapes alone: the values
// the graph computes, as many gradients, and as many again for the
// reductions of broadcast gradients; with check, two more evaluations in
// float64 (gradcheck's, one at a time).
func checkGradMemory(b memory.Budget, src string, node expr.Node, vars []*variable, dt tensor.DType, check bool) error {
	shapes := make(map[string][]int, len(vars))
	for _, v := range vars {
		shapes[v.name] = v.value.Shape()
	}
	c := expr.Measure(node, shapes)
	if c.Largest == nil {
		return nil
	}
	need := memory.Mul(3, int64(dt.Size()), c.Elements)
	if check {
		need = memory.Add(need, memory.Mul(16, c.Elements))
	}
	if err := b.Check(fmt.Sprintf("evaluating %q and its gradient", src), need); err != nil {
		dims := make([]string, len(c.Shape))
		for i, d := range c.Shape {
			dims[i] = strconv.Itoa(d)
		}
		return fmt.Errorf("the value at column %d is %s: %v", c.Largest.Pos(), strings.Join(dims, "×"), err)
	}
	return nil
}

// numericCheck compares the gradients of node with centered differences
// in float64, seeding with ones of the output's shape so that the true
// gradient of the one-element output is checked.
func numericCheck(node expr.Node, vars []*variable, shape []int) (res *gradcheck.Result, err error) {
	inputs := make([]*tensor.Tensor, len(vars))
	for i, v := range vars {
		// Read the value again in float64 rather than widening a float32.
		if inputs[i], err = expr.ParseValue(v.text, tensor.Float64); err != nil {
			return nil, err
		}
	}
	f := func(in []*ag.Var) *ag.Var {
		env := make(map[string]*ag.Var, len(vars))
		for i, v := range vars {
			env[v.name] = in[i]
		}
		y, err := expr.Eval(node, env, tensor.Float64)
		if err != nil {
			panic(evalError{err})
		}
		return y
	}
	opt := &gradcheck.Options{Upstream: tensor.Ones(tensor.Float64, shape...)}
	err = catch(func() { res, err = gradcheck.Check(f, inputs, opt) })
	return res, err
}

// evalError carries an Eval error out of a gradcheck.Func.
type evalError struct{ err error }

// catch runs f and returns, as an error, a panic with a *tensor.Error or
// an evalError; other panics are not recovered.
func catch(f func()) (err error) {
	defer func() {
		switch r := recover().(type) {
		case nil:
		case *tensor.Error:
			err = r
		case evalError:
			err = r.err
		default:
			panic(r)
		}
	}()
	f()
	return nil
}

// isName reports whether s is a variable name: [A-Za-z_][A-Za-z0-9_]*.
func isName(s string) bool {
	for i, c := range s {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// writePlain prints the "value = V" and "d/dNAME = G" lines, followed by
// the numeric gradient and relative error of each variable if res is not
// nil.
func writePlain(w io.Writer, value *tensor.Tensor, vars []*variable, grads []*tensor.Tensor, res *gradcheck.Result) {
	fmt.Fprintf(w, "value = %s\n", expr.FormatValue(value))
	for i, v := range vars {
		fmt.Fprintf(w, "d/d%s = %s\n", v.name, expr.FormatValue(grads[i]))
	}
	if res == nil {
		return
	}
	for i, v := range vars {
		fmt.Fprintf(w, "numeric d/d%s = %s\n", v.name, expr.FormatValue(res.Inputs[i].Numeric))
		e := res.Inputs[i].MaxRelErr
		fmt.Fprintf(w, "rel error %s = %s (%s)\n", v.name, strconv.FormatFloat(e, 'g', -1, 64), gradcheck.Verdict(e))
	}
}

// writeJSON prints one JSON object holding the value, the gradients and,
// if res is not nil, the numeric gradients and relative errors, keyed by
// variable name in command-line order.
func writeJSON(w io.Writer, value *tensor.Tensor, vars []*variable, grads []*tensor.Tensor, res *gradcheck.Result) {
	var sb strings.Builder
	sb.WriteString(`{"value": `)
	sb.WriteString(jsonValue(value))
	object := func(key string, val func(i int) string) {
		sb.WriteString(`, "` + key + `": {`)
		for i, v := range vars {
			if i > 0 {
				sb.WriteString(", ")
			}
			// Names are [A-Za-z_][A-Za-z0-9_]*: nothing to escape.
			sb.WriteString(`"` + v.name + `": ` + val(i))
		}
		sb.WriteString("}")
	}
	object("grad", func(i int) string { return jsonValue(grads[i]) })
	if res != nil {
		object("numeric", func(i int) string { return jsonValue(res.Inputs[i].Numeric) })
		object("rel_error", func(i int) string { return jsonNumber(res.Inputs[i].MaxRelErr, 64) })
		object("verdict", func(i int) string { return `"` + gradcheck.Verdict(res.Inputs[i].MaxRelErr) + `"` })
	}
	sb.WriteString("}\n")
	io.WriteString(w, sb.String())
}

// jsonValue writes t as a JSON number (0-d) or nested arrays.
func jsonValue(t *tensor.Tensor) string {
	bits := 64
	if t.DType() == tensor.Float32 {
		bits = 32
	}
	return expr.Nested(t, func(v float64) string { return jsonNumber(v, bits) })
}

// jsonNumber writes v as a JSON number in the shortest form that reads back
// exactly as a float of the given bits, or as the string "NaN", "+Inf" or
// "-Inf".
func jsonNumber(v float64, bits int) string {
	switch {
	case math.IsNaN(v):
		return `"NaN"`
	case math.IsInf(v, 1):
		return `"+Inf"`
	case math.IsInf(v, -1):
		return `"-Inf"`
	}
	return strconv.FormatFloat(v, 'g', -1, bits)
}
