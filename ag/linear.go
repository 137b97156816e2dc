package ag

import (
	"fmt"
	"slices"

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
func Linear(x, w, b *Var) *Var { return Apply(linearGates.get(), x, w, b) }

type linearGate struct {
	x, w  *tensor.Tensor
	grads [3]*tensor.Tensor
}

func (g *linearGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	x, w, b := in[0], in[1], in[2]
	if x.Dims() != 2 || w.Dims() != 2 || b.Dims() != 1 || b.Dim(0) != w.Dim(0) {
		panic(&tensor.Error{Op: "Linear",
			Msg: fmt.Sprintf("x %v, weight %v, bias %v: want [N In], [Out In], [Out]", x.Shape(), w.Shape(), b.Shape())})
	}
	g.x, g.w = x, w
	y := tensor.MatMul(x, w, false, true)
	return tensor.AddTo(y, y, b)
}

func (g *linearGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return slices.Clone(g.backwardAcc(dout, need, nil))
}

func (g *linearGate) backwardAcc(dout *tensor.Tensor, need []bool, acc []*tensor.Tensor) []*tensor.Tensor {
	gr := g.grads[:]
	clear(gr)
	if need[0] {
		gr[0] = tensor.MatMul(dout, g.w, false, false)
	}
	if need[1] {
		if acc != nil && acc[1] != nil {
			gr[1] = tensor.MatMulAddTo(acc[1], dout, g.x, true, false)
		} else {
			gr[1] = tensor.MatMul(dout, g.x, true, false)
		}
	}
	if need[2] {
		if acc != nil && acc[2] != nil {
			gr[2] = tensor.SumRowsAddTo(acc[2], dout)
		} else {
			gr[2] = tensor.ReduceTo(tensor.New(dout.DType(), dout.Dim(1)), dout)
		}
	}
	return gr
}

var linearGates gatePool[linearGate]
