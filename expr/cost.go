package expr

import (
	"slices"

	"backprop/internal/memory"
	"backprop/tensor"
)

// Cost is what evaluating an expression computes, known from the shapes
// of its variables before any value is made: values given on a command
// line can broadcast to far more than they hold ([30000 1] and [60000]
// make 1.8·10⁹ elements).
type Cost struct {
	// Elements counts the elements of every value Eval computes, in its
	// order, up to the first operation whose operands do not fit (which
	// Eval then reports), saturating at math.MaxInt64. The variables'
	// own values are not counted; back-propagation makes as many
	// gradient elements again, and its reductions of broadcast gradients
	// at most as many more.
	Elements int64
	// Largest is the node with the largest value (nil if none is
	// computed), and Shape that value's shape.
	Largest Node
	Shape   []int
}

// Measure returns the Cost of evaluating n with variables of the given
// shapes, following the shape rules of Eval's gates: NumPy broadcasting
// for the element-wise operators and max, min and pow, matrix products of
// at least 2-d operands with broadcast batch axes, reductions over all
// axes or one, softmax keeping the shape and transpose swapping the last
// two axes.
func Measure(n Node, shapes map[string][]int) Cost {
	c, _, _ := measure(n, shapes)
	return c
}

// measure is Measure that also returns the shape of n's value, and false
// where Eval stops.
func measure(n Node, shapes map[string][]int) (c Cost, out []int, ok bool) {
	biggest := int64(-1)
	made := func(n Node, shape []int) []int {
		e := memory.Elements(shape)
		c.Elements = memory.Add(c.Elements, e)
		if e > biggest {
			biggest, c.Largest, c.Shape = e, n, shape
		}
		return shape
	}
	// shape returns n's shape, and false where Eval would stop there.
	var shape func(Node) ([]int, bool)
	shape = func(n Node) ([]int, bool) {
		switch n := n.(type) {
		case *Number:
			return made(n, []int{}), true
		case *Ident:
			s, ok := shapes[n.Name]
			return s, ok
		case *Unary:
			x, ok := shape(n.X)
			if !ok || n.Op != "-" {
				return x, ok
			}
			return made(n, x), true
		case *Binary:
			x, ok := shape(n.X)
			if !ok {
				return nil, false
			}
			y, ok := shape(n.Y)
			if !ok {
				return nil, false
			}
			var out []int
			if n.Op == "@" {
				out, ok = matmulShape(x, y)
			} else {
				out, ok = tensor.BroadcastShapes(x, y)
			}
			if !ok {
				return nil, false
			}
			return made(n, out), true
		case *Call:
			args := make([][]int, len(n.Args))
			for i, a := range n.Args {
				s, ok := shape(a)
				if !ok {
					return nil, false
				}
				args[i] = s
			}
			out, ok := callShape(n, args)
			if !ok {
				return nil, false
			}
			return made(n, out), true
		}
		return nil, false
	}
	out, ok = shape(n)
	return c, out, ok
}

// matmulShape is the shape of x·y, as tensor.MatMul makes it: a 1-d x is
// a row and a 1-d y a column, and their axis is left out of the result.
func matmulShape(x, y []int) ([]int, bool) {
	if len(x) == 0 || len(y) == 0 {
		return nil, false
	}
	xr, xc, xb := 1, x[len(x)-1], []int(nil)
	if len(x) > 1 {
		xr, xb = x[len(x)-2], x[:len(x)-2]
	}
	yr, yc, yb := y[0], 1, []int(nil)
	if len(y) > 1 {
		yr, yc, yb = y[len(y)-2], y[len(y)-1], y[:len(y)-2]
	}
	if xc != yr {
		return nil, false
	}
	batch, ok := tensor.BroadcastShapes(xb, yb)
	if !ok {
		return nil, false
	}
	if len(x) > 1 {
		batch = append(batch, xr)
	}
	if len(y) > 1 {
		batch = append(batch, yc)
	}
	return batch, true
}

// callShape is the shape of the call c on arguments of the given shapes.
func callShape(c *Call, args [][]int) ([]int, bool) {
	switch {
	case len(args) == 1 && c.Func == "transpose":
		out := slices.Clone(args[0])
		if d := len(out); d >= 2 {
			out[d-1], out[d-2] = out[d-2], out[d-1]
		}
		return out, true
	case len(args) == 1 && (c.Func == "sum" || c.Func == "mean"):
		if !c.HasAxis {
			return []int{}, true
		}
		d := len(args[0])
		if c.Axis < -d || c.Axis >= d {
			return nil, false
		}
		return tensor.ReducedShape(args[0], false, c.Axis), true
	case len(args) == 1 && unaryFuncs[c.Func] != nil:
		return args[0], true
	case len(args) == 2 && binaryFuncs[c.Func] != nil:
		return tensor.BroadcastShapes(args[0], args[1])
	}
	return nil, false
}
