package tensor

import "backprop/internal/kernel"

// EmbeddingTo sets row j of dst to row idx[j] of the table w, of shape
// [V, D]: the lookup of an embedding. dst holds len(idx)·D elements in
// any shape (the indices' shape followed by D, typically); it returns
// dst. An index outside [0, V) panics, naming it and V.
func EmbeddingTo(dst, w *Tensor, idx []int) *Tensor {
	_, d := embeddingShape("Embedding", w, idx)
	if dst.dtype != w.dtype || dst.n != len(idx)*d {
		panicf("Embedding", "destination %v %v for %d indices into %v %v", dst.dtype, dst.shape, len(idx), w.dtype, w.shape)
	}
	if w.dtype == Float32 {
		ds, ws := dst.s32(), w.s32()
		for j, ix := range idx {
			copy(ds[j*d:(j+1)*d], ws[ix*d:(ix+1)*d])
		}
		return dst
	}
	ds, ws := dst.s64(), w.s64()
	for j, ix := range idx {
		copy(ds[j*d:(j+1)*d], ws[ix*d:(ix+1)*d])
	}
	return dst
}

// EmbeddingAddTo adds row j of dy (len(idx)·D elements in any shape) into
// row idx[j] of dw, of shape [V, D], skipping the indices equal to skip
// (pass −1 to skip none): the sparse backward of EmbeddingTo, a
// scatter-add in which a row looked up twice gets both gradients, in the
// order of idx. Rows no index names are left as they are. It returns dw.
func EmbeddingAddTo(dw, dy *Tensor, idx []int, skip int) *Tensor {
	_, d := embeddingShape("EmbeddingAdd", dw, idx)
	sameDType2("EmbeddingAdd", dw, dy)
	if dy.n != len(idx)*d {
		panicf("EmbeddingAdd", "gradient %v for %d indices into %v", dy.shape, len(idx), dw.shape)
	}
	if dw.dtype == Float32 {
		ws, ys := dw.s32(), dy.s32()
		for j, ix := range idx {
			if ix == skip {
				continue
			}
			r, s := ws[ix*d:(ix+1)*d], ys[j*d:(j+1)*d]
			if d >= narrow {
				kernel.Add(r, r, s)
				continue
			}
			for i, g := range s {
				r[i] += g
			}
		}
		return dw
	}
	ws, ys := dw.s64(), dy.s64()
	for j, ix := range idx {
		if ix == skip {
			continue
		}
		r, s := ws[ix*d:(ix+1)*d], ys[j*d:(j+1)*d]
		for i, g := range s {
			r[i] += g
		}
	}
	return dw
}

// embeddingShape checks that w is a table [V, D] and every index is in
// [0, V), and returns V and D.
func embeddingShape(op string, w *Tensor, idx []int) (v, d int) {
	if len(w.shape) != 2 {
		panicf(op, "weight %v: want [V D]", w.shape)
	}
	v, d = w.shape[0], w.shape[1]
	for j, ix := range idx {
		if ix < 0 || ix >= v {
			panicf(op, "index %d (position %d) out of range [0,%d) of weight %v", ix, j, v, w.shape)
		}
	}
	return v, d
}
