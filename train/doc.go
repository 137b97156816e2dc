// Package train fits a network to a data set and measures it: the training
// loop (Fit) with per-step and per-epoch reports, evaluation (Evaluate,
// Accuracy), checkpoints in the safetensors format with the architecture
// in their metadata (SaveModel, LoadModel), and PNG plots of the learning
// curves (Plot).
//
// Run is Fit that says why it stopped: at the first non-finite loss (a
// DivergedError) or when Config.Checkpoint asked. WriteCheckpoint saves a
// run — the model, the optimizer's state and the Position (epoch, batch,
// step, the order of the examples, the random state, the history) — in
// one file written atomically (WriteFileAtomic); ReadCheckpoint and
// Config.Resume continue it so that it ends with the same weights, bit for
// bit, as a run never interrupted.
//
// With Config.Comm of several ranks (package dist; processes started by
// mpirun), Run is data-parallel: each rank computes its share of every
// batch, the gradients are summed across the ranks in buckets while the
// backward pass runs, and N ranks train the model that one process
// trains with the same batch size. EvaluateSplit evaluates across ranks.
package train
