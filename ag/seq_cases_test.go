package ag_test

import (
	"backprop/ag"
	"backprop/gradcheck"
	"backprop/tensor"
)

// seqCases are the rows of the gates of sequence models' inputs and
// losses: the embedding lookup (repeated indices, a row never looked up,
// indices of several shapes, padding) and cross-entropy over sequences
// with ignored positions.
func seqCases() []gradcheck.Case {
	var cs []gradcheck.Case
	add := func(c ...gradcheck.Case) { cs = append(cs, c...) }

	// Row 3 of the [5 3] table is never looked up, rows 0 and 4 twice.
	idx := []int{4, 0, 4, 1, 2, 0}
	add(gradcheck.Case{Gate: "Embedding", Shapes: [][]int{s(5, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.Embedding(in[0], idx) }})
	add(gradcheck.Case{Gate: "Embedding", Shapes: [][]int{s(5, 3)},
		F: func(in []*ag.Var) *ag.Var { return ag.Embedding(in[0], idx, 2, 3) }})
	add(gradcheck.Case{Gate: "Embedding", Shapes: [][]int{s(7, 1)},
		F: func(in []*ag.Var) *ag.Var { return ag.Embedding(in[0], []int{6, 6, 0, 3, 5, 1, 2, 6}, 2, 2, 2) }})
	add(gradcheck.Case{Gate: "Embedding", Shapes: [][]int{s(3, 70)}, // rows long enough for the kernels
		F: func(in []*ag.Var) *ag.Var { return ag.Embedding(in[0], []int{2, 0, 2}, 3, 1) }})
	add(gradcheck.Case{Gate: "Embedding", Shapes: [][]int{s(4, 2)}, // fan-out: the table times its own lookup
		F: func(in []*ag.Var) *ag.Var {
			return ag.Mul(ag.Embedding(in[0], []int{3, 1, 1, 0}), in[0])
		}})
	// The padding row gets no gradient by definition, not by calculus:
	// the rows mask the padded positions out, so that the finite
	// differences agree; TestEmbeddingPadding checks the row itself.
	padded := func(pad, wantRow int, shape ...int) gradcheck.Func {
		return func(in []*ag.Var) *ag.Var {
			y := ag.EmbeddingPadded(in[0], idx, pad, shape...)
			d := in[0].Value.Dim(1)
			mask := tensor.New(in[0].DType(), y.Value.Shape()...)
			for p, ix := range idx {
				if ix != wantRow {
					for j := range d {
						mask.SetFlat(p*d+j, 1)
					}
				}
			}
			return ag.Mul(y, ag.Const(mask))
		}
	}
	add(gradcheck.Case{Gate: "EmbeddingPadded", Shapes: [][]int{s(5, 3)}, F: padded(0, 0, 3, 2)})
	add(gradcheck.Case{Gate: "EmbeddingPadded", Shapes: [][]int{s(5, 3)}, F: padded(-1, 4)}) // −1 is row 4

	// Indices in a Var, as data holds them: [2 3] of integral values.
	ids := tensor.FromSlice([]float64{4, 0, 4, 1, 2, 0}, 2, 3)
	add(gradcheck.Case{Gate: "EmbeddingOf", Shapes: [][]int{s(5, 3)},
		F: func(in []*ag.Var) *ag.Var {
			return ag.EmbeddingOf(in[0], in[0].Graph().Const(ids.As(in[0].DType())), ag.NoPadding)
		}})
	add(gradcheck.Case{Gate: "EmbeddingOf", Shapes: [][]int{s(5, 3)}, // padding row 1, masked out as above
		F: func(in []*ag.Var) *ag.Var {
			y := ag.EmbeddingOf(in[0], in[0].Graph().Const(ids.As(in[0].DType())), 1)
			mask := tensor.New(in[0].DType(), y.Value.Shape()...)
			for p, ix := range idx {
				for j := range 3 {
					if ix != 1 {
						mask.SetFlat(p*3+j, 1)
					}
				}
			}
			return ag.Mul(y, ag.Const(mask))
		}})

	add(gradcheck.Case{Gate: "SoftmaxCrossEntropyIgnore", Shapes: [][]int{s(2, 3, 5)},
		F: func(in []*ag.Var) *ag.Var {
			return ag.SoftmaxCrossEntropyIgnore(in[0], []int{4, ag.IgnoreIndex, 0, 2, 2, ag.IgnoreIndex}, ag.IgnoreIndex)
		}})
	add(gradcheck.Case{Gate: "SoftmaxCrossEntropyIgnore", Shapes: [][]int{s(4, 3)}, // an ignore index that is a class
		F: func(in []*ag.Var) *ag.Var { return ag.SoftmaxCrossEntropyIgnore(in[0], []int{1, 0, 2, 1}, 1) }})
	add(gradcheck.Case{Gate: "SoftmaxCrossEntropyIgnore", Shapes: [][]int{s(1, 1, 1)},
		F: func(in []*ag.Var) *ag.Var { return ag.SoftmaxCrossEntropyIgnore(in[0], []int{0}, ag.IgnoreIndex) }})
	add(gradcheck.Case{Gate: "SoftmaxCrossEntropyIgnore", Shapes: [][]int{s(3, 2)}, // fan-out
		F: func(in []*ag.Var) *ag.Var {
			return ag.SoftmaxCrossEntropyIgnore(ag.Add(in[0], in[0]), []int{1, -1, 0}, -1)
		}})
	return cs
}
