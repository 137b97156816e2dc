package tensor

import (
	"math"
	"unsafe"

	"backprop/internal/kernel"
)

// PoolParams are the parameters of 2-d pooling over NCHW images, each
// for the height then the width axis: the window's size, the stride (zero
// means the window's size, PyTorch's default), the padding on both sides
// (at most half the window) and the dilation (max pooling only; zero
// means 1). ExcludePad makes average pooling divide by the number of
// window elements inside the input instead of by the window's size
// (PyTorch's count_include_pad=False; the default counts the padding).
// Output sizes are rounded down (PyTorch's ceil_mode=False).
type PoolParams struct {
	Kernel, Stride, Padding, Dilation [2]int
	ExcludePad                        bool
}

// pool is the checked geometry of a pooling.
type pool struct {
	n, c, h, w     int
	kh, kw, sh, sw int
	ph, pw, dh, dw int
	oh, ow         int
}

func poolGeom(op string, x []int, p PoolParams, dilation bool) pool {
	if len(x) != 4 {
		panicf(op, "input shape %v, want [N C H W]", x)
	}
	orig := p
	for i := range 2 {
		if p.Stride[i] == 0 {
			p.Stride[i] = p.Kernel[i]
		}
		if p.Dilation[i] == 0 {
			p.Dilation[i] = 1
		}
	}
	g := pool{n: x[0], c: x[1], h: x[2], w: x[3], kh: p.Kernel[0], kw: p.Kernel[1],
		sh: p.Stride[0], sw: p.Stride[1], ph: p.Padding[0], pw: p.Padding[1],
		dh: p.Dilation[0], dw: p.Dilation[1]}
	switch {
	case g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1 || g.ph < 0 || g.pw < 0:
		panicf(op, "input %v: bad parameters %+v", x, orig)
	case !dilation && (g.dh != 1 || g.dw != 1):
		panicf(op, "input %v: dilation %v is for max pooling only", x, p.Dilation)
	case g.ph > g.kh/2 || g.pw > g.kw/2:
		panicf(op, "input %v: padding %v is more than half the window %v", x, p.Padding, p.Kernel)
	}
	g.oh = floorDivInt(g.h+2*g.ph-g.dh*(g.kh-1)-1, g.sh) + 1
	g.ow = floorDivInt(g.w+2*g.pw-g.dw*(g.kw-1)-1, g.sw) + 1
	if g.oh < 1 || g.ow < 1 {
		panicf(op, "input %v: window %v (dilation %v, padding %v) larger than the input", x, p.Kernel, p.Dilation, p.Padding)
	}
	if g.h*g.w > math.MaxInt32 {
		panicf(op, "input %v: planes of more than 2³¹ elements", x)
	}
	return g
}

func floorDivInt(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// PoolShape returns the output shape [N, C, OH, OW] of pooling an input
// of shape x = [N, C, H, W] with p, where OH = ⌊(H + 2·padding −
// dilation·(kernel−1) − 1)/stride⌋ + 1 and OW likewise.
func PoolShape(x []int, p PoolParams) []int { return poolShape("PoolShape", x, p) }

func poolShape(op string, x []int, p PoolParams) []int {
	g := poolGeom(op, x, p, true)
	return []int{g.n, g.c, g.oh, g.ow}
}

// planeChunk is the number of (image, channel) planes per chunk of work
// of the pooling and normalisation passes.
const planeChunk = 8

// MaxPool2dTo sets dst to the maximum of every window of x, [N, C, H, W],
// and argmax[i] to the index within its H×W plane of the element that
// gave dst's element i, as PyTorch's max_pool2d with return_indices:
// padding counts as −∞, ties go to the first element in row-major order,
// and NaN propagates (a window holding NaN gives NaN, and the index of
// its last NaN). argmax has dst's length; the backward pass routes the
// gradient through it (MaxPool2dBackwardTo). It allocates nothing.
func MaxPool2dTo(dst *Tensor, argmax []int32, x *Tensor, p PoolParams) *Tensor {
	const op = "MaxPool2d"
	g := poolGeom(op, x.shape, p, true)
	shape := [4]int{g.n, g.c, g.oh, g.ow}
	checkDst(op, dst, x.dtype, shape[:])
	if len(argmax) != dst.n {
		panicf(op, "argmax has %d elements, want %d", len(argmax), dst.n)
	}
	noAlias(op, dst, x)
	if x.dtype == Float32 {
		maxPool(&g, dst.s32(), argmax, x.s32())
	} else {
		maxPool(&g, dst.s64(), argmax, x.s64())
	}
	return dst
}

// MaxPool2d returns the max pooling of x and the arg-max indices; see
// MaxPool2dTo.
func MaxPool2d(x *Tensor, p PoolParams) (*Tensor, []int32) {
	y := allocIn(x.arena, "MaxPool2d", x.dtype, poolShape("MaxPool2d", x.shape, p), false)
	idx := make([]int32, y.n)
	return MaxPool2dTo(y, idx, x, p), idx
}

func maxPool[T Float](g *pool, y []T, idx []int32, x []T) {
	p := newPass[T](g.n*g.c, planeChunk, bodyMaxPoolPlanes)
	p.geo, p.a, p.idx, p.b = *g, y, idx, x
	p.do()
}

func maxPoolPlanes[T Float](p *pass[T], lo, hi int) {
	g := &p.geo
	for pl := lo; pl < hi; pl++ {
		maxPlane(g, p.a[pl*g.oh*g.ow:(pl+1)*g.oh*g.ow], p.idx[pl*g.oh*g.ow:(pl+1)*g.oh*g.ow], p.b[pl*g.h*g.w:(pl+1)*g.h*g.w])
	}
}

// maxPlane pools one plane, with PyTorch's loop: the window's first
// element inside the input starts the index, at −∞; a larger element or
// a NaN replaces it.
func maxPlane[T Float](g *pool, y []T, idx []int32, x []T) {
	ninf := T(math.Inf(-1))
	if g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1 {
		for oy := range g.oh {
			r0 := x[2*oy*g.w : 2*oy*g.w+g.w]
			r1 := x[(2*oy+1)*g.w : (2*oy+1)*g.w+g.w]
			yr := y[oy*g.ow : (oy+1)*g.ow]
			ir := idx[oy*g.ow : (oy+1)*g.ow]
			for ox := range yr {
				i := 2*oy*g.w + 2*ox
				a, b, c, d := r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1]
				if a != a || b != b || c != c || d != d {
					// Rare: the last NaN wins.
					m, mi := a, i
					if b != b || b > m {
						m, mi = b, i+1
					}
					if c != c || c > m {
						m, mi = c, i+g.w
					}
					if d != d || d > m {
						m, mi = d, i+g.w+1
					}
					yr[ox], ir[ox] = m, int32(mi)
					continue
				}
				// The first maximum, by arithmetic on order keys: the
				// branches of compares would mispredict half the time on
				// random data.
				km, mi := orderKey(a), i
				if unsafe.Sizeof(a) == 4 {
					km, mi = later32(km, mi, orderKey(b), i+1)
					km, mi = later32(km, mi, orderKey(c), i+g.w)
					_, mi = later32(km, mi, orderKey(d), i+g.w+1)
				} else {
					if k := orderKey(b); k > km {
						km, mi = k, i+1
					}
					if k := orderKey(c); k > km {
						km, mi = k, i+g.w
					}
					if k := orderKey(d); k > km {
						mi = i + g.w + 1
					}
				}
				m := x[mi]
				yr[ox], ir[ox] = m, int32(mi)
			}
		}
		return
	}
	for oy := range g.oh {
		iy0 := oy*g.sh - g.ph
		iy1 := min(iy0+(g.kh-1)*g.dh+1, g.h)
		for iy0 < 0 {
			iy0 += g.dh
		}
		for ox := range g.ow {
			ix0 := ox*g.sw - g.pw
			ix1 := min(ix0+(g.kw-1)*g.dw+1, g.w)
			for ix0 < 0 {
				ix0 += g.dw
			}
			m, mi := ninf, iy0*g.w+ix0
			for iy := iy0; iy < iy1; iy += g.dh {
				row := x[iy*g.w : iy*g.w+g.w]
				for ix := ix0; ix < ix1; ix += g.dw {
					if v := row[ix]; v > m || v != v {
						m, mi = v, iy*g.w+ix
					}
				}
			}
			y[oy*g.ow+ox], idx[oy*g.ow+ox] = m, int32(mi)
		}
	}
}

// orderKey maps a float that is not NaN to an integer of the same order,
// −0 and +0 to the same key: the bits, with those of a negative number
// but its sign flipped (so that more negative is smaller), shifted by one
// so that −0 meets +0.
func orderKey[T Float](v T) int64 {
	if unsafe.Sizeof(v) == 4 {
		return key32(*(*uint32)(unsafe.Pointer(&v)))
	}
	return key64(*(*uint64)(unsafe.Pointer(&v)))
}

// later32 returns (k, j) if k > km and (km, mi) otherwise, without a
// branch, for the keys of float32s (below 2³¹ in magnitude, so that
// km − k does not overflow).
func later32(km int64, mi int, k int64, j int) (int64, int) {
	s := (km - k) >> 63 // −1 if k > km, else 0
	return km ^ (km^k)&s, mi ^ (mi^j)&int(s)
}

func key32(b uint32) int64 {
	k := int32(b)
	k ^= k >> 31 & 0x7fffffff
	return int64(k + (k >> 31 & 1))
}

func key64(b uint64) int64 {
	k := int64(b)
	k ^= k >> 63 & 0x7fffffffffffffff
	return k + (k >> 63 & 1)
}

// MaxPool2dBackwardTo sets dx, of the input's shape [N, C, H, W], to the
// gradient of MaxPool2dTo given dy, the gradient with respect to its
// output, and the arg-max indices it recorded: each element of dy is
// added to the input element that gave the maximum (max routes the
// gradient), every other element of dx is zero. It allocates nothing.
func MaxPool2dBackwardTo(dx, dy *Tensor, argmax []int32) *Tensor {
	const op = "MaxPool2dBackward"
	dt := sameDType2(op, dx, dy)
	if len(dx.shape) != 4 || len(dy.shape) != 4 || dx.shape[0] != dy.shape[0] || dx.shape[1] != dy.shape[1] {
		panicf(op, "shapes %v and %v: want [N C H W] and [N C OH OW]", dx.shape, dy.shape)
	}
	if len(argmax) != dy.n {
		panicf(op, "argmax has %d elements, want %d", len(argmax), dy.n)
	}
	noAlias(op, dx, dy)
	planes := dx.shape[0] * dx.shape[1]
	in, out := dx.shape[2]*dx.shape[3], dy.shape[2]*dy.shape[3]
	if dt == Float32 {
		maxPoolBackward(dx.s32(), dy.s32(), argmax, planes, in, out)
	} else {
		maxPoolBackward(dx.s64(), dy.s64(), argmax, planes, in, out)
	}
	return dx
}

func maxPoolBackward[T Float](dx, dy []T, idx []int32, planes, in, out int) {
	p := newPass[T](planes, planeChunk, bodyMaxPoolBackwardPlanes)
	p.a, p.b, p.idx, p.ints[0], p.ints[1] = dx, dy, idx, in, out
	p.do()
}

func maxPoolBackwardPlanes[T Float](p *pass[T], lo, hi int) {
	in, out := p.ints[0], p.ints[1]
	for pl := lo; pl < hi; pl++ {
		d := p.a[pl*in : (pl+1)*in]
		clear(d)
		idx := p.idx[pl*out : (pl+1)*out]
		for i, g := range p.b[pl*out : (pl+1)*out] {
			if j := int(idx[i]); uint(j) < uint(len(d)) {
				d[j] += g
			}
		}
	}
}

// AvgPool2dTo sets dst to the mean of every window of x, [N, C, H, W], as
// PyTorch's avg_pool2d: the sum of the window's elements inside the input
// divided by the window's size, or, with ExcludePad, by the number of
// those elements. It allocates nothing.
func AvgPool2dTo(dst, x *Tensor, p PoolParams) *Tensor {
	const op = "AvgPool2d"
	g := poolGeom(op, x.shape, p, false)
	shape := [4]int{g.n, g.c, g.oh, g.ow}
	checkDst(op, dst, x.dtype, shape[:])
	noAlias(op, dst, x)
	if x.dtype == Float32 {
		avgPool(&g, dst.s32(), x.s32(), p.ExcludePad, false)
	} else {
		avgPool(&g, dst.s64(), x.s64(), p.ExcludePad, false)
	}
	return dst
}

// AvgPool2d returns the average pooling of x; see AvgPool2dTo.
func AvgPool2d(x *Tensor, p PoolParams) *Tensor {
	if p.Dilation != [2]int{} && p.Dilation != [2]int{1, 1} {
		panicf("AvgPool2d", "input %v: dilation %v is for max pooling only", x.shape, p.Dilation)
	}
	return AvgPool2dTo(allocIn(x.arena, "AvgPool2d", x.dtype, poolShape("AvgPool2d", x.shape, p), false), x, p)
}

// AvgPool2dBackwardTo sets dx, [N, C, H, W], to the gradient of
// AvgPool2dTo with the same parameters given dy, the gradient with
// respect to its output: each element of dy, divided as the forward pass
// divided, is added to every input element of its window (add
// distributes). It allocates nothing.
func AvgPool2dBackwardTo(dx, dy *Tensor, p PoolParams) *Tensor {
	const op = "AvgPool2dBackward"
	dt := sameDType2(op, dx, dy)
	g := poolGeom(op, dx.shape, p, false)
	shape := [4]int{g.n, g.c, g.oh, g.ow}
	if !SameShape(dy.shape, shape[:]) {
		panicf(op, "gradient shape %v, want %v for the input %v", dy.shape, shape, dx.shape)
	}
	noAlias(op, dx, dy)
	if dt == Float32 {
		avgPool(&g, dy.s32(), dx.s32(), p.ExcludePad, true)
	} else {
		avgPool(&g, dy.s64(), dx.s64(), p.ExcludePad, true)
	}
	return dx
}

// avgPool computes y from x (backward false) or, backward, x from y: the
// gradient, each y divided by its window's divisor and added to the
// window's elements of x, which are cleared first.
func avgPool[T Float](g *pool, y, x []T, excludePad, backward bool) {
	p := newPass[T](g.n*g.c, planeChunk, bodyAvgPoolPlanes)
	p.geo, p.a, p.b, p.flag, p.ints[0] = *g, y, x, excludePad, 0
	if backward {
		p.ints[0] = 1
	}
	p.do()
}

func avgPoolPlanes[T Float](p *pass[T], lo, hi int) {
	g := &p.geo
	excludePad, backward := p.flag, p.ints[0] == 1
	for pl := lo; pl < hi; pl++ {
		xs := p.b[pl*g.h*g.w : (pl+1)*g.h*g.w]
		ys := p.a[pl*g.oh*g.ow : (pl+1)*g.oh*g.ow]
		if backward {
			clear(xs)
		}
		for oy := range g.oh {
			iy0 := oy*g.sh - g.ph
			iy1 := min(iy0+g.kh, g.h)
			iy0 = max(iy0, 0)
			for ox := range g.ow {
				ix0 := ox*g.sw - g.pw
				ix1 := min(ix0+g.kw, g.w)
				ix0 = max(ix0, 0)
				div := T(g.kh * g.kw)
				if excludePad {
					div = T((iy1 - iy0) * (ix1 - ix0))
				}
				if backward {
					v := ys[oy*g.ow+ox] / div
					for iy := iy0; iy < iy1; iy++ {
						row := xs[iy*g.w+ix0 : iy*g.w+ix1]
						for i := range row {
							row[i] += v
						}
					}
					continue
				}
				var s T
				for iy := iy0; iy < iy1; iy++ {
					for _, v := range xs[iy*g.w+ix0 : iy*g.w+ix1] {
						s += v
					}
				}
				ys[oy*g.ow+ox] = s / div
			}
		}
	}
}

// GlobalAvgPool2dTo sets dst[n][c] to the mean of the H×W plane x[n][c]
// of x, [N, C, H, W]; dst is [N, C] or [N, C, 1, 1] (PyTorch's
// AdaptiveAvgPool2d(1)). It allocates nothing.
func GlobalAvgPool2dTo(dst, x *Tensor) *Tensor {
	const op = "GlobalAvgPool2d"
	if len(x.shape) != 4 {
		panicf(op, "input shape %v, want [N C H W]", x.shape)
	}
	checkGlobalDst(op, dst, x)
	hw := x.shape[2] * x.shape[3]
	if x.dtype == Float32 {
		p := newPass[float32](dst.n, planeChunk*8, bodyGlobalAvgPlanes)
		p.a, p.b, p.ints[0] = dst.s32(), x.s32(), hw
		p.do()
		return dst
	}
	d, s := dst.s64(), x.s64()
	for i := range d {
		var t float64
		for _, v := range s[i*hw : (i+1)*hw] {
			t += v
		}
		d[i] = t / float64(hw)
	}
	return dst
}

func globalAvgPlanes(p *pass[float32], lo, hi int) {
	hw := p.ints[0]
	for i := lo; i < hi; i++ {
		p.a[i] = kernel.Sum(p.b[i*hw:(i+1)*hw]) / float32(hw)
	}
}

func checkGlobalDst(op string, dst, x *Tensor) {
	if dst.dtype != x.dtype {
		panicf(op, "destination is %v, input is %v", dst.dtype, x.dtype)
	}
	n, c := x.shape[0], x.shape[1]
	ok := (len(dst.shape) == 2 && dst.shape[0] == n && dst.shape[1] == c) ||
		(len(dst.shape) == 4 && dst.shape[0] == n && dst.shape[1] == c && dst.shape[2] == 1 && dst.shape[3] == 1)
	if !ok {
		panicf(op, "destination shape %v for the input %v, want [%d %d] or [%d %d 1 1]", dst.shape, x.shape, n, c, n, c)
	}
	noAlias(op, dst, x)
}

// GlobalAvgPool2d returns the [N, C] means of the planes of x; see
// GlobalAvgPool2dTo.
func GlobalAvgPool2d(x *Tensor) *Tensor {
	if len(x.shape) != 4 {
		panicf("GlobalAvgPool2d", "input shape %v, want [N C H W]", x.shape)
	}
	return GlobalAvgPool2dTo(allocIn(x.arena, "GlobalAvgPool2d", x.dtype, x.shape[:2], false), x)
}

// GlobalAvgPool2dBackwardTo sets dx, [N, C, H, W], to the gradient of
// GlobalAvgPool2dTo given dy ([N, C] or [N, C, 1, 1]): every element of
// plane (n, c) gets dy[n][c]/(H·W). It allocates nothing.
func GlobalAvgPool2dBackwardTo(dx, dy *Tensor) *Tensor {
	const op = "GlobalAvgPool2dBackward"
	if len(dx.shape) != 4 {
		panicf(op, "gradient shape %v, want [N C H W]", dx.shape)
	}
	checkGlobalDst(op, dy, dx)
	hw := dx.shape[2] * dx.shape[3]
	if dx.dtype == Float32 {
		d, g := dx.s32(), dy.s32()
		for i, v := range g {
			row := d[i*hw : (i+1)*hw]
			v /= float32(hw)
			for j := range row {
				row[j] = v
			}
		}
		return dx
	}
	d, g := dx.s64(), dy.s64()
	for i, v := range g {
		row := d[i*hw : (i+1)*hw]
		v /= float64(hw)
		for j := range row {
			row[j] = v
		}
	}
	return dx
}
