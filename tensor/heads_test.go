package tensor_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"backprop/tensor"
)

// TestHeadMatMul checks HeadMatMulTo, with each operand and the
// destination stacked or heads side by side and every pair of transpose
// flags, against MatMul on the heads permuted into stacks; a destination
// of heads side by side keeps its other columns.
func TestHeadMatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, h = 2, 3
	// op(A) is m×k and op(B) k×n for every head.
	const m, k, cols = 4, 5, 6
	for ti := range 4 {
		transA, transB := ti&1 != 0, ti&2 != 0
		for layout := range 8 {
			aSide, bSide, cSide := layout&1 != 0, layout&2 != 0, layout&4 != 0
			name := fmt.Sprintf("transA %v transB %v, side by side: a %v b %v dst %v", transA, transB, aSide, bSide, cSide)
			ar, ac := m, k
			if transA {
				ar, ac = k, m
			}
			br, bc := k, cols
			if transB {
				br, bc = cols, k
			}
			// operand returns the stacked [N H r c] matrices and the
			// operand of the chosen layout holding the same values (heads
			// from column 2 of rows 2 + H·c + 1 wide).
			operand := func(r, c int, side bool) (*tensor.Tensor, tensor.HeadOperand) {
				stacked := tensor.Randn(rng, tensor.Float64, n, h, r, c)
				if !side {
					return stacked, tensor.Stacked(stacked)
				}
				w := 2 + h*c + 1
				wide := tensor.Randn(rng, tensor.Float64, n, r, w)
				for bn := range n {
					for hh := range h {
						for i := range r {
							for j := range c {
								wide.Set(stacked.At(bn, hh, i, j), bn, i, 2+hh*c+j)
							}
						}
					}
				}
				return stacked, tensor.Heads(wide, 2, c)
			}
			as, a := operand(ar, ac, aSide)
			bs, b := operand(br, bc, bSide)
			want := tensor.MatMul(as, bs, transA, transB)
			_, dst := operand(m, cols, cSide)
			before := dst.T.Clone()
			tensor.HeadMatMulTo(dst, a, b, h, transA, transB)
			for bn := range n {
				for hh := range h {
					for i := range m {
						for j := range cols {
							var got float64
							if cSide {
								got = dst.T.At(bn, i, 2+hh*cols+j)
							} else {
								got = dst.T.At(bn, hh, i, j)
							}
							if w := want.At(bn, hh, i, j); got != w {
								t.Fatalf("%s: (%d, %d)[%d, %d] = %v, want %v", name, bn, hh, i, j, got, w)
							}
						}
					}
				}
			}
			if cSide {
				w := dst.T.Dim(2)
				for bn := range n {
					for i := range m {
						for _, j := range []int{0, 1, w - 1} {
							if dst.T.At(bn, i, j) != before.At(bn, i, j) {
								t.Fatalf("%s: column %d outside the heads changed", name, j)
							}
						}
					}
				}
			}
			if !aSide && !bSide {
				if got := tensor.HeadMatMul(a, b, h, transA, transB); !tensor.Equal(got, want) {
					t.Errorf("%s: HeadMatMul differs from MatMul", name)
				}
			}
		}
	}
}

// TestHeadMatMulPanics checks the messages for operands that do not fit.
func TestHeadMatMulPanics(t *testing.T) {
	x := tensor.New(tensor.Float32, 2, 4, 12)
	st := tensor.New(tensor.Float32, 2, 3, 4, 4)
	for _, c := range []struct {
		name  string
		dst   tensor.HeadOperand
		a, b  tensor.HeadOperand
		heads int
		want  string
	}{
		{"heads past the rows", tensor.Stacked(st), tensor.Heads(x, 4, 3), tensor.Heads(x, 0, 3), 3, "HeadMatMul: a [2 4 12]: 3 heads of 3 columns from column 4 do not fit its rows of 12"},
		{"stack of other heads", tensor.Stacked(st), tensor.Heads(x, 0, 4), tensor.Heads(x, 0, 4), 2, "HeadMatMul: dst [2 3 4 4] with Off 0, Cols 0: a stacked operand is [N 2 r c]"},
		{"inner sizes", tensor.Stacked(st), tensor.Heads(x, 0, 4), tensor.Heads(x, 0, 3), 3, "the matrices do not form products"},
		{"aliased", tensor.Heads(x, 0, 4), tensor.Heads(x, 0, 4), tensor.Heads(x, 0, 4), 3, "HeadMatMul: destination aliases an operand"},
		{"no heads", tensor.Stacked(st), tensor.Heads(x, 0, 4), tensor.Heads(x, 0, 4), 0, "HeadMatMul: 0 heads"},
	} {
		func() {
			defer func() {
				if r := fmt.Sprint(recover()); !strings.Contains(r, c.want) {
					t.Errorf("%s: panic %q, want it to contain %q", c.name, r, c.want)
				}
			}()
			tensor.HeadMatMulTo(c.dst, c.a, c.b, c.heads, false, true)
		}()
	}
}
