package nn

import (
	"fmt"
	"math"

	"backprop/ag"
	"backprop/tensor"
)

// SoftmaxCrossEntropy returns the mean cross-entropy between softmax of
// the logits [N, C] and the integer labels, fused and stable
// (ag.SoftmaxCrossEntropy):
//
//	L = −(1/N) Σᵢ log softmax(xᵢ)[yᵢ],   ∂L/∂xᵢ = (softmax(xᵢ) − onehot(yᵢ)) / N
//
// With small random weights every class is about equally likely and the
// loss starts near ln C (ln 10 ≈ 2.3026 for ten classes).
func SoftmaxCrossEntropy(logits *ag.Var, labels []int) *ag.Var {
	return ag.SoftmaxCrossEntropy(logits, labels)
}

// MSE returns the mean squared error over all elements,
// L = (1/n) Σ (pred − target)², built from ag's gates; target usually is
// an ag.Const.
//
//	∂L/∂pred = 2(pred − target) / n
func MSE(pred, target *ag.Var) *ag.Var {
	d := ag.Sub(pred, target)
	return ag.Mean(ag.Mul(d, d), false)
}

// L2 returns the regularization penalty reg·Σ w² summed over every element
// of every w (the CS231n convention, whose gradient is 2·reg·w). Use
// HalfL2 for ½·reg·Σ w², whose gradient is reg·w, the convention of
// weight decay.
func L2(reg float64, ws ...*ag.Var) *ag.Var { return l2("L2", reg, ws) }

// HalfL2 returns ½·reg·Σ w² over every element of every w; its gradient
// reg·w equals SGD's weight decay of factor reg.
func HalfL2(reg float64, ws ...*ag.Var) *ag.Var { return l2("HalfL2", reg/2, ws) }

func l2(op string, factor float64, ws []*ag.Var) *ag.Var {
	if len(ws) == 0 {
		panic(fmt.Sprintf("nn: %s: no weights", op))
	}
	var total *ag.Var
	for _, w := range ws {
		s := ag.Sum(ag.Mul(w, w), false)
		if total == nil {
			total = s
		} else {
			total = ag.Add(total, s)
		}
	}
	return ag.Mul(total, ag.Scalar(ws[0].DType(), factor))
}

// Hinge returns the multiclass SVM (Weston–Watkins) loss of the scores
// [N, C] for the integer labels, with margin Δ = 1, averaged over the
// batch:
//
//	forward:  L = (1/N) Σᵢ Σ_{j≠yᵢ} max(0, sᵢⱼ − sᵢ,yᵢ + 1)
//	backward: every positive margin (i, j) adds 1/N to ∂L/∂sᵢⱼ and
//	          subtracts 1/N from ∂L/∂sᵢ,yᵢ, times ∂L/∂L
//
//go:noinline
func Hinge(scores *ag.Var, labels []int) *ag.Var {
	return ag.Apply(&hingeGate{labels: labels}, scores)
}

type hingeGate struct {
	labels []int
	shape  []int
	active []bool // margin (i, j) is positive
}

func (g *hingeGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	s := in[0]
	if s.Dims() != 2 || s.Dim(0) != len(g.labels) || len(g.labels) == 0 {
		panic(&tensor.Error{Op: "nn.Hinge", Msg: fmt.Sprintf("scores %v with %d labels: want [N C] with N > 0 labels", s.Shape(), len(g.labels))})
	}
	n, c := s.Dim(0), s.Dim(1)
	g.shape = s.Shape()
	g.active = make([]bool, n*c)
	sum := 0.0
	for i, y := range g.labels {
		if y < 0 || y >= c {
			panic(&tensor.Error{Op: "nn.Hinge", Msg: fmt.Sprintf("label %d of example %d out of range [0,%d)", y, i, c)})
		}
		sy := s.Flat(i*c + y)
		for j := 0; j < c; j++ {
			if j == y {
				continue
			}
			if m := s.Flat(i*c+j) - sy + 1; m > 0 {
				sum += m
				g.active[i*c+j] = true
			}
		}
	}
	return tensor.ScalarLike(s, sum/float64(n))
}

func (g *hingeGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	n, c := g.shape[0], g.shape[1]
	d := dout.Item() / float64(n)
	ds := tensor.NewLike(dout, g.shape...)
	for i, y := range g.labels {
		for j := 0; j < c; j++ {
			if g.active[i*c+j] {
				ds.SetFlat(i*c+j, ds.Flat(i*c+j)+d)
				ds.SetFlat(i*c+y, ds.Flat(i*c+y)-d)
			}
		}
	}
	return []*tensor.Tensor{ds}
}

// BCEWithLogits returns the binary cross-entropy between σ(x) and targets
// t in [0, 1] of the same shape, averaged over all n elements, computed
// from the logits without forming σ(x), so that it neither overflows nor
// takes the log of 0:
//
//	forward:  L = (1/n) Σ max(x, 0) − x·t + log(1 + e^−|x|)
//	backward: ∂L/∂x = (σ(x) − t) / n · ∂L/∂L
//
// targets is data: it gets no gradient.
//
//go:noinline
func BCEWithLogits(logits *ag.Var, targets *tensor.Tensor) *ag.Var {
	return ag.Apply(&bceGate{t: targets}, logits)
}

type bceGate struct {
	t, x *tensor.Tensor
}

func (g *bceGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	x := in[0]
	if !tensor.SameShape(x.Shape(), g.t.Shape()) || x.Len() == 0 {
		panic(&tensor.Error{Op: "nn.BCEWithLogits", Msg: fmt.Sprintf("logits %v and targets %v: want the same non-empty shape", x.Shape(), g.t.Shape())})
	}
	g.x = x
	sum := 0.0
	for i := 0; i < x.Len(); i++ {
		v, t := x.Flat(i), g.t.Flat(i)
		sum += max(v, 0) - v*t + math.Log1p(math.Exp(-math.Abs(v)))
	}
	return tensor.ScalarLike(x, sum/float64(x.Len()))
}

func (g *bceGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	n := g.x.Len()
	d := dout.Item() / float64(n)
	dx := tensor.SigmoidTo(tensor.ZerosLike(g.x), g.x)
	for i := 0; i < n; i++ {
		dx.SetFlat(i, (dx.Flat(i)-g.t.Flat(i))*d)
	}
	return []*tensor.Tensor{dx}
}
