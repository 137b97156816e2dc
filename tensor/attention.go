package tensor

import (
	"math"

	"backprop/internal/kernel"
	"backprop/internal/parallel"
)

// This file holds the row operations of scaled dot-product attention:
// the masked softmax of the scores and its backward pass. The products
// around them are batched GEMMs (MatMulTo with transpose flags).

// AttentionMask says which keys a query of an attention may see.
type AttentionMask struct {
	// Causal lets the query at row i of Tq see only the keys at
	// positions ≤ Tk − Tq + i: the queries are the last Tq positions of
	// the Tk keys, so that with Tq = Tk query i sees keys 0…i, and one
	// new query (Tq = 1) sees every key (a decoder's cached step). With
	// Tq < Tk this is PyTorch's bottom-right alignment
	// (torch.nn.attention.bias.causal_lower_right), not the top-left one
	// of scaled_dot_product_attention(is_causal=True), where query i sees
	// keys 0…i; with Tq = Tk the two agree.
	Causal bool
	// KeyPadding, if not nil, holds N·Tk flags, row-major [N, Tk]: true
	// hides that key from every query of batch element n (PyTorch's
	// key_padding_mask, where True means "ignore").
	KeyPadding []bool
}

// checkAttentionScores panics unless s is [N, H, Tq, Tk] and m fits it.
func checkAttentionScores(op string, s *Tensor, m AttentionMask) (n, h, tq, tk int) {
	if s.Dims() != 4 {
		panicf(op, "scores %v: want [N H Tq Tk]", s.shape)
	}
	n, h, tq, tk = s.shape[0], s.shape[1], s.shape[2], s.shape[3]
	if m.KeyPadding != nil && len(m.KeyPadding) != n*tk {
		panicf(op, "scores %v: key padding mask of %d flags, want N·Tk = %d", s.shape, len(m.KeyPadding), n*tk)
	}
	if m.Causal && tq > tk {
		panicf(op, "scores %v: a causal mask needs no more queries than keys", s.shape)
	}
	return n, h, tq, tk
}

// MaskedSoftmaxTo sets dst, [N, H, Tq, Tk], to the attention weights
// softmax(scale·s + M) over the last axis, where M is −∞ at the keys that
// m hides and 0 elsewhere. Under a causal mask the keys after a query's
// position are not computed at all: their weights are set to 0. A row
// whose keys are all hidden is NaN, as in PyTorch. Rows run in parallel.
// dst may be s.
func MaskedSoftmaxTo(dst, s *Tensor, scale float64, m AttentionMask) *Tensor {
	const op = "MaskedSoftmax"
	n, h, tq, tk := checkAttentionScores(op, s, m)
	checkDst(op, dst, s.dtype, s.shape)
	if tk == 0 {
		return dst
	}
	parallel.For(n*h*tq, rowChunk(tk), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			var pad []bool
			if m.KeyPadding != nil {
				b := r / (h * tq)
				pad = m.KeyPadding[b*tk : (b+1)*tk]
			}
			lim := tk
			if m.Causal {
				lim = tk - tq + r%tq + 1
			}
			o := r * tk
			if s.dtype == Float32 {
				maskedSoftmaxRow32(dst.s32()[o:o+tk], s.s32()[o:o+tk], float32(scale), lim, pad)
			} else {
				maskedSoftmaxRow64(dst.s64()[o:o+tk], s.s64()[o:o+tk], scale, lim, pad)
			}
		}
	})
	return dst
}

// rowChunk returns how many rows of n elements a task of a parallel
// row loop takes: about 16384 elements, at least one row. Rows are
// independent, so the results do not depend on the workers.
func rowChunk(n int) int { return max(1, 16384/max(n, 1)) }

func maskedSoftmaxRow32(d, x []float32, scale float32, lim int, pad []bool) {
	ninf := float32(math.Inf(-1))
	kernel.Scale(d[:lim], x[:lim], scale)
	for j := range pad[:min(lim, len(pad))] {
		if pad[j] {
			d[j] = ninf
		}
	}
	kernel.Softmax(d[:lim], d[:lim], lim)
	clear(d[lim:])
}

func maskedSoftmaxRow64(d, x []float64, scale float64, lim int, pad []bool) {
	m := math.Inf(-1)
	for j := 0; j < lim; j++ {
		v := x[j] * scale
		if pad != nil && pad[j] {
			v = math.Inf(-1)
		}
		d[j] = v
		m = max(m, v)
	}
	if math.IsInf(m, -1) {
		m = 0 // every key hidden: 0/0 = NaN below
	}
	sum := 0.0
	for j := 0; j < lim; j++ {
		e := kernel.Exp64(d[j] - m)
		d[j] = e
		sum += e
	}
	for j := 0; j < lim; j++ {
		d[j] /= sum
	}
	clear(d[lim:])
}

// softmaxBlock is the number of elements of a row SoftmaxBackwardTo's
// float32 path passes to the kernels at once, in pooled buffers.
const softmaxBlock = 256

// SoftmaxBackwardTo sets dst to scale·y ⊙ (dy − Σⱼ dyⱼ·yⱼ) along the last
// axis: the gradient of a softmax over rows of the last axis from its
// output y and upstream gradient dy, times scale (the factor that
// multiplied the softmax's input). It is a dot product per row, never
// the Jacobian. Rows run in parallel. dst may be dy.
func SoftmaxBackwardTo(dst, y, dy *Tensor, scale float64) *Tensor {
	const op = "SoftmaxBackward"
	dt := sameDType2(op, y, dy)
	if !SameShape(y.shape, dy.shape) || y.Dims() == 0 {
		panicf(op, "shapes %v and %v: want the same shape of rows", y.shape, dy.shape)
	}
	checkDst(op, dst, dt, y.shape)
	n := y.shape[len(y.shape)-1]
	if n == 0 {
		return dst
	}
	parallel.For(y.Len()/n, rowChunk(n), func(lo, hi int) {
		if dt == Float32 {
			d, p, g := dst.s32(), y.s32(), dy.s32()
			sc := float32(scale)
			u, t := getRun[float32](min(softmaxBlock, n)), getRun[float32](min(softmaxBlock, n))
			defer putRun(u)
			defer putRun(t)
			for o := lo * n; o < hi*n; o += n {
				pr, gr, dr := p[o:o+n], g[o:o+n], d[o:o+n]
				dot := kernel.Dot(gr, pr)
				// dr = (sc·pr) ⊙ (gr − dot), by the SIMD kernels in
				// blocks, each product rounded as the scalar loop would.
				for b := 0; b < n; b += softmaxBlock {
					e := min(b+softmaxBlock, n)
					ub, tb := (*u)[:e-b], (*t)[:e-b]
					kernel.Scale(ub, pr[b:e], sc)
					kernel.AddScalar(tb, gr[b:e], -dot)
					kernel.Mul(dr[b:e], ub, tb)
				}
			}
			return
		}
		d, p, g := dst.s64(), y.s64(), dy.s64()
		for o := lo * n; o < hi*n; o += n {
			pr, gr, dr := p[o:o+n], g[o:o+n], d[o:o+n]
			dot := 0.0
			for j := range pr {
				dot += gr[j] * pr[j]
			}
			for j := range dr {
				dr[j] = scale * pr[j] * (gr[j] - dot)
			}
		}
	})
	return dst
}

// AttendCachedTo sets dst, [N, H, t, dv], to causal attention of the t
// queries q, [N, H, t, d], over the first length positions of the
// key/value caches k, [N, H, cap, d], and v, [N, H, cap, dv]
// (cap ≥ length ≥ t): the queries are the last t of those positions, so
// query i sees the keys 0 … length − t + i, and the scores are scaled by
// scale. It is a decoder's step: each query's scores are dot products
// with the cached keys, its output a weighted sum of the cached values,
// with no copy of the caches, whose capacity beyond length is not read.
func AttendCachedTo(dst, q, k, v *Tensor, length int, scale float64) *Tensor {
	const op = "AttendCached"
	dt := sameDType(op, dst, q, k, v)
	if q.Dims() != 4 || k.Dims() != 4 || v.Dims() != 4 || k.shape[0] != q.shape[0] || v.shape[0] != q.shape[0] ||
		k.shape[1] != q.shape[1] || v.shape[1] != q.shape[1] || k.shape[3] != q.shape[3] || v.shape[2] != k.shape[2] ||
		length > k.shape[2] || length < q.shape[2] {
		panicf(op, "q %v, caches %v and %v of %d positions: want [N H t d], [N H cap d], [N H cap dv], t ≤ positions ≤ cap",
			q.shape, k.shape, v.shape, length)
	}
	n, h, t, d := q.shape[0], q.shape[1], q.shape[2], q.shape[3]
	cp, dv := k.shape[2], v.shape[3]
	checkDst(op, dst, dt, []int{n, h, t, dv})
	if dt == Float32 {
		p := make([]float32, length)
		qs, ks, vs, ds := q.s32(), k.s32(), v.s32(), dst.s32()
		for b := 0; b < n*h; b++ {
			kb, vb := ks[b*cp*d:], vs[b*cp*dv:]
			for i := 0; i < t; i++ {
				lim := length - t + i + 1
				qi := qs[(b*t+i)*d : (b*t+i+1)*d]
				for j := 0; j < lim; j++ {
					p[j] = kernel.Dot(qi, kb[j*d:(j+1)*d])
				}
				kernel.Scale(p[:lim], p[:lim], float32(scale))
				kernel.Softmax(p[:lim], p[:lim], lim)
				out := ds[(b*t+i)*dv : (b*t+i+1)*dv]
				clear(out)
				for j := 0; j < lim; j++ {
					kernel.Axpy(out, p[j], vb[j*dv:(j+1)*dv])
				}
			}
		}
		return dst
	}
	p := make([]float64, length)
	qs, ks, vs, ds := q.s64(), k.s64(), v.s64(), dst.s64()
	for b := 0; b < n*h; b++ {
		kb, vb := ks[b*cp*d:], vs[b*cp*dv:]
		for i := 0; i < t; i++ {
			lim := length - t + i + 1
			qi := qs[(b*t+i)*d : (b*t+i+1)*d]
			m := math.Inf(-1)
			for j := 0; j < lim; j++ {
				s := 0.0
				for c, x := range qi {
					s += x * kb[j*d+c]
				}
				p[j] = s * scale
				m = max(m, p[j])
			}
			sum := 0.0
			for j := 0; j < lim; j++ {
				p[j] = kernel.Exp64(p[j] - m)
				sum += p[j]
			}
			out := ds[(b*t+i)*dv : (b*t+i+1)*dv]
			clear(out)
			for j := 0; j < lim; j++ {
				w := p[j] / sum
				for c := range out {
					out[c] += w * vb[j*dv+c]
				}
			}
		}
	}
	return dst
}
