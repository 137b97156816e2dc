package tensor_test

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"backprop/tensor"
)

// stats returns the mean, 1/√(var + ε) and the biased variance of the
// elements of x at the flat indices members, plainly in float64 and in
// two passes: the reference the normalisation tests compare with.
func stats(x *tensor.Tensor, members []int, eps float64) (mean, invstd, biasedVar float64) {
	for _, i := range members {
		mean += x.Flat(i)
	}
	mean /= float64(len(members))
	for _, i := range members {
		d := x.Flat(i) - mean
		biasedVar += d * d
	}
	biasedVar /= float64(len(members))
	return mean, 1 / math.Sqrt(biasedVar+eps), biasedVar
}

// channelMembers lists, for x [N, C, …], the flat indices of each channel.
func channelMembers(shape []int) [][]int {
	n, c, l := shape[0], shape[1], 1
	for _, d := range shape[2:] {
		l *= d
	}
	m := make([][]int, c)
	for i := range n {
		for ch := range c {
			for j := range l {
				m[ch] = append(m[ch], (i*c+ch)*l+j)
			}
		}
	}
	return m
}

var bnShapes = [][]int{{5, 3}, {4, 3, 5, 7}, {2, 4, 3}, {3, 2, 6, 6}}

func TestBatchNormTrain(t *testing.T) {
	rng := newRNG(41)
	for _, dt := range dtypes {
		for _, shape := range bnShapes {
			c := shape[1]
			x := randT(rng, dt, -2, 3, shape...)
			g, b := randT(rng, dt, 0.5, 1.5, c), randT(rng, dt, -1, 1, c)
			rm, rv := randT(rng, dt, -1, 1, c), randT(rng, dt, 0.5, 2, c)
			rm0, rv0 := rm.Clone(), rv.Clone()
			mean, invstd := tensor.Zeros(dt, c), tensor.Zeros(dt, c)
			y := tensor.BatchNormTrainTo(tensor.Zeros(dt, shape...), mean, invstd, x, g, b, rm, rv, tensor.BatchNormMomentum, tensor.NormEps)
			want := make([]float64, x.Len())
			var wm, wi, wrm, wrv []float64
			for ch, mem := range channelMembers(shape) {
				mu, is, v := stats(x, mem, tensor.NormEps)
				for _, i := range mem {
					want[i] = (x.Flat(i)-mu)*is*g.At(ch) + b.At(ch)
				}
				m := float64(len(mem))
				wm, wi = append(wm, mu), append(wi, is)
				wrm = append(wrm, 0.9*rm0.At(ch)+0.1*mu)
				wrv = append(wrv, 0.9*rv0.At(ch)+0.1*v*m/(m-1))
			}
			name := fmt.Sprintf("%v %v", dt, shape)
			tol := 50 * eps(dt)
			checkVals(t, name+" y", y, shape, want, tol)
			checkVals(t, name+" mean", mean, []int{c}, wm, tol)
			checkVals(t, name+" invstd", invstd, []int{c}, wi, tol)
			checkVals(t, name+" running mean", rm, []int{c}, wrm, tol)
			checkVals(t, name+" running var", rv, []int{c}, wrv, tol)

			// No affine parameters, no running statistics, in place.
			xc := x.Clone()
			tensor.BatchNormTrainTo(xc, mean, invstd, xc, nil, nil, nil, nil, 0.1, tensor.NormEps)
			for _, mem := range channelMembers(shape) {
				mu, is, _ := stats(x, mem, tensor.NormEps)
				for _, i := range mem {
					want[i] = (x.Flat(i) - mu) * is
				}
			}
			checkVals(t, name+" plain in place", xc, shape, want, tol)

			// Eval mode uses the running statistics.
			ye := tensor.BatchNormEvalTo(tensor.Zeros(dt, shape...), x, g, b, rm, rv, tensor.NormEps)
			for ch, mem := range channelMembers(shape) {
				for _, i := range mem {
					want[i] = (x.Flat(i)-rm.At(ch))/math.Sqrt(rv.At(ch)+tensor.NormEps)*g.At(ch) + b.At(ch)
				}
			}
			checkVals(t, name+" eval", ye, shape, want, tol)
		}
	}
}

func TestBatchNormGradients(t *testing.T) {
	rng := newRNG(42)
	dt := tensor.Float64
	for _, shape := range bnShapes {
		c := shape[1]
		x := randT(rng, dt, -2, 3, shape...)
		g, b := randT(rng, dt, 0.5, 1.5, c), randT(rng, dt, -1, 1, c)
		r := randT(rng, dt, -1, 1, shape...)
		mean, invstd := tensor.Zeros(dt, c), tensor.Zeros(dt, c)
		f := func() *tensor.Tensor {
			return tensor.BatchNormTrainTo(tensor.Zeros(dt, shape...), mean, invstd, x, g, b, nil, nil, 0.1, tensor.NormEps)
		}
		f()
		dx, dg, db := tensor.Zeros(dt, shape...), tensor.Zeros(dt, c), tensor.Zeros(dt, c)
		tensor.BatchNormBackwardTo(dx, dg, db, r, x, mean, invstd, g, false)
		name := fmt.Sprint(shape)
		checkGrad(t, name+" dx", dx, numGrad(f, x, r, 1e-5), 1e-6)
		checkGrad(t, name+" dgamma", dg, numGrad(f, g, r, 1e-5), 1e-7)
		checkGrad(t, name+" dbeta", db, numGrad(f, b, r, 1e-5), 1e-7)
		// Accumulating, dx in place over a copy of dy, no gamma.
		dg2, db2 := tensor.Full(dt, 1, c), tensor.Full(dt, 2, c)
		f()
		dx2 := r.Clone()
		tensor.BatchNormBackwardTo(dx2, dg2, db2, dx2, x, mean, invstd, g, true)
		checkVals(t, name+" dx in place", dx2, shape, dx.Values(), 1e-12)
		checkVals(t, name+" dgamma accumulated", dg2, []int{c}, tensor.AddScalar(dg, 1).Values(), 1e-12)
		checkVals(t, name+" dbeta accumulated", db2, []int{c}, tensor.AddScalar(db, 2).Values(), 1e-12)
		fn := func() *tensor.Tensor {
			return tensor.BatchNormTrainTo(tensor.Zeros(dt, shape...), mean, invstd, x, nil, nil, nil, nil, 0.1, tensor.NormEps)
		}
		fn()
		dxn := tensor.BatchNormBackwardTo(tensor.Zeros(dt, shape...), nil, nil, r, x, mean, invstd, nil, false)
		checkGrad(t, name+" dx without gamma", dxn, numGrad(fn, x, r, 1e-5), 1e-6)
	}
}

func TestBatchNormEvalGradients(t *testing.T) {
	rng := newRNG(47)
	dt := tensor.Float64
	for _, shape := range bnShapes {
		c := shape[1]
		x := randT(rng, dt, -2, 3, shape...)
		g, b := randT(rng, dt, 0.5, 1.5, c), randT(rng, dt, -1, 1, c)
		rm, rv := randT(rng, dt, -1, 1, c), randT(rng, dt, 0.5, 2, c)
		r := randT(rng, dt, -1, 1, shape...)
		f := func() *tensor.Tensor {
			return tensor.BatchNormEvalTo(tensor.Zeros(dt, shape...), x, g, b, rm, rv, tensor.NormEps)
		}
		dx, dg, db := tensor.Zeros(dt, shape...), tensor.Zeros(dt, c), tensor.Zeros(dt, c)
		tensor.BatchNormEvalBackwardTo(dx, dg, db, r, x, g, rm, rv, tensor.NormEps, false)
		name := fmt.Sprint(shape)
		checkGrad(t, name+" dx", dx, numGrad(f, x, r, 1e-3), 1e-7)
		checkGrad(t, name+" dgamma", dg, numGrad(f, g, r, 1e-3), 1e-7)
		checkGrad(t, name+" dbeta", db, numGrad(f, b, r, 1e-3), 1e-7)
		dg2, db2, dx2 := dg.Clone(), db.Clone(), r.Clone()
		tensor.BatchNormEvalBackwardTo(dx2, dg2, db2, dx2, x, g, rm, rv, tensor.NormEps, true)
		checkVals(t, name+" dx in place", dx2, shape, dx.Values(), 1e-12)
		checkVals(t, name+" dgamma accumulated", dg2, []int{c}, tensor.Scale(dg, 2).Values(), 1e-12)
		checkVals(t, name+" dbeta accumulated", db2, []int{c}, tensor.Scale(db, 2).Values(), 1e-12)
	}
}

var lnCases = []struct {
	shape []int
	d     int
}{{[]int{4, 6}, 6}, {[]int{2, 3, 20}, 20}, {[]int{2, 3, 4, 5}, 20}, {[]int{3, 40}, 40}}

func TestLayerNorm(t *testing.T) {
	rng := newRNG(43)
	for _, dt := range dtypes {
		for _, tc := range lnCases {
			x := randT(rng, dt, -2, 3, tc.shape...)
			rows := x.Len() / tc.d
			g, b := randT(rng, dt, 0.5, 1.5, tc.d), randT(rng, dt, -1, 1, tc.d)
			mean, invstd := tensor.Zeros(dt, rows), tensor.Zeros(dt, rows)
			y := tensor.LayerNormTo(tensor.Zeros(dt, tc.shape...), mean, invstd, x, g, b, tc.d, tensor.NormEps)
			want := make([]float64, x.Len())
			for r := range rows {
				mem := make([]int, tc.d)
				for j := range mem {
					mem[j] = r*tc.d + j
				}
				mu, is, _ := stats(x, mem, tensor.NormEps)
				for j, i := range mem {
					want[i] = (x.Flat(i)-mu)*is*g.Flat(j) + b.Flat(j)
				}
			}
			checkVals(t, fmt.Sprintf("%v %v", dt, tc.shape), y, tc.shape, want, 50*eps(dt))
		}
	}
}

func TestLayerNormGradients(t *testing.T) {
	rng := newRNG(44)
	dt := tensor.Float64
	for _, tc := range lnCases {
		x := randT(rng, dt, -2, 3, tc.shape...)
		rows := x.Len() / tc.d
		g, b := randT(rng, dt, 0.5, 1.5, tc.d), randT(rng, dt, -1, 1, tc.d)
		r := randT(rng, dt, -1, 1, tc.shape...)
		mean, invstd := tensor.Zeros(dt, rows), tensor.Zeros(dt, rows)
		f := func() *tensor.Tensor {
			return tensor.LayerNormTo(tensor.Zeros(dt, tc.shape...), mean, invstd, x, g, b, tc.d, tensor.NormEps)
		}
		f()
		dx, dg, db := tensor.Zeros(dt, tc.shape...), tensor.Zeros(dt, tc.d), tensor.Zeros(dt, tc.d)
		tensor.LayerNormBackwardTo(dx, dg, db, r, x, mean, invstd, g, tc.d, false)
		name := fmt.Sprint(tc.shape)
		checkGrad(t, name+" dx", dx, numGrad(f, x, r, 1e-5), 1e-6)
		checkGrad(t, name+" dgamma", dg, numGrad(f, g, r, 1e-5), 1e-7)
		checkGrad(t, name+" dbeta", db, numGrad(f, b, r, 1e-5), 1e-7)
		f()
		dg2, db2, dx2 := dg.Clone(), db.Clone(), r.Clone()
		tensor.LayerNormBackwardTo(dx2, dg2, db2, dx2, x, mean, invstd, g, tc.d, true)
		checkVals(t, name+" dx in place", dx2, tc.shape, dx.Values(), 1e-12)
		checkVals(t, name+" dgamma accumulated", dg2, []int{tc.d}, tensor.Scale(dg, 2).Values(), 1e-12)
		checkVals(t, name+" dbeta accumulated", db2, []int{tc.d}, tensor.Scale(db, 2).Values(), 1e-12)
	}
}

var gnCases = []struct {
	shape  []int
	groups int
}{{[]int{2, 6, 5, 4}, 3}, {[]int{3, 4, 7}, 2}, {[]int{2, 8, 6, 6}, 1}, {[]int{1, 6, 3, 3}, 6}}

func gnMembers(shape []int, groups int) [][]int {
	n, c, l := shape[0], shape[1], 1
	for _, d := range shape[2:] {
		l *= d
	}
	var m [][]int
	for i := range n {
		for g := range groups {
			var mem []int
			for ch := g * c / groups; ch < (g+1)*c/groups; ch++ {
				for j := range l {
					mem = append(mem, (i*c+ch)*l+j)
				}
			}
			m = append(m, mem)
		}
	}
	return m
}

func TestGroupNorm(t *testing.T) {
	rng := newRNG(45)
	for _, dt := range dtypes {
		for _, tc := range gnCases {
			c := tc.shape[1]
			l := tc.shape[2]
			if len(tc.shape) > 3 {
				l *= tc.shape[3]
			}
			x := randT(rng, dt, -2, 3, tc.shape...)
			g, b := randT(rng, dt, 0.5, 1.5, c), randT(rng, dt, -1, 1, c)
			ng := tc.shape[0] * tc.groups
			mean, invstd := tensor.Zeros(dt, ng), tensor.Zeros(dt, ng)
			y := tensor.GroupNormTo(tensor.Zeros(dt, tc.shape...), mean, invstd, x, g, b, tc.groups, tensor.NormEps)
			want := make([]float64, x.Len())
			for _, mem := range gnMembers(tc.shape, tc.groups) {
				mu, is, _ := stats(x, mem, tensor.NormEps)
				for _, i := range mem {
					ch := i / l % c
					want[i] = (x.Flat(i)-mu)*is*g.At(ch) + b.At(ch)
				}
			}
			checkVals(t, fmt.Sprintf("%v %v", dt, tc.shape), y, tc.shape, want, 50*eps(dt))
		}
	}
}

func TestGroupNormGradients(t *testing.T) {
	rng := newRNG(46)
	dt := tensor.Float64
	for _, tc := range gnCases {
		c := tc.shape[1]
		x := randT(rng, dt, -2, 3, tc.shape...)
		g, b := randT(rng, dt, 0.5, 1.5, c), randT(rng, dt, -1, 1, c)
		r := randT(rng, dt, -1, 1, tc.shape...)
		ng := tc.shape[0] * tc.groups
		mean, invstd := tensor.Zeros(dt, ng), tensor.Zeros(dt, ng)
		f := func() *tensor.Tensor {
			return tensor.GroupNormTo(tensor.Zeros(dt, tc.shape...), mean, invstd, x, g, b, tc.groups, tensor.NormEps)
		}
		f()
		dx, dg, db := tensor.Zeros(dt, tc.shape...), tensor.Zeros(dt, c), tensor.Zeros(dt, c)
		tensor.GroupNormBackwardTo(dx, dg, db, r, x, mean, invstd, g, tc.groups, false)
		name := fmt.Sprint(tc.shape, tc.groups)
		checkGrad(t, name+" dx", dx, numGrad(f, x, r, 1e-5), 1e-6)
		checkGrad(t, name+" dgamma", dg, numGrad(f, g, r, 1e-5), 1e-7)
		checkGrad(t, name+" dbeta", db, numGrad(f, b, r, 1e-5), 1e-7)
		f()
		dg2, db2, dx2 := dg.Clone(), db.Clone(), r.Clone()
		tensor.GroupNormBackwardTo(dx2, dg2, db2, dx2, x, mean, invstd, g, tc.groups, true)
		checkVals(t, name+" dx in place", dx2, tc.shape, dx.Values(), 1e-12)
		checkVals(t, name+" dgamma accumulated", dg2, []int{c}, tensor.Scale(dg, 2).Values(), 1e-12)
		checkVals(t, name+" dbeta accumulated", db2, []int{c}, tensor.Scale(db, 2).Values(), 1e-12)
	}
}

func TestNormPanics(t *testing.T) {
	f := tensor.Float32
	x := tensor.Zeros(f, 4, 3, 5)
	v3, v2 := tensor.Zeros(f, 3), tensor.Zeros(f, 2)
	mustPanic(t, func() { tensor.BatchNormTrainTo(x, v3, v3, x, v2, nil, nil, nil, 0.1, 1e-5) }, "BatchNormTrain", "gamma shape [2], want [3]")
	mustPanic(t, func() { tensor.BatchNormTrainTo(x, v3, v3, x, nil, nil, v3, nil, 0.1, 1e-5) }, "BatchNormTrain", "both or neither")
	mustPanic(t, func() {
		tensor.BatchNormTrainTo(tensor.Zeros(f, 1, 3), v3, v3, tensor.Zeros(f, 1, 3), nil, nil, nil, nil, 0.1, 1e-5)
	}, "BatchNormTrain", "more than 1 value per channel")
	mustPanic(t, func() {
		tensor.BatchNormTrainTo(tensor.Zeros(f, 3), v3, v3, tensor.Zeros(f, 3), nil, nil, nil, nil, 0.1, 1e-5)
	}, "BatchNormTrain", "[3]")
	mustPanic(t, func() { tensor.BatchNormEvalTo(x, x, nil, nil, v3, nil, 1e-5) }, "BatchNormEval", "running var is nil")
	mustPanic(t, func() { tensor.BatchNormBackwardTo(x, nil, nil, x, x, v3, v3, nil, false) }, "BatchNormBackward", "shares storage")
	mustPanic(t, func() { tensor.LayerNormTo(x, tensor.Zeros(f, 4), tensor.Zeros(f, 4), x, nil, nil, 7, 1e-5) }, "LayerNorm", "last 7 elements")
	mustPanic(t, func() { tensor.LayerNormTo(x, tensor.Zeros(f, 4), tensor.Zeros(f, 12), x, nil, nil, 5, 1e-5) }, "LayerNorm", "mean shape [4], want [12]")
	mustPanic(t, func() { tensor.GroupNormTo(x, v3, v3, x, nil, nil, 2, 1e-5) }, "GroupNorm", "2 groups do not divide 3")
	mustPanic(t, func() { tensor.GroupNormTo(x, v3, v3, x, nil, nil, 3, 1e-5) }, "GroupNorm", "mean shape [3], want [12]")
}

// TestImageOpsWorkers checks that pooling and normalisation give the same
// bits on one core and on two.
func TestImageOpsWorkers(t *testing.T) {
	rng := newRNG(48)
	f := tensor.Float32
	x, dy := randT(rng, f, -2, 3, 6, 16, 10, 10), randT(rng, f, -1, 1, 6, 16, 10, 10)
	g, b := randT(rng, f, 0.5, 1.5, 16), randT(rng, f, -1, 1, 16)
	run := func() []*tensor.Tensor {
		var out []*tensor.Tensor
		m, is, rm, rv := tensor.Zeros(f, 16), tensor.Zeros(f, 16), tensor.Zeros(f, 16), tensor.Ones(f, 16)
		y := tensor.BatchNormTrainTo(tensor.ZerosLike(x), m, is, x, g, b, rm, rv, 0.1, 1e-5)
		dx, dg, db := tensor.ZerosLike(x), tensor.Zeros(f, 16), tensor.Zeros(f, 16)
		tensor.BatchNormBackwardTo(dx, dg, db, dy, x, m, is, g, false)
		out = append(out, y, m, is, rm, rv, dx, dg, db)
		lm, lis := tensor.Zeros(f, 96), tensor.Zeros(f, 96)
		lg := randT(newRNG(1), f, 0.5, 1.5, 100)
		y = tensor.LayerNormTo(tensor.ZerosLike(x), lm, lis, x, lg, nil, 100, 1e-5)
		ldx, ldg, ldb := tensor.ZerosLike(x), tensor.Zeros(f, 100), tensor.Zeros(f, 100)
		tensor.LayerNormBackwardTo(ldx, ldg, ldb, dy, x, lm, lis, lg, 100, false)
		out = append(out, y, ldx, ldg, ldb)
		gm, gis := tensor.Zeros(f, 24), tensor.Zeros(f, 24)
		y = tensor.GroupNormTo(tensor.ZerosLike(x), gm, gis, x, g, b, 4, 1e-5)
		gdx, gdg, gdb := tensor.ZerosLike(x), tensor.Zeros(f, 16), tensor.Zeros(f, 16)
		tensor.GroupNormBackwardTo(gdx, gdg, gdb, dy, x, gm, gis, g, 4, false)
		out = append(out, y, gdx, gdg, gdb)
		p := tensor.PoolParams{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}
		py, idx := tensor.MaxPool2d(x, p)
		out = append(out, py, tensor.MaxPool2dBackwardTo(tensor.ZerosLike(x), py, idx), tensor.AvgPool2d(x, p), tensor.GlobalAvgPool2d(x))
		return out
	}
	var res [2][]*tensor.Tensor
	for i, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		res[i] = run()
		runtime.GOMAXPROCS(old)
	}
	for j := range res[0] {
		if !tensor.Equal(res[0][j], res[1][j]) {
			t.Errorf("output %d differs between 1 and 2 cores", j)
		}
	}
}
