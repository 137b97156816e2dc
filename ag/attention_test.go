package ag_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"backprop/ag"
	"backprop/gradcheck"
	"backprop/tensor"
)

// attnCases are the rows of GELU and the attention gate: odd sizes, a
// causal mask with as many and with fewer queries than keys, a key
// padding mask, dropout, a scale of one's own and self-attention's
// fan-out.
func attnCases() []gradcheck.Case {
	var cs []gradcheck.Case
	add := func(c ...gradcheck.Case) { cs = append(cs, c...) }
	add(gradcheck.Unary("GELU", func(x *ag.Var) *ag.Var { return ag.GELU(x, false) }, nil)...)
	add(gradcheck.Unary("GELU", func(x *ag.Var) *ag.Var { return ag.GELU(x, true) }, nil)...)

	attn := func(o ag.AttentionOptions, seed uint64) func(in []*ag.Var) *ag.Var {
		return func(in []*ag.Var) *ag.Var {
			if o.Dropout > 0 { // the same mask on every evaluation
				o.Rand = rand.New(rand.NewPCG(seed, 1))
			}
			return ag.Attention(in[0], in[1], in[2], o)
		}
	}
	causal := tensor.AttentionMask{Causal: true}
	// Keys 0 of both batch elements stay visible: every causal row sees one.
	pad := []bool{false, true, false, true, false, false, false, true}
	for _, c := range []struct {
		q, k, v []int
		o       ag.AttentionOptions
	}{
		{s(2, 3, 4, 5), s(2, 3, 4, 5), s(2, 3, 4, 5), ag.AttentionOptions{}},
		{s(1, 2, 5, 3), s(1, 2, 5, 3), s(1, 2, 5, 4), ag.AttentionOptions{Mask: causal}},
		{s(2, 1, 3, 4), s(2, 1, 5, 4), s(2, 1, 5, 2), ag.AttentionOptions{Mask: causal}},
		{s(2, 1, 1, 3), s(2, 1, 6, 3), s(2, 1, 6, 3), ag.AttentionOptions{Mask: causal}},
		{s(2, 2, 3, 3), s(2, 2, 4, 3), s(2, 2, 4, 3), ag.AttentionOptions{Mask: tensor.AttentionMask{KeyPadding: pad}}},
		{s(2, 2, 4, 3), s(2, 2, 4, 3), s(2, 2, 4, 1), ag.AttentionOptions{Mask: tensor.AttentionMask{Causal: true, KeyPadding: pad}}},
		{s(1, 3, 4, 2), s(1, 3, 4, 2), s(1, 3, 4, 3), ag.AttentionOptions{Dropout: 0.3}},
		{s(2, 1, 5, 3), s(2, 1, 5, 3), s(2, 1, 5, 3), ag.AttentionOptions{Mask: causal, Dropout: 0.5}},
		{s(1, 1, 1, 1), s(1, 1, 1, 1), s(1, 1, 1, 1), ag.AttentionOptions{}},
		{s(1, 2, 3, 4), s(1, 2, 3, 4), s(1, 2, 3, 4), ag.AttentionOptions{Scale: 0.7}},
		{s(2, 1, 3, 2), s(2, 1, 3, 2), s(2, 1, 3, 2), ag.AttentionOptions{Dropout: 0.4, ShardOffset: 1, ShardTotal: 4}},
	} {
		add(gradcheck.Case{Gate: "Attention", Shapes: [][]int{c.q, c.k, c.v}, F: attn(c.o, 5)})
	}
	add(gradcheck.Case{Gate: "Attention", Shapes: [][]int{s(2, 2, 3, 4)}, // fan-out: self-attention on x
		F: func(in []*ag.Var) *ag.Var {
			return ag.Attention(in[0], in[0], in[0], ag.AttentionOptions{Mask: causal})
		}})
	// AttentionQKV on [N, T, 3E]: heads of width 1 to 3, the masks,
	// dropout and a scale of one's own.
	qkv := func(heads int, o ag.AttentionOptions, seed uint64) func(in []*ag.Var) *ag.Var {
		return func(in []*ag.Var) *ag.Var {
			if o.Dropout > 0 {
				o.Rand = rand.New(rand.NewPCG(seed, 1))
			}
			return ag.AttentionQKV(in[0], heads, o)
		}
	}
	for _, c := range []struct {
		x     []int
		heads int
		o     ag.AttentionOptions
	}{
		{s(2, 4, 12), 2, ag.AttentionOptions{}},
		{s(1, 5, 9), 3, ag.AttentionOptions{Mask: causal}},
		{s(2, 4, 18), 2, ag.AttentionOptions{Mask: tensor.AttentionMask{Causal: true, KeyPadding: pad}}},
		{s(1, 4, 6), 1, ag.AttentionOptions{Dropout: 0.3}},
		{s(2, 3, 6), 2, ag.AttentionOptions{Mask: causal, Dropout: 0.4, ShardOffset: 1, ShardTotal: 3}},
		{s(1, 1, 3), 1, ag.AttentionOptions{}},
		{s(1, 3, 12), 4, ag.AttentionOptions{Scale: 0.7}},
	} {
		add(gradcheck.Case{Gate: "AttentionQKV", Shapes: [][]int{c.x}, F: qkv(c.heads, c.o, 7)})
	}
	for i := range cs {
		cs[i].Tol = 1e-5
	}
	return cs
}

// TestAttentionQKVMatchesAttention checks that AttentionQKV on a stacked
// projection gives, in float64, the values and gradients of Attention on
// its thirds split into heads and permuted, with the masks and with the
// same dropout mask, and that in float32 the values have the same bits.
func TestAttentionQKVMatchesAttention(t *testing.T) {
	pad := []bool{false, false, true, false, false, true, false, false, false, false, false, true, false, false}
	for _, c := range []struct {
		n, tt, heads, d int
		o               ag.AttentionOptions
	}{
		{2, 7, 2, 3, ag.AttentionOptions{}},
		{2, 7, 3, 2, ag.AttentionOptions{Mask: tensor.AttentionMask{Causal: true}}},
		{2, 7, 1, 4, ag.AttentionOptions{Mask: tensor.AttentionMask{Causal: true, KeyPadding: pad}}},
		{2, 7, 2, 2, ag.AttentionOptions{Dropout: 0.25}},
		{1, 40, 4, 8, ag.AttentionOptions{Mask: tensor.AttentionMask{Causal: true}}}, // products on several workers
	} {
		for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
			name := fmt.Sprintf("%d×%d heads %d×%d %v %v", c.n, c.tt, c.heads, c.d, c.o.Mask.Causal, dt)
			rng := rand.New(rand.NewPCG(uint64(c.tt), uint64(c.heads)))
			e := c.heads * c.d
			xt := tensor.Randn(rng, tensor.Float64, c.n, c.tt, 3*e).As(dt)
			up := tensor.Randn(rng, tensor.Float64, c.n, c.tt, e).As(dt)
			run := func(fused bool) (*tensor.Tensor, *tensor.Tensor) {
				o := c.o
				if o.Dropout > 0 {
					o.Rand = rand.New(rand.NewPCG(9, 9))
				}
				x := ag.Param(xt.Clone())
				var y *ag.Var
				if fused {
					y = ag.AttentionQKV(x, c.heads, o)
				} else {
					heads := func(i int) *ag.Var {
						part := ag.Slice(x, 2, i*e, (i+1)*e)
						return ag.Permute(ag.Reshape(part, c.n, c.tt, c.heads, c.d), 0, 2, 1, 3)
					}
					y = ag.Reshape(ag.Permute(ag.Attention(heads(0), heads(1), heads(2), o), 0, 2, 1, 3), c.n, c.tt, e)
				}
				ag.Backward(ag.Sum(ag.Mul(y, ag.Const(up)), false))
				return y.Value, x.Grad
			}
			y1, g1 := run(true)
			y0, g0 := run(false)
			if dt == tensor.Float32 {
				if !tensor.Equal(y1, y0) {
					t.Errorf("%s: values differ from Attention's", name)
				}
				continue
			}
			if d := maxAbsDiff(y1, y0); d > 1e-12 {
				t.Errorf("%s: values differ from Attention's by %g", name, d)
			}
			if d := maxAbsDiff(g1, g0); d > 1e-12 {
				t.Errorf("%s: gradients differ from Attention's by %g", name, d)
			}
		}
	}
}

// maxAbsDiff returns the largest |a − b| over the elements of a and b.
func maxAbsDiff(a, b *tensor.Tensor) float64 {
	av, bv := a.Values(), b.Values()
	d := 0.0
	for i := range av {
		d = max(d, math.Abs(av[i]-bv[i]))
	}
	return d
}

// TestAttentionQKVPanics checks the messages for a bad input.
func TestAttentionQKVPanics(t *testing.T) {
	for _, c := range []struct {
		shape []int
		heads int
		want  string
	}{
		{s(2, 3, 10), 2, "AttentionQKV: qkv [2 3 10] with 2 heads: want [N T 3E], E a multiple of the heads"},
		{s(2, 12), 2, "AttentionQKV: qkv [2 12] with 2 heads"},
		{s(1, 2, 6), 0, "AttentionQKV: qkv [1 2 6] with 0 heads"},
	} {
		func() {
			defer func() {
				r := fmt.Sprint(recover())
				if !strings.Contains(r, c.want) {
					t.Errorf("shape %v, %d heads: panic %q, want it to contain %q", c.shape, c.heads, r, c.want)
				}
			}()
			ag.AttentionQKV(ag.Const(tensor.New(tensor.Float32, c.shape...)), c.heads, ag.AttentionOptions{})
		}()
	}
}

// composedAttention is attention built from primitive gates, with the
// mask as a constant of −10⁹ at the hidden keys and the dropout mask d
// (nil for none) as a constant factor.
func composedAttention(q, k, v *ag.Var, m tensor.AttentionMask, d *tensor.Tensor) *ag.Var {
	n, tq, dk := q.Value.Dim(0), q.Value.Dim(2), q.Value.Dim(3)
	tk := k.Value.Dim(2)
	mask := tensor.New(q.DType(), n, 1, tq, tk)
	for b := range n {
		for i := range tq {
			for j := range tk {
				if m.Causal && j > tk-tq+i || m.KeyPadding != nil && m.KeyPadding[b*tk+j] {
					mask.Set(-1e9, b, 0, i, j)
				}
			}
		}
	}
	s := ag.Mul(ag.MatMulT(q, k, false, true), ag.Scalar(q.DType(), 1/math.Sqrt(float64(dk))))
	p := ag.Softmax(ag.Add(s, ag.Const(mask)), -1)
	if d != nil {
		p = ag.Mul(p, ag.Const(d))
	}
	return ag.MatMul(p, v)
}

// TestAttentionMatchesComposed compares the fused gate's values and
// gradients with attention composed from MatMul, Softmax, Add and Mul,
// in float64 and float32, with the masks and with dropout (the composed
// form given the mask the gate drew from the same stream).
func TestAttentionMatchesComposed(t *testing.T) {
	pad := []bool{false, false, true, false, false, false, false, true, true, false}
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
		tol := 1e-12
		if dt == tensor.Float32 {
			tol = 2e-5
		}
		for _, c := range []struct {
			name    string
			tq, tk  int
			m       tensor.AttentionMask
			dropout float64
		}{
			{"plain", 4, 5, tensor.AttentionMask{}, 0},
			{"causal", 5, 5, tensor.AttentionMask{Causal: true}, 0},
			{"causal, fewer queries", 2, 5, tensor.AttentionMask{Causal: true}, 0},
			{"padding", 3, 5, tensor.AttentionMask{KeyPadding: pad}, 0},
			{"causal and padding", 5, 5, tensor.AttentionMask{Causal: true, KeyPadding: pad}, 0},
			{"dropout", 5, 5, tensor.AttentionMask{Causal: true}, 0.25},
		} {
			rng := rand.New(rand.NewPCG(1, 2))
			n, h, d, dv := 2, 3, 4, 3
			qt := tensor.Randn(rng, tensor.Float64, n, h, c.tq, d).As(dt)
			kt := tensor.Randn(rng, tensor.Float64, n, h, c.tk, d).As(dt)
			vt := tensor.Randn(rng, tensor.Float64, n, h, c.tk, dv).As(dt)
			up := tensor.Randn(rng, tensor.Float64, n, h, c.tq, dv).As(dt)

			q, k, v := ag.Param(qt.Clone()), ag.Param(kt.Clone()), ag.Param(vt.Clone())
			o := ag.AttentionOptions{Mask: c.m, Dropout: c.dropout, Rand: rand.New(rand.NewPCG(9, 9))}
			y := ag.Attention(q, k, v, o)
			ag.Backward(y, ag.Seed(up))

			var dmask *tensor.Tensor
			if c.dropout > 0 {
				r := rand.New(rand.NewPCG(9, 9))
				dmask = tensor.New(dt, n, h, c.tq, c.tk)
				zeros := 0
				for i := range dmask.Len() {
					if r.Float64() >= c.dropout {
						dmask.SetFlat(i, 1/(1-c.dropout))
					} else {
						zeros++
					}
				}
				if zeros == 0 {
					t.Fatalf("%s: the dropout mask drops nothing", c.name)
				}
			}
			q2, k2, v2 := ag.Param(qt.Clone()), ag.Param(kt.Clone()), ag.Param(vt.Clone())
			y2 := composedAttention(q2, k2, v2, c.m, dmask)
			ag.Backward(y2, ag.Seed(up))

			for _, p := range []struct {
				what string
				a, b *tensor.Tensor
			}{{"output", y.Value, y2.Value}, {"∂q", q.Grad, q2.Grad}, {"∂k", k.Grad, k2.Grad}, {"∂v", v.Grad, v2.Grad}} {
				if !tensor.AllClose(p.a, p.b, tol, tol) {
					t.Errorf("%v %s: %s differs from the composed gates:\nfused    %v\ncomposed %v", dt, c.name, p.what, p.a, p.b)
				}
			}
		}
	}
}

// TestAttentionCausalIgnoresTheFuture changes the keys and values of
// the last position and checks that a causal attention's outputs before
// it do not change, while a plain attention's do.
func TestAttentionCausalIgnoresTheFuture(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	q := tensor.Randn(rng, tensor.Float64, 1, 2, 4, 3)
	k := tensor.Randn(rng, tensor.Float64, 1, 2, 4, 3)
	v := tensor.Randn(rng, tensor.Float64, 1, 2, 4, 3)
	k2, v2 := k.Clone(), v.Clone()
	for h := range 2 {
		for j := range 3 {
			k2.Set(k2.At(0, h, 3, j)+1, 0, h, 3, j)
			v2.Set(v2.At(0, h, 3, j)-2, 0, h, 3, j)
		}
	}
	for _, causal := range []bool{true, false} {
		o := ag.AttentionOptions{Mask: tensor.AttentionMask{Causal: causal}}
		a := ag.Attention(ag.Const(q), ag.Const(k), ag.Const(v), o).Value
		b := ag.Attention(ag.Const(q), ag.Const(k2), ag.Const(v2), o).Value
		early := func(x *tensor.Tensor) *tensor.Tensor { return tensor.Slice(x, 2, 0, 3) }
		same := tensor.Equal(early(a), early(b))
		if same != causal {
			t.Errorf("causal %v: outputs before the changed position unchanged: %v", causal, same)
		}
		if tensor.Equal(tensor.Slice(a, 2, 3, 4), tensor.Slice(b, 2, 3, 4)) {
			t.Errorf("causal %v: the last position's output ignores its own key and value", causal)
		}
	}
}

func TestAttentionPanics(t *testing.T) {
	x := ag.Const(tensor.New(tensor.Float64, 1, 2, 3, 4))
	for name, c := range map[string]struct {
		f    func()
		want string
	}{
		"rank": {func() { ag.Attention(ag.Const(tensor.New(tensor.Float64, 2, 3, 4)), x, x, ag.AttentionOptions{}) },
			"tensor: Attention: q [2 3 4], k [1 2 3 4], v [1 2 3 4]: want [N H Tq d], [N H Tk d], [N H Tk dv]"},
		"width": {func() { ag.Attention(x, ag.Const(tensor.New(tensor.Float64, 1, 2, 3, 5)), x, ag.AttentionOptions{}) },
			"tensor: Attention: q [1 2 3 4], k [1 2 3 5], v [1 2 3 4]: want [N H Tq d], [N H Tk d], [N H Tk dv]"},
		"padding": {func() {
			ag.Attention(x, x, x, ag.AttentionOptions{Mask: tensor.AttentionMask{KeyPadding: []bool{true}}})
		}, "tensor: MaskedSoftmax: scores [1 2 3 3]: key padding mask of 1 flags, want N·Tk = 3"},
		"causal": {func() {
			ag.Attention(x, ag.Const(tensor.New(tensor.Float64, 1, 2, 2, 4)), ag.Const(tensor.New(tensor.Float64, 1, 2, 2, 4)),
				ag.AttentionOptions{Mask: tensor.AttentionMask{Causal: true}})
		}, "tensor: MaskedSoftmax: scores [1 2 3 2]: a causal mask needs no more queries than keys"},
		"dropout": {func() { ag.Attention(x, x, x, ag.AttentionOptions{Dropout: 0.1}) },
			"ag: Attention: dropout 0.1 (want [0, 1), with a Rand when positive)"},
	} {
		func() {
			defer func() {
				r := recover()
				var msg string
				switch e := r.(type) {
				case error:
					msg = e.Error()
				case string:
					msg = e
				}
				if msg != c.want {
					t.Errorf("%s: panic %q, want %q", name, msg, c.want)
				}
			}()
			c.f()
		}()
	}
}

// Causal attention with equal scores: each position averages the values
// of the positions up to its own.
func ExampleAttention() {
	q := ag.Const(tensor.New(tensor.Float64, 1, 1, 3, 2)) // [N H T d], all scores 0
	v := ag.Const(tensor.FromSlice([]float64{3, 0, 0, 3, 3, 3}, 1, 1, 3, 2))
	y := ag.Attention(q, q, v, ag.AttentionOptions{Mask: tensor.AttentionMask{Causal: true}})
	fmt.Println(y.Value.Values())
	// Output:
	// [3 0 1.5 1.5 2 2]
}

// TestAttentionCausalLowerRight: with fewer queries than keys the causal
// mask is aligned at the bottom right (PyTorch's causal_lower_right): the
// Tq queries are the last Tq positions, so their outputs are the last Tq
// rows of a causal attention of Tk queries (the top-left alignment of
// scaled_dot_product_attention(is_causal=True), where query i sees keys
// 0…i, would give the first of them key 0 alone).
func TestAttentionCausalLowerRight(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 2))
	const tq, tk = 2, 5
	qFull := tensor.Randn(rng, tensor.Float64, 1, 2, tk, 3)
	k := tensor.Randn(rng, tensor.Float64, 1, 2, tk, 3)
	v := tensor.Randn(rng, tensor.Float64, 1, 2, tk, 3)
	o := ag.AttentionOptions{Mask: tensor.AttentionMask{Causal: true}}
	full := ag.Attention(ag.Const(qFull), ag.Const(k), ag.Const(v), o).Value
	last := tensor.Slice(qFull, 2, tk-tq, tk).Clone()
	got := ag.Attention(ag.Const(last), ag.Const(k), ag.Const(v), o).Value
	if !tensor.AllClose(got, tensor.Slice(full, 2, tk-tq, tk), 1e-12, 1e-12) {
		t.Errorf("the last %d queries of %d: %v, want the last rows of the full attention %v", tq, tk, got, full)
	}
}
