package tensor

import (
	"slices"

	"backprop/internal/conv"
)

// ConvParams are the parameters of a 2-d convolution over NCHW images:
// stride, zero padding (added on both sides) and dilation, each for the
// height then the width axis, and the number of groups into which the
// input and output channels are split. A zero field takes its default:
// stride 1, padding 0, dilation 1, one group; so ConvParams{} is a plain
// valid convolution, as in PyTorch's defaults.
type ConvParams struct {
	Stride, Padding, Dilation [2]int
	Groups                    int
}

// norm returns p with its defaults filled in, panicking on negative
// fields.
func (p ConvParams) norm(op string) ConvParams {
	for i := range 2 {
		if p.Stride[i] < 0 || p.Padding[i] < 0 || p.Dilation[i] < 0 {
			panicf(op, "negative parameter in %+v", p)
		}
		if p.Stride[i] == 0 {
			p.Stride[i] = 1
		}
		if p.Dilation[i] == 0 {
			p.Dilation[i] = 1
		}
	}
	if p.Groups < 0 {
		panicf(op, "negative parameter in %+v", p)
	}
	if p.Groups == 0 {
		p.Groups = 1
	}
	return p
}

// convGeom checks an input shape [N, C, H, W] and a weight shape
// [K, C/groups, R, S] against p and returns the geometry.
func convGeom(op string, x, w []int, p ConvParams) conv.Geom {
	p = p.norm(op)
	if len(x) != 4 || len(w) != 4 {
		panicf(op, "shapes %v and %v: want an input [N C H W] and weights [K C/groups R S]", x, w)
	}
	g := conv.Geom{N: x[0], C: x[1], H: x[2], W: x[3], K: w[0], R: w[2], S: w[3],
		StrideH: p.Stride[0], StrideW: p.Stride[1], PadH: p.Padding[0], PadW: p.Padding[1],
		DilH: p.Dilation[0], DilW: p.Dilation[1], Groups: p.Groups}
	if g.C%g.Groups != 0 || g.K%g.Groups != 0 || w[1]*g.Groups != g.C {
		panicf(op, "shapes %v and %v: %d groups need weights [K C/groups R S] with K and C divisible by the groups", x, w, g.Groups)
	}
	if err := g.Check(); err != nil {
		panicf(op, "shapes %v and %v with %+v: %v", x, w, p, err)
	}
	return g
}

// Conv2dShape returns the shape of the convolution of an input of shape
// x = [N, C, H, W] with weights of shape w = [K, C/groups, R, S]:
// [N, K, OH, OW] with OH = ⌊(H + 2·padding − dilation·(R−1) − 1)/stride⌋ + 1
// and OW likewise. It panics if the shapes or the parameters do not fit.
func Conv2dShape(x, w []int, p ConvParams) []int {
	g := convGeom("Conv2dShape", x, w, p)
	return []int{g.N, g.K, g.OutH(), g.OutW()}
}

// Conv2dTo sets dst to the 2-d convolution (cross-correlation, as in
// PyTorch) of the images x, [N, C, H, W], with the weights w,
// [K, C/groups, R, S]:
//
//	dst[n][k][oy][ox] = Σ_{c,ky,kx} w[k][c][ky][kx] · x[n][ĝ·C/G + c][oy·sh − ph + ky·dh][ox·sw − pw + kx·dw]
//
// where ĝ is the group of output channel k and x is zero outside its
// H×W. dst has the shape Conv2dShape gives and must not share storage
// with x or w. It allocates nothing.
func Conv2dTo(dst, x, w *Tensor, p ConvParams) *Tensor {
	return conv2dTo("Conv2d", dst, x, w, nil, p)
}

// Conv2dBiasTo is Conv2dTo plus a bias b of shape [K] added to every
// position of output channel k, in the same pass.
func Conv2dBiasTo(dst, x, w, b *Tensor, p ConvParams) *Tensor {
	return conv2dTo("Conv2dBias", dst, x, w, b, p)
}

func conv2dTo(op string, dst, x, w, b *Tensor, p ConvParams) *Tensor {
	dt := sameDType2(op, x, w)
	g := convGeom(op, x.shape, w.shape, p)
	var shape [4]int
	shape[0], shape[1], shape[2], shape[3] = g.N, g.K, g.OutH(), g.OutW()
	checkDst(op, dst, dt, shape[:])
	if b != nil {
		sameDType2(op, x, b)
		if len(b.shape) != 1 || b.shape[0] != g.K {
			panicf(op, "bias shape %v, want [%d]", b.shape, g.K)
		}
	}
	noAlias(op, dst, x, w)
	if dt == Float32 {
		var bias []float32
		if b != nil {
			bias = b.s32()
		}
		conv.Forward(&g, dst.s32(), x.s32(), w.s32(), bias)
	} else {
		var bias []float64
		if b != nil {
			bias = b.s64()
		}
		conv.Forward(&g, dst.s64(), x.s64(), w.s64(), bias)
	}
	return dst
}

// Conv2d returns the convolution of x with w; see Conv2dTo.
func Conv2d(x, w *Tensor, p ConvParams) *Tensor {
	return Conv2dTo(allocIn(arenaOf(x, w), "Conv2d", x.dtype, Conv2dShape(x.shape, w.shape, p), false), x, w, p)
}

// Conv2dBias returns the convolution of x with w plus the bias b; see
// Conv2dBiasTo.
func Conv2dBias(x, w, b *Tensor, p ConvParams) *Tensor {
	return Conv2dBiasTo(allocIn(arenaOf(x, w), "Conv2dBias", x.dtype, Conv2dShape(x.shape, w.shape, p), false), x, w, b, p)
}

// Conv2dBackwardDataTo sets dx, of the input's shape [N, C, H, W], to the
// gradient of a loss with respect to the input of Conv2dTo(·, x, w, p),
// given dy, its gradient with respect to the output: the transposed
// convolution
//
//	dx[n][ĉ][iy][ix] = Σ dy[n][k][oy][ox] · w[k][c][ky][kx]
//
// over the output channels k of ĉ's group and every (oy, ox, ky, kx) that
// reads x[n][ĉ][iy][ix] in the forward pass. It allocates nothing.
func Conv2dBackwardDataTo(dx, dy, w *Tensor, p ConvParams) *Tensor {
	const op = "Conv2dBackwardData"
	dt := sameDType2(op, dy, w)
	if dx.dtype != dt {
		panicf(op, "destination is %v, operands are %v", dx.dtype, dt)
	}
	g := convGeom(op, dx.shape, w.shape, p)
	checkGrad(op, dy, &g)
	noAlias(op, dx, dy, w)
	if dt == Float32 {
		conv.BackwardData(&g, dx.s32(), dy.s32(), w.s32())
	} else {
		conv.BackwardData(&g, dx.s64(), dy.s64(), w.s64())
	}
	return dx
}

// Conv2dBackwardData returns the gradient with respect to an input of
// shape xShape; see Conv2dBackwardDataTo.
func Conv2dBackwardData(dy, w *Tensor, xShape []int, p ConvParams) *Tensor {
	convGeom("Conv2dBackwardData", xShape, w.shape, p)
	return Conv2dBackwardDataTo(allocIn(arenaOf(dy, w), "Conv2dBackwardData", dy.dtype, xShape, false), dy, w, p)
}

// Conv2dBackwardWeightTo sets dw, of the weights' shape [K, C/groups, R,
// S], to the gradient of a loss with respect to the weights of
// Conv2dTo(·, x, w, p), given dy, or adds the gradient to dw when
// accumulate is set (the in-place accumulation of a parameter's gradient,
// without a temporary):
//
//	dw[k][c][ky][kx] (+)= Σ_{n,oy,ox} dy[n][k][oy][ox] · x[n][ĝ·C/G + c][oy·sh − ph + ky·dh][ox·sw − pw + kx·dw]
//
// The sum over the batch is made in chunks of images fixed by the shapes,
// so the result does not depend on the number of cores. At stride 1 an
// infinite element of x can make NaN the gradient of a tap that does not
// read it (the product 0·∞ of a position computed and dropped), where the
// exact sum would be infinite or finite. It allocates nothing.
func Conv2dBackwardWeightTo(dw, dy, x *Tensor, p ConvParams, accumulate bool) *Tensor {
	const op = "Conv2dBackwardWeight"
	dt := sameDType2(op, dy, x)
	if dw.dtype != dt {
		panicf(op, "destination is %v, operands are %v", dw.dtype, dt)
	}
	g := convGeom(op, x.shape, dw.shape, p)
	checkGrad(op, dy, &g)
	noAlias(op, dw, dy, x)
	if dt == Float32 {
		conv.BackwardWeight(&g, dw.s32(), dy.s32(), x.s32(), accumulate)
	} else {
		conv.BackwardWeight(&g, dw.s64(), dy.s64(), x.s64(), accumulate)
	}
	return dw
}

// Conv2dBackwardWeight returns the gradient with respect to weights of
// shape wShape; see Conv2dBackwardWeightTo.
func Conv2dBackwardWeight(dy, x *Tensor, wShape []int, p ConvParams) *Tensor {
	convGeom("Conv2dBackwardWeight", x.shape, wShape, p)
	return Conv2dBackwardWeightTo(allocIn(arenaOf(dy, x), "Conv2dBackwardWeight", dy.dtype, wShape, false), dy, x, p, false)
}

// Conv2dBackwardBiasTo sets db, of shape [K], to the gradient with
// respect to the bias of Conv2dBiasTo given dy, [N, K, OH, OW], or adds it
// to db when accumulate is set: db[k] (+)= Σ_{n,oy,ox} dy[n][k][oy][ox],
// each image's sum added in image order. It allocates nothing.
func Conv2dBackwardBiasTo(db, dy *Tensor, accumulate bool) *Tensor {
	const op = "Conv2dBackwardBias"
	dt := sameDType2(op, db, dy)
	if len(dy.shape) != 4 || len(db.shape) != 1 || db.shape[0] != dy.shape[1] {
		panicf(op, "shapes %v and %v: want a bias [K] and a gradient [N K OH OW]", db.shape, dy.shape)
	}
	g := conv.Geom{N: dy.shape[0], C: 1, H: dy.shape[2], W: dy.shape[3], K: dy.shape[1], R: 1, S: 1,
		StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}
	if dt == Float32 {
		conv.BackwardBias(&g, db.s32(), dy.s32(), accumulate)
	} else {
		conv.BackwardBias(&g, db.s64(), dy.s64(), accumulate)
	}
	return db
}

// Conv2dBackwardBias returns the gradient with respect to the bias; see
// Conv2dBackwardBiasTo.
func Conv2dBackwardBias(dy *Tensor) *Tensor {
	if len(dy.shape) != 4 {
		panicf("Conv2dBackwardBias", "gradient shape %v, want [N K OH OW]", dy.shape)
	}
	return Conv2dBackwardBiasTo(allocIn(dy.arena, "Conv2dBackwardBias", dy.dtype, dy.shape[1:2], false), dy, false)
}

// checkGrad panics unless dy has the output shape of g.
func checkGrad(op string, dy *Tensor, g *conv.Geom) {
	want := [4]int{g.N, g.K, g.OutH(), g.OutW()}
	if !SameShape(dy.shape, want[:]) {
		panicf(op, "gradient shape %v, want %v", slices.Clone(dy.shape), slices.Clone(want[:]))
	}
}

// noAlias panics if dst shares storage with one of the operands.
func noAlias(op string, dst *Tensor, operands ...*Tensor) {
	for _, a := range operands {
		if dst.n > 0 && dst.data == a.data {
			panicf(op, "destination shares storage with an operand")
		}
	}
}
