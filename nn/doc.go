// Package nn builds neural networks from the gates of package ag: layers
// that hold parameters (Linear), activations (ReLU, LeakyReLU, ELU,
// Sigmoid, Tanh, GELU, Maxout), Dropout, attention (MultiheadAttention,
// the pre-LN transformer Block, and KVCache for decoding), containers (Sequential, and the MLP
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
// models, train.WriteCheckpoint's checkpoints, interop/pytorch_model.py's
// files — and returns such a Model; WriteModel writes one. A file of a
// newer format version than FormatVersion is refused with an error that
// says so.
//
// The gates this package adds — ELU, Maxout, the multiclass hinge loss,
// binary cross-entropy with logits and Standardize — are ordinary
// user-defined gates (ag.Apply with a type implementing ag.Gate), each
// checked against numerical gradients in this package's tests.
//
// # Architectures
//
// A Sequential has a text form, the architecture language that the
// command line's --arch flag and the model files use:
//
//	conv(32,3) relu conv(64,3) relu maxpool(2) dropout(0.25) flatten linear(128) relu dropout(0.5) linear(10)
//
// ParseArch reads it (or the name of a preset: mlp, lenet5, mnistcnn,
// fast), Arch.Plan works out every layer's shapes and parameters for the
// shape of an example ([1 28 28] for MNIST, [784] for the same flat, [2]
// for the spiral) without allocating, and Build makes the network.
// PlanOf and Describe go the other way, from a built model to its
// canonical text, so that what a model file says of its architecture is
// derived from the model. Plan.String is a summary of the layers with
// their output shapes and parameter counts.
//
// The grammar:
//
//	arch   = preset | layer { layer }
//	layer  = word [ "(" [ arg { "," arg } ] ")" ]
//	arg    = value | name "=" value          (positional arguments first)
//	value  = ["-"] number | size | "true" | "false"
//	size   = integer ("x" | "×") integer      (height × width: 5x3)
//
// The layers, with their positional arguments and their options (and
// defaults); a size is an integer n (n×n) or h×w:
//
//	conv(out, k, stride=1, pad=0, dilation=1, groups=1, bias=true)   Conv2d
//	maxpool(k, stride=k, pad=0, dilation=1)                         MaxPool2d
//	avgpool(k, stride=k, pad=0, count_pad=true)                     AvgPool2d (count_pad=false: ExcludePad)
//	gap                                                             GlobalAvgPool2d, [C H W] to [C]
//	flatten                                                         Flatten
//	unflatten(d1, d2, …)                                            Unflatten
//	linear(out, bias=true)                                          Linear, on [D] or on every step of [T D]
//	relu  tanh  sigmoid                                             ReLU, Tanh, Sigmoid
//	gelu(tanh=false)                                                GELU (tanh=true: the tanh approximation)
//	leakyrelu(slope=0.01)  elu(alpha=1)  maxout(k=2)                LeakyReLU, ELUModule, MaxoutModule
//	dropout(p=0.5)                                                  Dropout
//	batchnorm(momentum=0.1, eps=1e-5, affine=true)                  BatchNorm, 1-d or 2-d by the input's rank
//	layernorm(axes=0, eps=1e-5, affine=true)                        LayerNorm over the last axes (0: all) of an example
//	groupnorm(g, eps=1e-5, affine=true)                             GroupNorm of g groups
//	embed(dim, vocab=256)                                           Embedding: indices [T] to vectors [T dim]
//	posembed(context)                                               PositionalEmbedding: learned, [T D] with T ≤ context
//	sinpos                                                          SinusoidalPositions: the fixed sin/cos encoding
//	lstm(hidden, layers=1, dropout=0)                               LSTM, batch-first: sequences [T D] to [T hidden]
//	gru(hidden, layers=1, dropout=0)  rnn(…)                        GRU, RNN (tanh), as lstm
//	block(heads, hidden=4E, dropout=0, causal=true)                 Block: a pre-LN transformer block on sequences [T E]
//
// Input sizes (channels, features, a sequence's width E) come from the
// layer before. A sequence model takes examples of T indices, [T] (a
// batch [N, T] of integral values), and embed turns them into vectors
// [T dim]; its table has vocab rows, 256 by default for the bytes of
// package data/text (the shape of the indices cannot say how many
// symbols there are). posembed(context) adds a learned vector per
// position (a [context D] table, for sequences of up to context
// positions), sinpos the fixed sinusoidal encoding of "Attention is all
// you need" (SinusoidalPositions has the formula). A block's width is its
// input's E, which its heads must divide; linear applies to the last axis
// of a sequence [T D] as of flat examples [D]. Networks take flat
// examples [N, D], as data sets hold them; when the first layer that
// cares wants images (or sequences [T D], for the recurrent layers and
// blocks), Build puts an Unflatten to the example's shape in front.
// Errors name the column: a word or argument that does not parse, or a
// layer that does not fit its input, with the shapes.
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
