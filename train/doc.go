// Package train fits a network to a data set and measures it: the training
// loop (Fit) with per-step and per-epoch reports, evaluation (Evaluate,
// Accuracy), checkpoints in the safetensors format with the architecture
// in their metadata (SaveModel, LoadModel), and PNG plots of the learning
// curves (Plot).
package train
