package ag

import (
	"fmt"

	"backprop/tensor"
)

// Linear returns x·Wᵀ + b, the fully connected layer, as one fused gate:
// x is a batch [N, In], w is stored [Out, In] as in PyTorch, and the bias b
// [Out] is added to every row.
//
//	forward:  Y = X·Wᵀ + b         (the transpose is a flag of the GEMM)
//	backward: ∂L/∂X = ∂L/∂Y·W,  ∂L/∂W = (∂L/∂Y)ᵀ·X,
//	          ∂L/∂b = Σ_rows ∂L/∂Y  (a column sum, in the same pass)
//
// It computes what Add(MatMulT(x, w, false, true), b) does with one graph
// node instead of two, one output tensor instead of two, and the bias
// gradient summed directly rather than through the engine's broadcast
// reduction.
//
//go:noinline
func Linear(x, w, b *Var) *Var {
	if p := packsOf(x); p != nil {
		return Apply(&linearGate{packs: p}, x, w, b)
	}
	return Apply(&linearGate{}, x, w, b)
}

type linearGate struct {
	x, w  *tensor.Tensor
	packs *tensor.PackedWeights // the graph's, for inference (see Graph.UsePackedWeights)
	grads3
}

func (g *linearGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	x, w, b := in[0], in[1], in[2]
	if x.Dims() != 2 || w.Dims() != 2 || b.Dims() != 1 || b.Dim(0) != w.Dim(0) {
		panic(&tensor.Error{Op: "Linear",
			Msg: fmt.Sprintf("x %v, weight %v, bias %v: want [N In], [Out In], [Out]", x.Shape(), w.Shape(), b.Shape())})
	}
	g.x, g.w = x, w
	var y *tensor.Tensor
	if g.packs != nil {
		y = g.packs.MatMulT(x, w)
	} else {
		y = tensor.MatMul(x, w, false, true)
	}
	return tensor.AddTo(y, y, b)
}

func (g *linearGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	return g.backwardAcc(dy, need, nil)
}

// backwardAcc adds the weight's and the bias's gradients into their
// buffers when the engine offers them (see accGate).
func (g *linearGate) backwardAcc(dy *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	var dx, dw, db *tensor.Tensor
	if need[0] {
		dx = tensor.MatMul(dy, g.w, false, false)
	}
	if need[1] {
		if acc != nil && acc[1] != nil {
			dw = tensor.MatMulAddTo(acc[1], dy, g.x, true, false)
		} else {
			dw = tensor.MatMul(dy, g.x, true, false)
		}
	}
	if need[2] {
		if acc != nil && acc[2] != nil {
			db = tensor.SumRowsAddTo(acc[2], dy)
		} else {
			db = tensor.ReduceTo(tensor.NewLike(dy, dy.Dim(1)), dy)
		}
	}
	return g.grads(dx, dw, db)
}

func (*linearGate) Info() Info {
	return Info{"linear", "x·Wᵀ+b", "matmul swaps: ∂/∂X = G·W, ∂/∂W = Gᵀ·X; the bias gets the column sums"}
}
