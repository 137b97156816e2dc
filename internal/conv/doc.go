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
// materialised for the whole batch: a worker lays out one block of
// output positions of one image, a few hundred columns that stay in the
// L2 cache, multiplies it by the weights (packed once per call into
// slivers for the micro-kernel, which reads the block in place), writes
// the result into the output and moves on. Forward is y[n] = W·col(x[n]);
// the weight gradient is dWᵀ = Σ col(x[n])·dy[n]ᵀ, the block read in
// place as the broadcast operand and dyᵀ packed.
//
// At stride 1, which is most layers, the block is not unfolded
// position by position: its positions are taken on rows as wide as the
// padded input (wide.go), so that every tap reads the input at a
// constant shift and the block is r copies of input rows in long runs
// (or r·s when the channels are too few for a product per tap), at the
// price of the few columns past each output row that are computed and
// dropped. The data gradient there is the forward convolution of dy
// padded, with the kernel flipped and the channels swapped, or
// dcol = Wᵀ·dy on wide rows folded back by one vector add per row of the
// unfolding, whichever computes fewer useless products; at larger strides
// dcol is folded back element by element (col2im).
//
// Work is cut into chunks fixed by the shapes alone (blocks of positions
// or rows of one image and group for forward and backward-data, whose
// elements are each summed in one chunk in the same order whatever the
// blocking; chunks of images
// with a partial sum each, reduced in order, for the weight gradient), so
// results are bit-identical for any number of workers. Buffers come from
// pools, so that a warm call allocates nothing, and calls from several
// goroutines at once are safe.
//
// Lengths are checked; shapes are the caller's business (package tensor
// validates them and names the operation in its panics).
package conv
