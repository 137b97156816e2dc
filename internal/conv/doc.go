// Package conv computes 2-d convolutions of batches of NCHW images with
// weights laid out [out, in/groups, kh, kw], as PyTorch does, and their
// two gradients, on the micro-kernels of package gemm:
//
//	forward          y = x ⋆ w (+ b)
//	backward-data    dx = dy ⋆ᵀ w, the transposed convolution
//	backward-weight  dw (+)= Σₙ dy ⋆ x, optionally added into dw (β = 1)
//	backward-bias    db (+)= Σₙ,ₚ dy
//
// with strides, zero padding and dilations per axis and groups of
// channels, in float32 and float64.
//
// The products are GEMMs over an unfolded input (im2col) that is never
// materialised for the whole batch: a worker unfolds one block of output
// positions of one image, a few hundred columns that stay in the L2
// cache, multiplies it by the weights (packed once per call into slivers
// for the micro-kernel, which reads the unfolded block in place), writes
// the result straight into the output and moves on. Forward is
// y[n] = W·col(x[n]); the weight gradient is dWᵀ = Σ col(x[n])·dy[n]ᵀ,
// the unfolded block read in place as the broadcast operand; the data
// gradient at stride 1 is the forward convolution of dy with the kernel
// flipped and the channels swapped, and at larger strides dcol = Wᵀ·dy
// scattered back onto dx (col2im).
//
// Work is cut into chunks fixed by the shapes alone (blocks of positions
// of one image and group for forward and backward-data; chunks of images
// with a partial sum each, reduced in order, for the weight gradient), so
// results are bit-identical for any number of workers. Buffers come from
// pools, so that a warm call allocates nothing, and calls from several
// goroutines at once are safe.
//
// Lengths are checked; shapes are the caller's business (package tensor
// validates them and names the operation in its panics).
package conv
