package expr_test

import (
	"fmt"

	"backprop/ag"
	"backprop/expr"
	"backprop/tensor"
)

func ExampleParse() {
	n, err := expr.Parse("-x^2 + 2^-1 * sum(W @ x, 0)")
	if err != nil {
		panic(err)
	}
	fmt.Println(n)
	fmt.Println(expr.Names(n))
	// Output:
	// ((-(x ^ 2)) + ((2 ^ (-1)) * sum((W @ x), 0)))
	// [x W]
}

func ExampleSyntaxError() {
	_, err := expr.Parse("(x + y) * foo(z)")
	fmt.Println(err)
	fmt.Println(err.(*expr.SyntaxError).Caret())
	// Output:
	// col 11: unknown function "foo"
	// (x + y) * foo(z)
	//           ^
}

func ExampleParseValue() {
	w, err := expr.ParseValue("[[0.1, 0.5], [-0.3, 0.8]]", tensor.Float64)
	if err != nil {
		panic(err)
	}
	fmt.Println(w.Shape(), expr.FormatValue(w))

	_, err = expr.ParseValue("[[1, 2], [3]]", tensor.Float64)
	fmt.Println(err)
	// Output:
	// [2 2] [[0.1, 0.5], [-0.3, 0.8]]
	// col 10: ragged list: a list of 1 number where a list of 2 numbers was expected
}

func ExampleEval() {
	n, err := expr.Parse("(x+y)*z")
	if err != nil {
		panic(err)
	}
	vars := map[string]*ag.Var{
		"x": ag.Param(tensor.Scalar(tensor.Float64, -2)),
		"y": ag.Param(tensor.Scalar(tensor.Float64, 5)),
		"z": ag.Param(tensor.Scalar(tensor.Float64, -4)),
	}
	out, err := expr.Eval(n, vars, tensor.Float64)
	if err != nil {
		panic(err)
	}
	ag.Backward(out)
	fmt.Println("value", out.Item())
	for _, name := range expr.Names(n) {
		fmt.Printf("d/d%s = %v\n", name, vars[name].Grad.Item())
	}
	// Output:
	// value -12
	// d/dx = -4
	// d/dy = -4
	// d/dz = 3
}
