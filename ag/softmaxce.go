package ag

import (
	"fmt"
	"math"

	"backprop/tensor"
)

// IgnoreIndex is PyTorch's default ignore_index of cross-entropy: −100, a
// target that no class has.
const IgnoreIndex = -100

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

// SoftmaxCrossEntropyIgnore is SoftmaxCrossEntropy over the positions of
// a sequence, with PyTorch's ignore_index: logits has any shape whose last
// axis holds the C classes ([N, T, C] for a batch of sequences, [M, C] for
// M positions), targets holds one class per row of logits (N·T of them,
// row-major, as a flattened [N, T]), and the positions whose target is
// ignore (IgnoreIndex by default in PyTorch; padding, say) count neither
// in the sum nor in the mean. It is PyTorch's
// F.cross_entropy(logits.reshape(-1, C), targets.reshape(-1),
// ignore_index=ignore) with reduction 'mean'. Every other target must be
// in [0, C).
//
//	forward:  L = −(1/K) Σ_{p: y_p ≠ ignore} log softmax(x_p)[y_p],
//	          K = #{p: y_p ≠ ignore}
//	backward: ∂L/∂x_p = (softmax(x_p) − onehot(y_p)) / K · ∂L/∂L where
//	          y_p ≠ ignore, and 0 on the ignored positions (one fused pass)
//
// When every position is ignored K is 0 and L is 0/0 = NaN, as in PyTorch;
// its gradient is then zero everywhere (PyTorch's too: no position
// receives any).
//
//go:noinline
func SoftmaxCrossEntropyIgnore(logits *Var, targets []int, ignore int) *Var {
	return Apply(&softmaxCEGate{labels: targets, ignore: ignore, ignoring: true}, logits)
}

type softmaxCEGate struct {
	labels   []int
	ignore   int            // the target of positions left out, where ignoring
	ignoring bool           // SoftmaxCrossEntropyIgnore
	count    int            // the positions counted
	logp     *tensor.Tensor // log-probabilities, saved for backward
	grads1
}

func (g *softmaxCEGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	x := in[0]
	op := "SoftmaxCrossEntropy"
	if g.ignoring {
		op = "SoftmaxCrossEntropyIgnore"
		rows := 1
		for _, d := range x.Shape()[:max(x.Dims()-1, 0)] {
			rows *= d
		}
		if x.Dims() < 1 || rows != len(g.labels) {
			panic(&tensor.Error{Op: op,
				Msg: fmt.Sprintf("logits %v with %d targets: want [… C] with one target per row", x.Shape(), len(g.labels))})
		}
	} else if x.Dims() != 2 || x.Dim(0) != len(g.labels) {
		panic(&tensor.Error{Op: op,
			Msg: fmt.Sprintf("logits %v with %d labels: want [N C] with N labels", x.Shape(), len(g.labels))})
	}
	c := x.Dim(x.Dims() - 1)
	g.count = 0
	for i, y := range g.labels {
		if g.ignoring && y == g.ignore {
			continue
		}
		if (y < 0 || y >= c) && g.ignoring {
			panic(&tensor.Error{Op: op,
				Msg: fmt.Sprintf("target %d at position %d out of range [0,%d), and not the ignore index %d", y, i, c, g.ignore)})
		}
		if y < 0 || y >= c {
			panic(&tensor.Error{Op: op,
				Msg: fmt.Sprintf("label %d of example %d out of range [0,%d)", y, i, c)})
		}
		g.count++
	}
	g.logp = tensor.LogSoftmax(x, -1)
	sum := 0.0
	for i, y := range g.labels {
		if g.ignoring && y == g.ignore {
			continue
		}
		sum -= g.logp.Flat(i*c + y)
	}
	if g.count == 0 {
		return tensor.ScalarLike(x, math.NaN())
	}
	return tensor.ScalarLike(x, sum/float64(g.count))
}

func (g *softmaxCEGate) Backward(dy *tensor.Tensor, need []bool) []*tensor.Tensor {
	if g.count == 0 {
		return g.grads(tensor.ZerosLike(g.logp))
	}
	c := g.logp.Dim(g.logp.Dims() - 1)
	dx := tensor.Exp(g.logp) // softmax
	if g.logp.DType() == tensor.Float32 {
		ceRows(dx.Float32s(), g.labels, c, g.ignore, g.ignoring)
	} else {
		ceRows(dx.Float64s(), g.labels, c, g.ignore, g.ignoring)
	}
	return g.grads(tensor.ScaleTo(dx, dx, dy.Item()/float64(g.count)))
}

// ceRows turns the softmax rows p (of c each) into p − onehot(y) where y
// is counted and into zeros where it is ignored.
func ceRows[T float32 | float64](p []T, labels []int, c, ignore int, ignoring bool) {
	for i, y := range labels {
		if ignoring && y == ignore {
			clear(p[i*c : (i+1)*c])
			continue
		}
		p[i*c+y]--
	}
}

func (*softmaxCEGate) Info() Info {
	return Info{"softmaxCE", "softmax CE", "softmax cross-entropy: (softmax − onehot)/N, in one pass"}
}
