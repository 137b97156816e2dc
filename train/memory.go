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
// the float32 network of the plan p (see nn.Arch.Plan) on batches of batch examples with an
// optimizer holding slots tensors of state per parameter (Adam and AdamW
// 2, SGD, Nesterov and RMSProp 1): the parameters, their gradients and the
// optimizer's state, all of them once more while a checkpoint or the
// model is written, and the larger of a step's activations with their
// gradients and an evaluation batch's activations. The data sets are not
// counted (see data.Bytes). It saturates at math.MaxInt64 and weighs
// nothing: call it before building the network, and compare it with the
// memory available (which is what the command line's --max-memory
// defaults to).
func TrainingMemory(p *nn.Plan, batch, slots int) int64 {
	return trainingMemory(p, batch, slots, EvalBatch)
}

// TextEvalBatch is the batch size, in windows, of RunText's validation
// after every epoch.
const TextEvalBatch = 32

// TextTrainingMemory is TrainingMemory for RunText: the plan's examples
// are windows, and validation runs TextEvalBatch of them at a time.
func TextTrainingMemory(p *nn.Plan, batch, slots int) int64 {
	return trainingMemory(p, batch, slots, TextEvalBatch)
}

func trainingMemory(p *nn.Plan, batch, slots, evalBatch int) int64 {
	n := memory.Add(p.NumParams(), p.NumBuffers())
	// Values, gradients and state, then a copy of values and state for
	// the file.
	params := memory.Mul(4, n, int64(3+2*slots))
	return memory.Add(params, activations(p, 2, batch), activations(p, 1, evalBatch))
}

// InferenceMemory estimates the memory, in bytes, that loading the
// float32 network of the plan p from a file (nn.Load: the file's
// tensors, then the network) and running it on batches of batch examples
// takes.
func InferenceMemory(p *nn.Plan, batch int) int64 {
	return memory.Add(loadMemory(p), activations(p, 1, batch))
}

// loadMemory is what nn.Load holds at most: the tensors read and the
// network built from them.
func loadMemory(p *nn.Plan) int64 {
	return memory.Mul(8, memory.Add(p.NumParams(), p.NumBuffers()))
}

// activations is the memory of a forward pass on batch examples, with
// copies of every activation (1 without gradients, 2 with), the inputs,
// and the logits' softmax.
func activations(p *nn.Plan, copies, batch int) int64 {
	in, out := memory.Elements(p.In), memory.Elements(p.Out())
	perExample := memory.Add(memory.Mul(int64(copies), p.Activations()), in, memory.Mul(int64(copies), out))
	return memory.Mul(4, int64(batch), perExample)
}
