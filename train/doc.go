// Package train fits a network to a data set and measures it: the training
// loop (Fit) with per-step and per-epoch reports, evaluation (Evaluate,
// Accuracy), model files (SaveModel, which derives the architecture from
// the model and writes atomically; nn.Load reads them back as models that
// apply their preprocessing themselves, and DataOf says what data set they
// were trained on), checkpoints in the same format, and PNG plots of the
// learning curves (Plot).
//
// Run is Fit that says why it stopped: at the first non-finite loss (a
// DivergedError) or when Config.Checkpoint asked. WriteCheckpoint saves a
// run — the model, the optimizer's state and the Position (epoch, batch,
// step, the order of the examples, the random state, the history) — in
// one file written atomically (WriteFileAtomic); ReadCheckpoint and
// Config.Resume continue it so that it ends with the same weights, bit for
// bit, as a run never interrupted.
//
// Model files and checkpoints are outside input. nn.Load and
// ReadCheckpoint verify the checksums of the header and the data (see
// nn.ReadSafetensors), weigh the tensors and the architecture against a
// memory limit (nn.MaxMemory; the memory available by default) and compare
// them with each other before building the network; TrainingMemory and
// InferenceMemory give what a network needs before it is built.
package train
