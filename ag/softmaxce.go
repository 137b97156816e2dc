package ag

import (
	"fmt"
	"math"

	"backprop/tensor"
)

// SoftmaxCrossEntropy returns the mean over a batch of the cross-entropy
// between softmax(logits) and integer class labels, as one fused gate:
// logits has shape [N, C] and labels holds N classes in [0, C).
//
//	forward:  L = −(1/N) Σᵢ log softmax(xᵢ)[yᵢ]
//	          computed as log-sum-exp shifted by the row maximum, so that
//	          large logits neither overflow nor take the log of 0
//	backward: ∂L/∂xᵢ = (softmax(xᵢ) − onehot(yᵢ)) / N · ∂L/∂L
//	          (one pass; the softmax Jacobian is never formed)
//
//go:noinline
func SoftmaxCrossEntropy(logits *Var, labels []int) *Var {
	return Apply(&softmaxCEGate{labels: labels}, logits)
}

type softmaxCEGate struct {
	labels []int
	logp   *tensor.Tensor // log-probabilities, saved for backward
	grads1
}

func (g *softmaxCEGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	x := in[0]
	if x.Dims() != 2 || x.Dim(0) != len(g.labels) {
		panic(&tensor.Error{Op: "SoftmaxCrossEntropy",
			Msg: fmt.Sprintf("logits %v with %d labels: want [N C] with N labels", x.Shape(), len(g.labels))})
	}
	c := x.Dim(1)
	for i, y := range g.labels {
		if y < 0 || y >= c {
			panic(&tensor.Error{Op: "SoftmaxCrossEntropy",
				Msg: fmt.Sprintf("label %d of example %d out of range [0,%d)", y, i, c)})
		}
	}
	g.logp = tensor.LogSoftmax(x, 1)
	sum := 0.0
	for i, y := range g.labels {
		sum -= g.logp.Flat(i*c + y)
	}
	n := float64(len(g.labels))
	if n == 0 {
		return tensor.ScalarLike(x, math.NaN())
	}
	return tensor.ScalarLike(x, sum/n)
}

func (g *softmaxCEGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	n := len(g.labels)
	if n == 0 {
		return g.grads(tensor.ZerosLike(g.logp))
	}
	c := g.logp.Dim(1)
	dx := tensor.Exp(g.logp) // softmax
	for i, y := range g.labels {
		dx.SetFlat(i*c+y, dx.Flat(i*c+y)-1)
	}
	return g.grads(tensor.ScaleTo(dx, dx, dy.Item()/float64(n)))
}

func (*softmaxCEGate) Info() Info {
	return Info{"softmaxCE", "softmax CE", "softmax cross-entropy: (softmax − onehot)/N, in one pass"}
}
