// Package nn builds neural networks from the gates of package ag: layers
// that hold parameters (Linear), activations (ReLU, LeakyReLU, ELU,
// Sigmoid, Tanh, Maxout), Dropout, containers (Sequential, and the MLP
// builder), weight initializers, losses and L2 regularization.
//
// A Module maps a batch of inputs, one example per row, to outputs, and
// names its parameters the way PyTorch's state_dict does: a Sequential of
// Linear, ReLU, Linear has parameters "0.weight", "0.bias", "2.weight" and
// "2.bias", weights stored out×in. WriteSafetensors and ReadSafetensors
// store them in the safetensors format that PyTorch and Hugging Face use,
// with checksums of the header and of the data that reading verifies; a
// file is outside input, so ReadSafetensors also weighs what its tensors
// need against a memory limit (MaxMemory) before reading them, and
// Spec.Params, NumParams and Activations give the size of a network from
// its architecture without building it.
//
// # Model files
//
// A Model is a network ready to predict: its layers, their Description
// (the architecture, derived from the layers by Describe and turned back
// into layers by Build; the input standardisation; the class names) and
// a Forward and Predict that take raw inputs and apply the preprocessing
// themselves. Load reads any model file backprop wrote — train.SaveModel's
// models, train.WriteCheckpoint's checkpoints, interop/pytorch_mlp.py's
// files — and returns such a Model; WriteModel writes one. A file of a
// newer format version than FormatVersion is refused with an error that
// says so.
//
// The gates this package adds — ELU, Maxout, the multiclass hinge loss,
// binary cross-entropy with logits and Standardize — are ordinary
// user-defined gates (ag.Apply with a type implementing ag.Gate), each
// checked against numerical gradients in this package's tests.
//
// # Concurrency
//
// Inference is safe from many goroutines at once on one model: put the
// model in evaluation mode once (SetTraining(false)), then let each
// goroutine call Forward on Vars of its own ag.Graph made with ag.NoGrad
// (recycled with Reset between requests, if you like). Forward then only
// reads the parameters, and everything it computes belongs to that
// goroutine's graph. Graphs are independent: other goroutines may train
// other models, or compute anything else, at the same time. SetTraining,
// training steps and loading weights must not run concurrently with
// anything else on the same model.
package nn
