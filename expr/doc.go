// Package expr parses small arithmetic expressions over tensors and builds
// the corresponding autograd graph.
//
// An expression is made of numbers (2, 1e-3, .5), variable names
// ([A-Za-z_][A-Za-z0-9_]*), parentheses and the operators
//
//	^        power, right-associative; binds tighter than unary minus,
//	         so -x^2 is -(x^2), while 2^-1 is 2^(-1)
//	- +      unary minus and plus
//	* / @    elementwise product and quotient, matrix product
//	+ -      elementwise sum and difference
//
// listed from the tightest binding to the loosest; binary operators of equal
// precedence other than ^ associate to the left. Elementwise operators
// broadcast with NumPy rules. The functions are
//
//	exp log sqrt abs sin cos tanh sigmoid relu   one argument, elementwise
//	max(a, b) min(a, b) pow(a, b)                two arguments, elementwise
//	sum(x) mean(x)                               over all elements
//	sum(x, axis) mean(x, axis)                   over one axis (an integer literal, negative counts from the end)
//	softmax(x)                                   over the last axis
//	transpose(x)                                 swaps the last two axes
//
// Parse turns source text into a Node; its String method prints the tree
// fully parenthesised, in a form that Parse reads back to the same tree.
// Eval builds the graph with the gates of package ag. ParseValue reads a
// tensor literal such as -2 or [[0.1, 0.5], [-0.3, 0.8]], and FormatValue
// writes one.
//
// Errors in outside input are reported as a *SyntaxError carrying the
// 1-based column, counted in runes, of the offending text.
package expr
