package tensor

import (
	"math"
	"sync"
	"unsafe"

	"backprop/internal/kernel"
)

// Defaults of the normalisation layers, PyTorch's.
const (
	// NormEps is the ε added to the variance of batch, layer and group
	// normalisation: 1e-5.
	NormEps = 1e-5
	// BatchNormMomentum is the weight of a batch's statistics in the
	// running statistics of batch normalisation: 0.1.
	BatchNormMomentum = 0.1
)

// The normalisation functions work on runs: contiguous stretches of the
// input that share a mean and an inverse standard deviation (a channel's
// plane in one image, a row of layer normalisation, a group's block). The
// sums over a run are float32 kernels where the elements are float32 and
// the run is long enough, accumulated across runs in float64; the
// variance is the mean of the squared deviations from the mean, summed in
// a second sweep, not E[x²] − E[x]², which cancels.

// longRun is the run length from which float32 runs go through the
// kernels.
const longRun = 16

// runSum returns Σ x.
func runSum[T Float](x []T) float64 {
	if f, ok := any(x).([]float32); ok && len(f) >= longRun {
		return float64(kernel.Sum(f))
	}
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// runDev returns Σ (x − m)² and, if dy is not nil, Σ dy·(x − m); tmp is
// scratch of len(x).
func runDev[T Float](x, dy []T, m T, tmp []T) (sq, dot float64) {
	if f, ok := any(x).([]float32); ok && len(f) >= longRun {
		t := any(tmp).([]float32)[:len(f)]
		kernel.AddScalar(t, f, -float32(m))
		sq = float64(kernel.Dot(t, t))
		if dy != nil {
			dot = float64(kernel.Dot(any(dy).([]float32)[:len(f)], t))
		}
		return sq, dot
	}
	for i, v := range x {
		d := float64(v - m)
		sq += d * d
		if dy != nil {
			dot += float64(dy[i]) * d
		}
	}
	return sq, dot
}

// runAffine sets dst = a·x + b.
func runAffine[T Float](dst, x []T, a, b T) {
	if f, ok := any(x).([]float32); ok && len(f) >= longRun {
		d := any(dst).([]float32)[:len(f)]
		kernel.Scale(d, f, float32(a))
		kernel.AddScalar(d, d, float32(b))
		return
	}
	for i, v := range x {
		dst[i] = a*v + b
	}
}

// runGrad sets dx = a·dy + b·(x − m) + c, with tmp scratch of len(x).
func runGrad[T Float](dx, dy, x []T, a, b, c, m T, tmp []T) {
	if f, ok := any(x).([]float32); ok && len(f) >= longRun {
		d, g := any(dx).([]float32)[:len(f)], any(dy).([]float32)[:len(f)]
		t := any(tmp).([]float32)[:len(f)]
		kernel.AddScalar(t, f, -float32(m))
		kernel.Scale(d, g, float32(a))
		kernel.Axpy(d, float32(b), t)
		kernel.AddScalar(d, d, float32(c))
		return
	}
	for i, v := range x {
		dx[i] = a*dy[i] + b*(v-m) + c
	}
}

// Scratch runs for runDev and runGrad, pooled by element size.
var runPools [2]sync.Pool

func getRun[T Float](n int) *[]T {
	var z T
	i := 0
	if unsafe.Sizeof(z) == 8 {
		i = 1
	}
	p, _ := runPools[i].Get().(*[]T)
	if p == nil {
		p = new([]T)
	}
	if cap(*p) < n {
		*p = make([]T, n)
	}
	*p = (*p)[:n]
	return p
}

func putRun[T Float](p *[]T) {
	var z T
	i := 0
	if unsafe.Sizeof(z) == 8 {
		i = 1
	}
	runPools[i].Put(p)
}

// bnLayout returns the images, channels and run length of x, [N, C, …],
// for batch normalisation over every axis but 1.
func bnLayout(op string, x *Tensor) (n, c, l int) {
	if len(x.shape) < 2 {
		panicf(op, "input shape %v, want [N C] or [N C H W …]", x.shape)
	}
	n, c, l = x.shape[0], x.shape[1], 1
	for _, d := range x.shape[2:] {
		l *= d
	}
	return n, c, l
}

// checkVec panics unless t is nil (when it may be) or a [c] vector of dt.
func checkVec(op, name string, t *Tensor, dt DType, c int, optional bool) {
	if t == nil {
		if !optional {
			panicf(op, "%s is nil", name)
		}
		return
	}
	if t.dtype != dt {
		panicf(op, "%s is %v, input is %v", name, t.dtype, dt)
	}
	if len(t.shape) != 1 || t.shape[0] != c {
		panicf(op, "%s shape %v, want [%d]", name, t.shape, c)
	}
}

// vec returns the elements of an optional vector, nil for nil.
func vec[T Float](t *Tensor) []T {
	if t == nil {
		return nil
	}
	return unsafe.Slice((*T)(t.data), t.n)
}

func data[T Float](t *Tensor) []T { return unsafe.Slice((*T)(t.data), t.n) }

// channelChunk returns channels per chunk of work for runs of total
// length per channel: a few thousand elements per chunk.
func channelChunk(perChannel int) int { return max(1, 4096/max(1, perChannel)) }

// BatchNormTrainTo normalises x, [N, C] or [N, C, H, W] (any rank ≥ 2,
// channels on axis 1), with the statistics of the batch, as batch
// normalisation in training mode:
//
//	dst = γ·(x − μ_c)/√(σ²_c + ε) + β
//
// with μ_c and σ²_c the mean and the biased variance of channel c over
// the batch and the other axes. It writes μ_c into mean and 1/√(σ²_c + ε)
// into invstd ([C] each), which BatchNormBackwardTo needs, and, where
// runMean and runVar are not nil, updates them as PyTorch does:
// run ← (1 − momentum)·run + momentum·stat, with the unbiased variance
// σ²_c·m/(m − 1) of the m elements of a channel. gamma and beta ([C]) may
// be nil for γ = 1 and β = 0. dst may be x. It allocates nothing.
func BatchNormTrainTo(dst, mean, invstd, x, gamma, beta, runMean, runVar *Tensor, momentum, eps float64) *Tensor {
	const op = "BatchNormTrain"
	n, c, l := bnLayout(op, x)
	checkDst(op, dst, x.dtype, x.shape)
	for _, v := range []struct {
		name     string
		t        *Tensor
		optional bool
	}{{"mean", mean, false}, {"invstd", invstd, false}, {"gamma", gamma, true}, {"beta", beta, true}, {"running mean", runMean, true}, {"running var", runVar, true}} {
		checkVec(op, v.name, v.t, x.dtype, c, v.optional)
	}
	if (runMean == nil) != (runVar == nil) {
		panicf(op, "running mean and running var: give both or neither")
	}
	if n*l <= 1 {
		panicf(op, "input shape %v: batch statistics need more than 1 value per channel", x.shape)
	}
	if x.dtype == Float32 {
		bnTrain[float32](dst, mean, invstd, x, gamma, beta, runMean, runVar, n, c, l, momentum, eps)
	} else {
		bnTrain[float64](dst, mean, invstd, x, gamma, beta, runMean, runVar, n, c, l, momentum, eps)
	}
	return dst
}

func bnTrain[T Float](dst, mean, invstd, x, gamma, beta, runMean, runVar *Tensor, n, c, l int, momentum, eps float64) {
	p := newPass[T](c, channelChunk(n*l), bodyBnTrainChannels)
	p.a, p.b, p.c, p.d = data[T](dst), data[T](x), data[T](mean), data[T](invstd)
	p.e, p.f, p.g, p.h = vec[T](gamma), vec[T](beta), vec[T](runMean), vec[T](runVar)
	p.ints = [4]int{n, c, l}
	p.fl = [4]float64{momentum, eps}
	p.do()
}

// affine returns γ and β of channel ch: 1 and 0 where they are nil.
func affine[T Float](gamma, beta []T, ch int) (g, b float64) {
	g, b = 1, 0
	if gamma != nil {
		g = float64(gamma[ch])
	}
	if beta != nil {
		b = float64(beta[ch])
	}
	return g, b
}

// bnTrainChannels normalises channels [lo, hi): the mean, then the
// variance as the mean squared deviation, then y = a·x + b per run.
func bnTrainChannels[T Float](p *pass[T], lo, hi int) {
	n, c, l := p.ints[0], p.ints[1], p.ints[2]
	m, eps := p.fl[0], p.fl[1]
	dst, x := p.a, p.b
	tmp := getRun[T](l)
	cnt := float64(n * l)
	for ch := lo; ch < hi; ch++ {
		var s float64
		for i := range n {
			o := (i*c + ch) * l
			s += runSum(x[o : o+l])
		}
		mu := T(s / cnt)
		var sq float64
		for i := range n {
			o := (i*c + ch) * l
			d, _ := runDev(x[o:o+l], nil, mu, *tmp)
			sq += d
		}
		v := sq / cnt
		is := 1 / math.Sqrt(v+eps)
		p.c[ch], p.d[ch] = mu, T(is)
		if p.g != nil {
			p.g[ch] = T((1-m)*float64(p.g[ch]) + m*float64(mu))
			p.h[ch] = T((1-m)*float64(p.h[ch]) + m*sq/(cnt-1))
		}
		g, b := affine(p.e, p.f, ch)
		a := g * is
		off := b - float64(mu)*a
		for i := range n {
			o := (i*c + ch) * l
			runAffine(dst[o:o+l], x[o:o+l], T(a), T(off))
		}
	}
	putRun(tmp)
}

// BatchNormEvalTo normalises x, [N, C, …], with running statistics, as
// batch normalisation in evaluation mode:
//
//	dst = γ·(x − runMean_c)/√(runVar_c + ε) + β
//
// gamma and beta may be nil (γ = 1, β = 0). dst may be x. It allocates
// nothing.
func BatchNormEvalTo(dst, x, gamma, beta, runMean, runVar *Tensor, eps float64) *Tensor {
	const op = "BatchNormEval"
	n, c, l := bnLayout(op, x)
	checkDst(op, dst, x.dtype, x.shape)
	checkVec(op, "gamma", gamma, x.dtype, c, true)
	checkVec(op, "beta", beta, x.dtype, c, true)
	checkVec(op, "running mean", runMean, x.dtype, c, false)
	checkVec(op, "running var", runVar, x.dtype, c, false)
	if x.dtype == Float32 {
		bnEval[float32](dst, x, gamma, beta, runMean, runVar, n, c, l, eps)
	} else {
		bnEval[float64](dst, x, gamma, beta, runMean, runVar, n, c, l, eps)
	}
	return dst
}

func bnEval[T Float](dst, x, gamma, beta, runMean, runVar *Tensor, n, c, l int, eps float64) {
	p := newPass[T](c, channelChunk(n*l), bodyBnEvalChannels)
	p.a, p.b, p.e, p.f, p.g, p.h = data[T](dst), data[T](x), vec[T](gamma), vec[T](beta), data[T](runMean), data[T](runVar)
	p.ints = [4]int{n, c, l}
	p.fl[1] = eps
	p.do()
}

func bnEvalChannels[T Float](p *pass[T], lo, hi int) {
	n, c, l := p.ints[0], p.ints[1], p.ints[2]
	for ch := lo; ch < hi; ch++ {
		g, b := affine(p.e, p.f, ch)
		a := g / math.Sqrt(float64(p.h[ch])+p.fl[1])
		off := b - float64(p.g[ch])*a
		for i := range n {
			o := (i*c + ch) * l
			runAffine(p.a[o:o+l], p.b[o:o+l], T(a), T(off))
		}
	}
}

// BatchNormBackwardTo computes the gradients of BatchNormTrainTo given dy,
// the gradient with respect to its output, the input x and the mean and
// invstd it saved, in one fused pass per channel (the simplified batch
// normalisation gradient of the course):
//
//	dx = (γ·invstd/m)·(m·dy − Σdy − x̂·Σ(dy·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy
//
// with x̂ = (x − μ)·invstd recomputed from x and the sums over the m
// elements of a channel. Each of dx, dgamma and dbeta may be nil (not
// wanted); dgamma and dbeta are added to when accumulate is set, as
// parameter gradients are. gamma may be nil (γ = 1). dx may be dy. It
// allocates nothing.
func BatchNormBackwardTo(dx, dgamma, dbeta, dy, x, mean, invstd, gamma *Tensor, accumulate bool) *Tensor {
	const op = "BatchNormBackward"
	n, c, l := bnLayout(op, x)
	if !SameShape(dy.shape, x.shape) || dy.dtype != x.dtype {
		panicf(op, "gradient %v %v, input %v %v", dy.dtype, dy.shape, x.dtype, x.shape)
	}
	if dx != nil {
		checkDst(op, dx, x.dtype, x.shape)
		if dx.n > 0 && dx.data == x.data {
			panicf(op, "dx shares storage with x")
		}
	}
	checkVec(op, "mean", mean, x.dtype, c, false)
	checkVec(op, "invstd", invstd, x.dtype, c, false)
	checkVec(op, "gamma", gamma, x.dtype, c, true)
	checkVec(op, "dgamma", dgamma, x.dtype, c, true)
	checkVec(op, "dbeta", dbeta, x.dtype, c, true)
	if x.dtype == Float32 {
		bnBackward[float32](dx, dgamma, dbeta, dy, x, mean, invstd, gamma, n, c, l, accumulate)
	} else {
		bnBackward[float64](dx, dgamma, dbeta, dy, x, mean, invstd, gamma, n, c, l, accumulate)
	}
	return dx
}

func bnBackward[T Float](dx, dgamma, dbeta, dy, x, mean, invstd, gamma *Tensor, n, c, l int, acc bool) {
	p := newPass[T](c, channelChunk(n*l), bodyBnBackwardChannels)
	p.a, p.b, p.c, p.d = vec[T](dx), data[T](dy), data[T](x), data[T](mean)
	p.e, p.f, p.g, p.h = data[T](invstd), vec[T](gamma), vec[T](dgamma), vec[T](dbeta)
	p.ints = [4]int{n, c, l}
	p.flag = acc
	p.do()
}

func bnBackwardChannels[T Float](p *pass[T], lo, hi int) {
	n, c, l := p.ints[0], p.ints[1], p.ints[2]
	dx, dy, x := p.a, p.b, p.c
	tmp := getRun[T](l)
	cnt := float64(n * l)
	for ch := lo; ch < hi; ch++ {
		mu, is := p.d[ch], float64(p.e[ch])
		var sdy, sdx float64 // Σ dy and Σ dy·(x − μ)
		for i := range n {
			o := (i*c + ch) * l
			sdy += runSum(dy[o : o+l])
			_, d := runDev(x[o:o+l], dy[o:o+l], mu, *tmp)
			sdx += d
		}
		sdxh := sdx * is // Σ dy·x̂
		if p.g != nil {
			if p.flag {
				p.g[ch] += T(sdxh)
			} else {
				p.g[ch] = T(sdxh)
			}
		}
		if p.h != nil {
			if p.flag {
				p.h[ch] += T(sdy)
			} else {
				p.h[ch] = T(sdy)
			}
		}
		if dx == nil {
			continue
		}
		g, _ := affine(p.f, nil, ch)
		// dx = a·dy + b·(x − μ) + k
		a := g * is
		b := -g * is * is * sdxh / cnt
		k := -g * is * sdy / cnt
		for i := range n {
			o := (i*c + ch) * l
			runGrad(dx[o:o+l], dy[o:o+l], x[o:o+l], T(a), T(b), T(k), mu, *tmp)
		}
	}
	putRun(tmp)
}

// BatchNormEvalBackwardTo computes the gradients of BatchNormEvalTo given
// dy and its input x: with the running statistics fixed, the
// normalisation is affine per channel, so
//
//	dx = dy·γ/√(runVar + ε),  dγ = Σ dy·x̂,  dβ = Σ dy,  x̂ = (x − runMean)/√(runVar + ε)
//
// Each of dx, dgamma and dbeta may be nil; dgamma and dbeta are added to
// when accumulate is set. gamma may be nil (γ = 1). dx may be dy. It
// allocates nothing.
func BatchNormEvalBackwardTo(dx, dgamma, dbeta, dy, x, gamma, runMean, runVar *Tensor, eps float64, accumulate bool) *Tensor {
	const op = "BatchNormEvalBackward"
	n, c, l := bnLayout(op, x)
	if !SameShape(dy.shape, x.shape) || dy.dtype != x.dtype {
		panicf(op, "gradient %v %v, input %v %v", dy.dtype, dy.shape, x.dtype, x.shape)
	}
	if dx != nil {
		checkDst(op, dx, x.dtype, x.shape)
		if dx.n > 0 && dx.data == x.data {
			panicf(op, "dx shares storage with x")
		}
	}
	checkVec(op, "gamma", gamma, x.dtype, c, true)
	checkVec(op, "running mean", runMean, x.dtype, c, false)
	checkVec(op, "running var", runVar, x.dtype, c, false)
	checkVec(op, "dgamma", dgamma, x.dtype, c, true)
	checkVec(op, "dbeta", dbeta, x.dtype, c, true)
	if x.dtype == Float32 {
		bnEvalBackward[float32](dx, dgamma, dbeta, dy, x, gamma, runMean, runVar, n, c, l, eps, accumulate)
	} else {
		bnEvalBackward[float64](dx, dgamma, dbeta, dy, x, gamma, runMean, runVar, n, c, l, eps, accumulate)
	}
	return dx
}

func bnEvalBackward[T Float](dx, dgamma, dbeta, dy, x, gamma, runMean, runVar *Tensor, n, c, l int, eps float64, acc bool) {
	p := newPass[T](c, channelChunk(n*l), bodyBnEvalBackwardChannels)
	p.a, p.b, p.c, p.d, p.e = vec[T](dx), data[T](dy), data[T](x), data[T](runMean), data[T](runVar)
	p.f, p.g, p.h = vec[T](gamma), vec[T](dgamma), vec[T](dbeta)
	p.ints = [4]int{n, c, l}
	p.fl[1] = eps
	p.flag = acc
	p.do()
}

func bnEvalBackwardChannels[T Float](p *pass[T], lo, hi int) {
	n, c, l := p.ints[0], p.ints[1], p.ints[2]
	dx, dy, x := p.a, p.b, p.c
	tmp := getRun[T](l)
	for ch := lo; ch < hi; ch++ {
		mu := p.d[ch]
		is := 1 / math.Sqrt(float64(p.e[ch])+p.fl[1])
		if p.g != nil || p.h != nil {
			var sdy, sdx float64
			for i := range n {
				o := (i*c + ch) * l
				sdy += runSum(dy[o : o+l])
				_, d := runDev(x[o:o+l], dy[o:o+l], mu, *tmp)
				sdx += d
			}
			if p.g != nil {
				if p.flag {
					p.g[ch] += T(sdx * is)
				} else {
					p.g[ch] = T(sdx * is)
				}
			}
			if p.h != nil {
				if p.flag {
					p.h[ch] += T(sdy)
				} else {
					p.h[ch] = T(sdy)
				}
			}
		}
		if dx == nil {
			continue
		}
		g, _ := affine(p.f, nil, ch)
		for i := range n {
			o := (i*c + ch) * l
			runAffine(dx[o:o+l], dy[o:o+l], T(g*is), 0)
		}
	}
	putRun(tmp)
}

// runScaleShift sets dst = dst⊙g + b, where g or b may be nil.
func runScaleShift[T Float](dst, g, b []T) {
	if f, ok := any(dst).([]float32); ok && len(f) >= longRun {
		if g != nil {
			kernel.Mul(f, f, any(g).([]float32)[:len(f)])
		}
		if b != nil {
			kernel.Add(f, f, any(b).([]float32)[:len(f)])
		}
		return
	}
	for i := range dst {
		if g != nil {
			dst[i] *= g[i]
		}
		if b != nil {
			dst[i] += b[i]
		}
	}
}

// runNormGrad adds dy ⊙ ((x − m)·s) to g, a weight's gradient through a
// normalisation with mean m and inverse deviation s; tmp is scratch of
// len(x). Both paths round each operation alike.
func runNormGrad[T Float](g, dy, x []T, m, s T, tmp []T) {
	if f, ok := any(x).([]float32); ok && len(f) >= longRun {
		t := any(tmp).([]float32)[:len(f)]
		kernel.AddScalar(t, f, -float32(m))
		kernel.Scale(t, t, float32(s))
		kernel.Mul(t, any(dy).([]float32)[:len(f)], t)
		kernel.Add(any(g).([]float32)[:len(f)], any(g).([]float32)[:len(f)], t)
		return
	}
	for j, v := range dy {
		g[j] += v * ((x[j] - m) * s)
	}
}

// runAxpy sets y += a·x.
func runAxpy[T Float](y []T, a T, x []T) {
	if f, ok := any(y).([]float32); ok && len(f) >= longRun {
		kernel.Axpy(f, float32(a), any(x).([]float32)[:len(f)])
		return
	}
	for i, v := range x {
		y[i] += a * v
	}
}

// runDot returns Σ x·y.
func runDot[T Float](x, y []T) float64 {
	if f, ok := any(x).([]float32); ok && len(f) >= longRun {
		return float64(kernel.Dot(f, any(y).([]float32)[:len(f)]))
	}
	var s float64
	for i, v := range x {
		s += float64(v) * float64(y[i])
	}
	return s
}

// lnLayout checks x and d for layer normalisation over the last d
// elements and returns the number of rows.
func lnLayout(op string, x *Tensor, d int) int {
	t := 1
	for i := len(x.shape) - 1; i >= 0 && t < d; i-- {
		t *= x.shape[i]
	}
	if d < 1 || t != d {
		panicf(op, "input shape %v: the last %d elements are not whole trailing axes", x.shape, d)
	}
	return x.n / d
}

// checkParam panics unless t is nil (when it may be) or holds d elements
// of dt: the per-element γ, β and their gradients of layer normalisation.
func checkParam(op, name string, t *Tensor, dt DType, d int, optional bool) {
	if t == nil {
		if !optional {
			panicf(op, "%s is nil", name)
		}
		return
	}
	if t.dtype != dt || t.n != d {
		panicf(op, "%s is %v %v, want %d elements of %v", name, t.dtype, t.shape, d, dt)
	}
}

// LayerNormTo normalises every row of the last d elements of x (d the
// size of some trailing axes), as PyTorch's layer_norm:
//
//	dst = (x − μ_r)/√(σ²_r + ε) ⊙ γ + β
//
// with μ_r and σ²_r the mean and biased variance of row r. mean and
// invstd, 1-d of x.Len()/d elements, receive μ_r and 1/√(σ²_r + ε) for
// LayerNormBackwardTo; gamma and beta hold d elements each, or are nil
// (γ = 1, β = 0). dst may be x. It allocates nothing.
func LayerNormTo(dst, mean, invstd, x, gamma, beta *Tensor, d int, eps float64) *Tensor {
	const op = "LayerNorm"
	rows := lnLayout(op, x, d)
	checkDst(op, dst, x.dtype, x.shape)
	checkVec(op, "mean", mean, x.dtype, rows, false)
	checkVec(op, "invstd", invstd, x.dtype, rows, false)
	checkParam(op, "gamma", gamma, x.dtype, d, true)
	checkParam(op, "beta", beta, x.dtype, d, true)
	if x.dtype == Float32 {
		lnForward[float32](dst, mean, invstd, x, gamma, beta, rows, d, eps)
	} else {
		lnForward[float64](dst, mean, invstd, x, gamma, beta, rows, d, eps)
	}
	return dst
}

func lnForward[T Float](dst, mean, invstd, x, gamma, beta *Tensor, rows, d int, eps float64) {
	p := newPass[T](rows, channelChunk(d), bodyLnForwardRows)
	p.a, p.b, p.c, p.d, p.e, p.f = data[T](dst), data[T](x), data[T](mean), data[T](invstd), vec[T](gamma), vec[T](beta)
	p.ints[0] = d
	p.fl[1] = eps
	p.do()
}

func lnForwardRows[T Float](p *pass[T], lo, hi int) {
	d := p.ints[0]
	tmp := getRun[T](d)
	for r := lo; r < hi; r++ {
		x, y := p.b[r*d:(r+1)*d], p.a[r*d:(r+1)*d]
		mu := T(runSum(x) / float64(d))
		sq, _ := runDev(x, nil, mu, *tmp)
		is := 1 / math.Sqrt(sq/float64(d)+p.fl[1])
		p.c[r], p.d[r] = mu, T(is)
		runAffine(y, x, T(is), T(-float64(mu)*is))
		if p.e != nil || p.f != nil {
			runScaleShift(y, p.e, p.f)
		}
	}
	putRun(tmp)
}

// LayerNormBackwardTo computes the gradients of LayerNormTo given dy and
// the input x with the mean and invstd it saved, one fused pass per row:
//
//	dx = invstd·(g − mean(g) − x̂·mean(g⊙x̂)),  g = dy⊙γ,  dγ = Σ_r dy⊙x̂,  dβ = Σ_r dy
//
// with x̂ = (x − μ_r)·invstd_r. Each of dx, dgamma and dbeta may be nil;
// dgamma and dbeta are added to when accumulate is set. gamma may be nil
// (γ = 1). dx may be dy. It allocates nothing.
func LayerNormBackwardTo(dx, dgamma, dbeta, dy, x, mean, invstd, gamma *Tensor, d int, accumulate bool) *Tensor {
	const op = "LayerNormBackward"
	rows := lnLayout(op, x, d)
	if !SameShape(dy.shape, x.shape) || dy.dtype != x.dtype {
		panicf(op, "gradient %v %v, input %v %v", dy.dtype, dy.shape, x.dtype, x.shape)
	}
	if dx != nil {
		checkDst(op, dx, x.dtype, x.shape)
		if dx.n > 0 && dx.data == x.data {
			panicf(op, "dx shares storage with x")
		}
	}
	checkVec(op, "mean", mean, x.dtype, rows, false)
	checkVec(op, "invstd", invstd, x.dtype, rows, false)
	checkParam(op, "gamma", gamma, x.dtype, d, true)
	checkParam(op, "dgamma", dgamma, x.dtype, d, true)
	checkParam(op, "dbeta", dbeta, x.dtype, d, true)
	if x.dtype == Float32 {
		lnBackward[float32](dx, dgamma, dbeta, dy, x, mean, invstd, gamma, rows, d, accumulate)
	} else {
		lnBackward[float64](dx, dgamma, dbeta, dy, x, mean, invstd, gamma, rows, d, accumulate)
	}
	return dx
}

func lnBackward[T Float](dx, dgamma, dbeta, dy, x, mean, invstd, gamma *Tensor, rows, d int, acc bool) {
	// The parameters' gradients first: dx may overwrite dy.
	if dgamma != nil || dbeta != nil {
		p := newPass[T](d, 256, bodyLnParamGradCols)
		p.b, p.c, p.d, p.e = data[T](dy), data[T](x), data[T](mean), data[T](invstd)
		p.g, p.h = vec[T](dgamma), vec[T](dbeta)
		p.ints[0], p.ints[1] = rows, d
		p.flag = acc
		p.do()
	}
	if dx != nil {
		p := newPass[T](rows, channelChunk(d), bodyLnBackwardRows)
		p.a, p.b, p.c, p.d, p.e, p.f = data[T](dx), data[T](dy), data[T](x), data[T](mean), data[T](invstd), vec[T](gamma)
		p.ints[0] = d
		p.do()
	}
}

// lnParamGradCols sums dγ and dβ of columns [lo, hi) over the rows, in
// row order.
func lnParamGradCols[T Float](p *pass[T], lo, hi int) {
	rows, d := p.ints[0], p.ints[1]
	dg, db := p.g, p.h
	if !p.flag {
		if dg != nil {
			clear(dg[lo:hi])
		}
		if db != nil {
			clear(db[lo:hi])
		}
	}
	tmp := getRun[T](hi - lo)
	for r := range rows {
		dy, x := p.b[r*d+lo:r*d+hi], p.c[r*d+lo:r*d+hi]
		if dg != nil {
			runNormGrad(dg[lo:hi], dy, x, p.d[r], p.e[r], *tmp)
		}
		if db != nil {
			runScaleShift(db[lo:hi], nil, dy)
		}
	}
	putRun(tmp)
}

func lnBackwardRows[T Float](p *pass[T], lo, hi int) {
	d := p.ints[0]
	xh, g := getRun[T](d), getRun[T](d)
	for r := lo; r < hi; r++ {
		dx, dy, x := p.a[r*d:(r+1)*d], p.b[r*d:(r+1)*d], p.c[r*d:(r+1)*d]
		mu, is := p.d[r], p.e[r]
		runAffine(*xh, x, is, -mu*is)
		copy(*g, dy)
		if p.f != nil {
			runScaleShift(*g, p.f, nil)
		}
		s1 := runSum(*g)
		s2 := runDot(*g, *xh)
		fis := float64(is)
		runAffine(dx, *g, is, T(-fis*s1/float64(d)))
		runAxpy(dx, T(-fis*s2/float64(d)), *xh)
	}
	putRun(xh)
	putRun(g)
}

// gnLayout checks x, [N, C, …], for group normalisation in groups and
// returns the images, channels, groups' channels and run length.
func gnLayout(op string, x *Tensor, groups int) (n, c, cg, l int) {
	n, c, l = bnLayout(op, x)
	if groups < 1 || c%groups != 0 {
		panicf(op, "input shape %v: %d groups do not divide %d channels", x.shape, groups, c)
	}
	return n, c, c / groups, l
}

// GroupNormTo normalises x, [N, C, …], over each group of C/groups
// channels of each image, as PyTorch's group_norm:
//
//	dst = (x − μ_{n,g})/√(σ²_{n,g} + ε)·γ_c + β_c
//
// mean and invstd, 1-d of N·groups elements (image-major), receive the
// statistics for GroupNormBackwardTo; gamma and beta ([C]) may be nil.
// dst may be x. It allocates nothing.
func GroupNormTo(dst, mean, invstd, x, gamma, beta *Tensor, groups int, eps float64) *Tensor {
	const op = "GroupNorm"
	n, c, cg, l := gnLayout(op, x, groups)
	checkDst(op, dst, x.dtype, x.shape)
	checkVec(op, "mean", mean, x.dtype, n*groups, false)
	checkVec(op, "invstd", invstd, x.dtype, n*groups, false)
	checkVec(op, "gamma", gamma, x.dtype, c, true)
	checkVec(op, "beta", beta, x.dtype, c, true)
	if x.dtype == Float32 {
		gnForward[float32](dst, mean, invstd, x, gamma, beta, n, groups, cg, l, eps)
	} else {
		gnForward[float64](dst, mean, invstd, x, gamma, beta, n, groups, cg, l, eps)
	}
	return dst
}

func gnForward[T Float](dst, mean, invstd, x, gamma, beta *Tensor, n, groups, cg, l int, eps float64) {
	p := newPass[T](n*groups, channelChunk(cg*l), bodyGnForwardBlocks)
	p.a, p.b, p.c, p.d, p.e, p.f = data[T](dst), data[T](x), data[T](mean), data[T](invstd), vec[T](gamma), vec[T](beta)
	p.ints = [4]int{groups, cg, l}
	p.fl[1] = eps
	p.do()
}

func gnForwardBlocks[T Float](p *pass[T], lo, hi int) {
	groups, cg, l := p.ints[0], p.ints[1], p.ints[2]
	m := cg * l
	tmp := getRun[T](m)
	for blk := lo; blk < hi; blk++ {
		x, y := p.b[blk*m:(blk+1)*m], p.a[blk*m:(blk+1)*m]
		mu := T(runSum(x) / float64(m))
		sq, _ := runDev(x, nil, mu, *tmp)
		is := 1 / math.Sqrt(sq/float64(m)+p.fl[1])
		p.c[blk], p.d[blk] = mu, T(is)
		g0 := blk % groups * cg
		for c := range cg {
			g, b := affine(p.e, p.f, g0+c)
			a := g * is
			runAffine(y[c*l:(c+1)*l], x[c*l:(c+1)*l], T(a), T(b-float64(mu)*a))
		}
	}
	putRun(tmp)
}

// GroupNormBackwardTo computes the gradients of GroupNormTo given dy and
// the input x with the mean and invstd it saved, one fused pass per
// group of an image:
//
//	dx = invstd·(g − mean(g) − x̂·mean(g⊙x̂)),  g = dy·γ_c,  dγ_c = Σ dy·x̂,  dβ_c = Σ dy
//
// with the means over the group's elements and the sums of dγ and dβ over
// the images and positions, in image order. Each of dx, dgamma and dbeta
// may be nil; dgamma and dbeta are added to when accumulate is set. gamma
// may be nil (γ = 1). dx may be dy. It allocates nothing.
func GroupNormBackwardTo(dx, dgamma, dbeta, dy, x, mean, invstd, gamma *Tensor, groups int, accumulate bool) *Tensor {
	const op = "GroupNormBackward"
	n, c, cg, l := gnLayout(op, x, groups)
	if !SameShape(dy.shape, x.shape) || dy.dtype != x.dtype {
		panicf(op, "gradient %v %v, input %v %v", dy.dtype, dy.shape, x.dtype, x.shape)
	}
	if dx != nil {
		checkDst(op, dx, x.dtype, x.shape)
		if dx.n > 0 && dx.data == x.data {
			panicf(op, "dx shares storage with x")
		}
	}
	checkVec(op, "mean", mean, x.dtype, n*groups, false)
	checkVec(op, "invstd", invstd, x.dtype, n*groups, false)
	checkVec(op, "gamma", gamma, x.dtype, c, true)
	checkVec(op, "dgamma", dgamma, x.dtype, c, true)
	checkVec(op, "dbeta", dbeta, x.dtype, c, true)
	if x.dtype == Float32 {
		gnBackward[float32](dx, dgamma, dbeta, dy, x, mean, invstd, gamma, n, groups, cg, l, accumulate)
	} else {
		gnBackward[float64](dx, dgamma, dbeta, dy, x, mean, invstd, gamma, n, groups, cg, l, accumulate)
	}
	return dx
}

func gnBackward[T Float](dx, dgamma, dbeta, dy, x, mean, invstd, gamma *Tensor, n, groups, cg, l int, acc bool) {
	c := groups * cg
	part := getRun[float64](2 * n * c) // per image and channel: Σ dy·x̂, Σ dy
	p := newPass[T](n*groups, channelChunk(cg*l), bodyGnBackwardBlocks)
	p.a, p.b, p.c, p.d, p.e, p.f = vec[T](dx), data[T](dy), data[T](x), data[T](mean), data[T](invstd), vec[T](gamma)
	p.f64 = *part
	p.ints = [4]int{groups, cg, l}
	p.do()
	dg, db := vec[T](dgamma), vec[T](dbeta)
	for ch := range c {
		var sg, sb float64
		for i := range n {
			sg += (*part)[2*(i*c+ch)]
			sb += (*part)[2*(i*c+ch)+1]
		}
		if dg != nil {
			if acc {
				dg[ch] += T(sg)
			} else {
				dg[ch] = T(sg)
			}
		}
		if db != nil {
			if acc {
				db[ch] += T(sb)
			} else {
				db[ch] = T(sb)
			}
		}
	}
	putRun(part)
}

func gnBackwardBlocks[T Float](p *pass[T], lo, hi int) {
	groups, cg, l := p.ints[0], p.ints[1], p.ints[2]
	m := cg * l
	tmp := getRun[T](l)
	for blk := lo; blk < hi; blk++ {
		dy, x := p.b[blk*m:(blk+1)*m], p.c[blk*m:(blk+1)*m]
		mu, is := p.d[blk], float64(p.e[blk])
		ch0 := blk % groups * cg
		c := groups * cg
		img := blk / groups
		var sg, sgx float64 // Σ g and Σ g·(x − μ)
		for k := range cg {
			sdy := runSum(dy[k*l : (k+1)*l])
			_, sdx := runDev(x[k*l:(k+1)*l], dy[k*l:(k+1)*l], mu, *tmp)
			p.f64[2*(img*c+ch0+k)] = sdx * is
			p.f64[2*(img*c+ch0+k)+1] = sdy
			g, _ := affine(p.f, nil, ch0+k)
			sg += g * sdy
			sgx += g * sdx
		}
		if p.a == nil {
			continue
		}
		fm := float64(m)
		b := -is * is * is * sgx / fm // −invstd·mean(g⊙x̂)·invstd per unit of (x − μ)
		k := -is * sg / fm
		for ch := range cg {
			g, _ := affine(p.f, nil, ch0+ch)
			o := ch * l
			runGrad(p.a[blk*m+o:blk*m+o+l], dy[o:o+l], x[o:o+l], T(is*g), T(b), T(k), mu, *tmp)
		}
	}
	putRun(tmp)
}
