// Package text holds byte-level text corpora for sequence models and the
// batches of windows a training loop draws from them.
//
// A Corpus is every text file of a directory tree (or a single file), read
// into memory in a stable order, depth-first and by name within each
// directory (a/b.txt before a-c.txt before a.txt), and split by file into
// a training and a validation Split: a file goes to validation when the
// FNV-1a hash of its relative path falls in the first ValidFraction of the
// hash space, so the split depends on the file's name alone, not on the
// machine, the order of the walk or the other files.
// Each Split is its files' bytes concatenated in that order.
//
// The vocabulary is the bytes: Vocab (256) symbols, no tokenizer, so a
// model of any text can read any other. GoSource opens the default
// corpus, the Go standard library's source: the .go files under
// $(go env GOROOT)/src.
//
// A Sampler walks a Split in batches of windows of context+1 bytes: the
// first context bytes are a window's inputs and the last context, shifted
// by one, its next-byte targets. With a *rand.Rand it draws the windows'
// starts at random, uniformly over the split, from that source alone; with
// none it walks the split in order, in non-overlapping windows, for
// evaluation: every byte but the first is a target once, but for the last
// (Len − 1) mod context, too few for a window. Like data.Loader it reuses its batch buffers, and a run that
// saves Position and the random source's state (rand.PCG and rand.ChaCha8
// marshal theirs) and restores both continues with the same batches, bit
// for bit.
package text
