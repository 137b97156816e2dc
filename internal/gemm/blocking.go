package gemm

// The caches of the machine the blocking is tuned for, an AMD EPYC (Zen 4)
// as lscpu reports it: 32 KiB of L1d and 1 MiB of L2 per core, 32 MiB of
// L3 shared. Other x86 CPUs of the last decade have the same L1d and at
// least 256 KiB of L2, for which these choices are still reasonable.
const (
	l1Bytes = 32 << 10
	l2Bytes = 1 << 20
)

// blockSizes returns the blocking of the Goto loops for an mr×nr kernel
// on elements of the given size in bytes:
//
//   - kc, the depth of a packed sliver, so that the Mr×kc sliver of A that
//     the inner loop reuses against every sliver of B fills a quarter of
//     L1d, leaving the rest to the stream of B and to C;
//   - nc, the width of a packed panel of B, so that the kc×nc panel, which
//     every sliver of A sweeps, fills half of L2.
//
// The sizes are rounded to multiples of 8 and of nr. A larger kc would
// amortize the loads and stores of C over more steps, a smaller one keeps
// the A sliver from being evicted; at 256 (float32) and 128 (float64) the
// kernel runs within a few percent of its peak.
func blockSizes(mr, nr, size int) (kc, nc int) {
	kc = l1Bytes / 4 / (mr * size)
	kc = min(max(kc/8*8, 64), 512)
	nc = l2Bytes / 2 / (kc * size)
	nc = max(nc/nr*nr, nr)
	return kc, nc
}

// smallFlops is the size m·n·k up to which op(A) and op(B) are read in
// place instead of packed (when op(B) has contiguous rows): below it the
// packing costs more than the cache misses it avoids.
var smallFlops = 128 * 128 * 128 // a variable so that tests can force either path

// inPlaceA lets the kernels read a float32 op(A) with contiguous rows in
// place (see gemmWith); a variable so that tests can force packing.
var inPlaceA = true

// parallelFlops is the size m·n·k below which the product runs on one
// worker: handing chunks to a second costs a microsecond or two when it
// is spinning (internal/parallel), far more when its core is idle, as
// much as such a product takes; measured with two workers, 96³ gains
// about 15% and 64³, 256×10×256 and 64×256×10 lose.
const parallelFlops = 96 * 96 * 96

// Serial reports whether Gemm computes an m×n×k product on one worker, as
// it does below parallelFlops: a batch of such products (the heads of an
// attention) is better spread over the workers, a product each.
func Serial(m, n, k int) bool { return m*n*k < parallelFlops }

// parallelPack is the size k·n of op(B) from which a product that runs in
// parallel also packs B in parallel.
const parallelPack = 64 * 256

// swapCols and swapRows bound the products that are computed transposed
// (see dispatch): at most swapCols columns and at least swapRows rows.
// Variables so that tests can force either path (swapCols = 0: never).
var (
	swapCols = 16
	swapRows = 32
)
