// Package train fits a network to a data set and measures it: the training
// loop (Fit, Run) with per-step and per-epoch reports, evaluation
// (Evaluate, and Confuse for a confusion matrix with per-class precision,
// recall and F1), model files (SaveModel, which derives the architecture
// from the model and writes atomically; nn.Load reads them back as models
// that apply their preprocessing themselves, and DataOf says what data set
// they were trained on), and plots made
// with gonum.org/v1/plot: the learning curves (LossPlot, AccuracyPlot),
// the decision regions of a model of two inputs (DecisionPlot) and the
// confusion matrix (ConfusionPlot), saved side by side as PNG or SVG
// (SaveFigure).
//
// Run is Fit that says why it stopped: at the first non-finite loss (a
// DivergedError), when Config.Stop asked (a StoppedError), or when
// Config.Checkpoint did. Config.Patience stops early once the validation
// loss no longer improves and keeps the best weights. Config.Checkpoints
// saves the run into a folder with the last good checkpoint kept;
// WriteCheckpoint saves a run — the model, the optimizer's state and the
// Position (epoch, batch, step, the order of the examples, the random
// state, the history, the best weights) — in one file written atomically
// (WriteFileAtomic); ReadCheckpoint and Config.Resume continue it so that
// it ends with the same weights, bit for bit, as a run never interrupted.
// Log writes a run as JSON Lines.
//
// RunText is Run for next-byte models of text (package data/text): random
// windows of a training split, a fixed number of steps an epoch, the
// mean cross-entropy over every position, validation on the same seeded
// windows every epoch (EvaluateText, in nats per byte; bits per byte are
// nats / ln 2), and the same checkpoints and exact resume, the window
// sampler's position in the Position.
//
// Model files and checkpoints are outside input. nn.Load and
// ReadCheckpoint verify the checksums of the header and the data (see
// nn.ReadSafetensors), weigh the tensors and the architecture against a
// memory limit (nn.MaxMemory; the memory available by default) and compare
// them with each other before building the network; TrainingMemory and
// InferenceMemory give what a network needs before it is built.
//
// With Config.Comm of several ranks (package dist; processes started by
// mpirun), Run is data-parallel: each rank computes its share of every
// batch, the gradients are summed across the ranks in buckets while the
// backward pass runs, and N ranks train the model that one process
// trains with the same batch size. EvaluateSplit evaluates across ranks.
package train
