package nn

import "backprop/ag"

// SequenceCrossEntropy returns the mean cross-entropy of next-symbol
// predictions over the positions of a batch of sequences: logits
// [N, T, V] (or [M, V]) and one target per position, N·T of them
// row-major, of which those equal to ag.IgnoreIndex (−100, PyTorch's
// default ignore_index: padding, say) count neither in the sum nor in the
// mean. It is one fused gate (ag.SoftmaxCrossEntropyIgnore):
//
//	L = −(1/K) Σ_{p: y_p ≠ −100} log softmax(x_p)[y_p],   K the positions counted
//
// With untrained weights every byte is about equally likely and the loss
// starts near ln V (ln 256 ≈ 5.545 nats, 8 bits per byte). A batch with
// every position ignored has the loss NaN, as in PyTorch.
func SequenceCrossEntropy(logits *ag.Var, targets []int) *ag.Var {
	return ag.SoftmaxCrossEntropyIgnore(logits, targets, ag.IgnoreIndex)
}
