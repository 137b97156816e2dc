package expr

import (
	"errors"
	"fmt"

	"backprop/ag"
	"backprop/tensor"
)

// Eval builds the graph of n with the gates of package ag and returns its
// output. Variables are looked up in vars; number literals become constant
// 0-d tensors of dtype dt, which should match the dtype of the variables.
//
// An undefined variable is reported as `undefined variable "q"`. A shape
// mismatch, which the gates report by panicking with a *tensor.Error, is
// returned as that error; any other panic is not recovered.
func Eval(n Node, vars map[string]*ag.Var, dt tensor.DType) (v *ag.Var, err error) {
	defer func() {
		if r := recover(); r != nil {
			te, ok := r.(*tensor.Error)
			if !ok {
				panic(r)
			}
			v, err = nil, te
		}
	}()
	return eval(n, vars, dt)
}

func eval(n Node, vars map[string]*ag.Var, dt tensor.DType) (*ag.Var, error) {
	switch n := n.(type) {
	case *Number:
		return ag.Const(tensor.Scalar(dt, n.Value)), nil
	case *Ident:
		v, ok := vars[n.Name]
		if !ok || v == nil {
			return nil, fmt.Errorf("undefined variable %q", n.Name)
		}
		return v, nil
	case *Unary:
		x, err := eval(n.X, vars, dt)
		if err != nil {
			return nil, err
		}
		if n.Op == "-" {
			return ag.Neg(x), nil
		}
		return x, nil
	case *Binary:
		x, err := eval(n.X, vars, dt)
		if err != nil {
			return nil, err
		}
		y, err := eval(n.Y, vars, dt)
		if err != nil {
			return nil, err
		}
		switch n.Op {
		case "+":
			return ag.Add(x, y), nil
		case "-":
			return ag.Sub(x, y), nil
		case "*":
			return ag.Mul(x, y), nil
		case "/":
			return ag.Div(x, y), nil
		case "^":
			return ag.Pow(x, y), nil
		case "@":
			return ag.MatMul(x, y), nil
		}
		return nil, fmt.Errorf("unknown operator %q", n.Op)
	case *Call:
		args := make([]*ag.Var, len(n.Args))
		for i, a := range n.Args {
			v, err := eval(a, vars, dt)
			if err != nil {
				return nil, err
			}
			args[i] = v
		}
		return call(n, args)
	}
	return nil, fmt.Errorf("unknown node %T", n)
}

var unaryFuncs = map[string]func(*ag.Var) *ag.Var{
	"exp": ag.Exp, "log": ag.Log, "sqrt": ag.Sqrt, "abs": ag.Abs,
	"sin": ag.Sin, "cos": ag.Cos, "tanh": ag.Tanh, "sigmoid": ag.Sigmoid, "relu": ag.ReLU,
	"transpose": ag.Transpose,
	"softmax":   func(x *ag.Var) *ag.Var { return ag.Softmax(x, -1) },
}

var binaryFuncs = map[string]func(a, b *ag.Var) *ag.Var{
	"max": ag.Maximum, "min": ag.Minimum, "pow": ag.Pow,
}

// call applies the function of c to its evaluated arguments.
func call(c *Call, args []*ag.Var) (*ag.Var, error) {
	if f, ok := unaryFuncs[c.Func]; ok && len(args) == 1 {
		return f(args[0]), nil
	}
	if f, ok := binaryFuncs[c.Func]; ok && len(args) == 2 {
		return f(args[0], args[1]), nil
	}
	var reduce func(*ag.Var, bool, ...int) *ag.Var
	switch c.Func {
	case "sum":
		reduce = ag.Sum
	case "mean":
		reduce = ag.Mean
	}
	if reduce != nil && len(args) == 1 {
		if c.HasAxis {
			return reduce(args[0], false, c.Axis), nil
		}
		return reduce(args[0], false), nil
	}
	return nil, errors.New("bad call " + c.String())
}
