package train

import (
	"backprop/internal/memory"
	"backprop/nn"
)

// limitOf returns the limit that the optional arguments limit give: the
// last one, or 0 (the memory available) if there is none.
func limitOf(limit []nn.MaxMemory) int64 {
	if len(limit) == 0 {
		return 0
	}
	return int64(limit[len(limit)-1])
}

// EvalBatch is the batch size of the evaluation on the validation set
// after every epoch of Run.
const EvalBatch = 1000

// TrainingMemory estimates the memory, in bytes, that Run takes to train
// the float32 network MLP(spec) on batches of batch examples with an
// optimizer holding slots tensors of state per parameter (Adam and AdamW
// 2, SGD, Nesterov and RMSProp 1): the parameters, their gradients and the
// optimizer's state, all of them once more while a checkpoint or the
// model is written, and the larger of a step's activations with their
// gradients and an evaluation batch's activations. The data sets are not
// counted (see data.Bytes). It saturates at math.MaxInt64 and weighs
// nothing: call it before building the network, and compare it with the
// memory available (which is what the command line's --max-memory
// defaults to). spec must pass Check.
func TrainingMemory(spec nn.Spec, batch, slots int) int64 {
	p := spec.NumParams()
	// Values, gradients and state, then a copy of values and state for
	// the file.
	params := memory.Mul(4, p, int64(3+2*slots))
	return memory.Add(params, activations(spec, 2, batch), activations(spec, 1, EvalBatch))
}

// InferenceMemory estimates the memory, in bytes, that loading the
// float32 network MLP(spec) from a file (nn.Load: the file's tensors,
// then the network) and running it on batches of batch examples takes.
// spec must pass Check.
func InferenceMemory(spec nn.Spec, batch int) int64 {
	return memory.Add(loadMemory(spec), activations(spec, 1, batch))
}

// loadMemory is what nn.Load holds at most: the tensors read and the
// network built from them.
func loadMemory(spec nn.Spec) int64 { return memory.Mul(8, spec.NumParams()) }

// activations is the memory of a forward pass on batch examples, with
// copies of every activation (1 without gradients, 2 with), the inputs,
// and the logits' softmax.
func activations(spec nn.Spec, copies, batch int) int64 {
	in, out := int64(spec.Sizes[0]), int64(spec.Sizes[len(spec.Sizes)-1])
	perExample := memory.Add(memory.Mul(int64(copies), spec.Activations()), in, memory.Mul(int64(copies), out))
	return memory.Mul(4, int64(batch), perExample)
}
