package main

import "fmt"

// Top vector registers with fixed roles.
func (g *gen) top(i int) string { return g.v(g.isa.nregs - 1 - i) }
func (g *gen) negInf() string   { return g.top(1) } // −∞ (max)
func (g *gen) scalar() string   { return g.top(2) } // the float32 argument
func (g *gen) hi() string       { return g.top(3) } // exp clamp bounds
func (g *gen) lo() string       { return g.top(4) }
func (g *gen) nanAcc() string   { return g.top(3) } // max, AVX2: lanes that saw NaN

// geluPhi computes Φ(x) for the GELU kernels and returns the register
// holding it (t[1]); t[4] is left holding e^(−x²/2). It uses six
// temporaries.
func (g *gen) geluPhi(x string, t []string) string {
	e, r := t[4], t[5]
	g.ins("VMULPS", e, x, x)
	g.ins("VMULPS", e, e, c("MinusHalf"))
	g.exp(e, e, g.hi(), g.lo(), t) // e = e^(−x²/2)
	g.ins("VANDPS", r, x, c("Abs"))
	g.ins("VMULPS", r, r, c("GP"))
	g.ins("VADDPS", r, r, c("One"))
	g.ins("VMOVUPS", t[0], c("One"))
	g.ins("VDIVPS", r, t[0], r) // t = 1/(1 + GP·|x|)
	g.ins("VMOVUPS", t[0], c("G5"))
	for _, k := range []string{"G4", "G3", "G2", "G1"} {
		g.ins("VFMADD213PS", t[0], r, c(k))
	}
	g.ins("VMULPS", t[0], t[0], r)
	g.ins("VMULPS", t[0], t[0], e) // h = ½erfc(|x|/√2)
	g.ins("VMOVUPS", t[1], c("One"))
	g.ins("VSUBPS", t[1], t[1], t[0])            // 1 − h
	g.sel(t[1], t[0], x, c("Zero"), cmpLT, t[2]) // x < 0: h
	return t[1]
}

// accReg is the accumulator of lane l, placed after the lane registers.
func (k *kernel) accReg(g *gen, l int) string {
	laneRegs := len(k.inputs) + 1 + k.ntmp
	return g.v(k.unroll[g.isa.name]*laneRegs + l)
}

func both(u512, u2 int) map[string]int { return map[string]int{"AVX512": u512, "AVX2": u2} }

func ptrs(names ...string) []arg {
	regs := []string{"DI", "SI", "DX", "R8"}
	var a []arg
	for i, n := range names {
		a = append(a, arg{n, 'p', regs[i]})
	}
	return a
}

func kernels() []*kernel {
	var ks []*kernel
	n := arg{"n", 'n', "CX"}
	// Element-wise binary operations of two vectors.
	for _, op := range []struct{ name, ins, doc string }{
		{"add", "VADDPS", "sets dst[i] = x[i] + y[i] for i < n."},
		{"sub", "VSUBPS", "sets dst[i] = x[i] − y[i] for i < n."},
		{"mul", "VMULPS", "sets dst[i] = x[i] · y[i] for i < n."},
		{"div", "VDIVPS", "sets dst[i] = x[i] / y[i] for i < n."},
	} {
		ins := op.ins
		ks = append(ks, &kernel{
			name: op.name, doc: op.doc,
			args:   append(ptrs("dst", "x", "y"), n),
			unroll: both(4, 4), dst: "dst", inputs: []string{"x", "y"},
			body: func(g *gen, in []string, out string, _ []string, _ int) { g.ins(ins, out, in[0], in[1]) },
		})
	}
	// With a scalar.
	for _, op := range []struct {
		name, ins string
		rev       bool
		doc       string
	}{
		{"addScalar", "VADDPS", false, "sets dst[i] = x[i] + s for i < n."},
		{"subFromScalar", "VSUBPS", true, "sets dst[i] = s − x[i] for i < n."},
		{"scale", "VMULPS", false, "sets dst[i] = x[i] · s for i < n."},
		{"divScalar", "VDIVPS", false, "sets dst[i] = x[i] / s for i < n."},
		{"divFromScalar", "VDIVPS", true, "sets dst[i] = s / x[i] for i < n."},
	} {
		op := op
		ks = append(ks, &kernel{
			name: op.name, doc: op.doc,
			args:   []arg{{"dst", 'p', "DI"}, {"x", 'p', "SI"}, {"s", 's', "SCALAR"}, n},
			unroll: both(4, 4), dst: "dst", inputs: []string{"x"},
			body: func(g *gen, in []string, out string, _ []string, _ int) {
				if op.rev {
					g.ins(op.ins, out, g.scalar(), in[0])
				} else {
					g.ins(op.ins, out, in[0], g.scalar())
				}
			},
		})
	}
	ks = append(ks, &kernel{
		name: "axpy", doc: "sets y[i] += a·x[i] for i < n, rounding the product.",
		args:   []arg{{"y", 'p', "DI"}, {"x", 'p', "SI"}, {"a", 's', "SCALAR"}, n},
		unroll: both(4, 4), dst: "y", inputs: []string{"y", "x"},
		body: func(g *gen, in []string, out string, _ []string, _ int) {
			g.ins("VMULPS", out, in[1], g.scalar())
			g.ins("VADDPS", out, out, in[0])
		},
	})
	ks = append(ks, &kernel{
		name: "relu", doc: "sets dst[i] = 0 if x[i] ≤ 0, else x[i] (NaN included), for i < n.",
		args:   append(ptrs("dst", "x"), n),
		unroll: both(4, 4), dst: "dst", inputs: []string{"x"},
		body: func(g *gen, in []string, out string, _ []string, _ int) {
			// Not x ≤ 0 (true for NaN): keep x, so that NaN propagates.
			if g.isa == avx512 {
				g.ins("VCMPPS", "K2", in[0], c("Zero"), fmt.Sprintf("$%d", cmpNLE))
				g.p("\tVMOVAPS.Z %s, K2, %s", in[0], out)
				return
			}
			g.ins("VCMPPS", out, in[0], c("Zero"), fmt.Sprintf("$%d", cmpNLE))
			g.ins("VANDPS", out, out, in[0])
		},
	})
	ks = append(ks, &kernel{
		name: "reluBackward", doc: "sets dx[i] = 0 if y[i] ≤ 0, else dy[i] (y[i] NaN included), for i < n.",
		args:   append(ptrs("dx", "y", "dy"), n),
		unroll: both(4, 4), dst: "dx", inputs: []string{"y", "dy"},
		body: func(g *gen, in []string, out string, _ []string, _ int) {
			if g.isa == avx512 {
				g.ins("VCMPPS", "K2", in[0], c("Zero"), fmt.Sprintf("$%d", cmpNLE))
				g.p("\tVMOVAPS.Z %s, K2, %s", in[1], out)
				return
			}
			g.ins("VCMPPS", out, in[0], c("Zero"), fmt.Sprintf("$%d", cmpNLE))
			g.ins("VANDPS", out, out, in[1])
		},
	})
	expSetup := func(g *gen) {
		g.ins("VMOVUPS", g.hi(), c("ExpHi"))
		g.ins("VMOVUPS", g.lo(), c("ExpLo"))
	}
	ks = append(ks, &kernel{
		name: "exp", doc: "sets dst[i] = eˣ⁽ⁱ⁾ for i < n (see Exp for the error).",
		args:   append(ptrs("dst", "x"), n),
		unroll: both(4, 1), dst: "dst", inputs: []string{"x"}, ntmp: 4, setup: expSetup,
		body: func(g *gen, in []string, out string, t []string, _ int) {
			g.exp(out, in[0], g.hi(), g.lo(), t)
		},
	})
	ks = append(ks, &kernel{
		name: "sigmoid", doc: "sets dst[i] = 1/(1+e⁻ˣ⁽ⁱ⁾) for i < n.",
		args:   append(ptrs("dst", "x"), n),
		unroll: both(3, 1), dst: "dst", inputs: []string{"x"}, ntmp: 6, setup: expSetup,
		body: func(g *gen, in []string, out string, t []string, _ int) {
			x, a, d := in[0], t[4], t[5]
			g.ins("VANDPS", a, x, c("Abs"))
			g.ins("VXORPS", a, a, c("Sign")) // −|x|
			g.exp(a, a, g.hi(), g.lo(), t)   // e = e^−|x|
			g.ins("VADDPS", d, a, c("One"))
			g.ins("VMOVUPS", out, c("One"))
			g.sel(out, a, x, c("Zero"), cmpLT, t[0]) // x < 0: numerator e
			g.ins("VDIVPS", out, out, d)
		},
	})
	ks = append(ks, &kernel{
		name: "tanh", doc: "sets dst[i] = tanh x[i] for i < n.",
		args:   append(ptrs("dst", "x"), n),
		unroll: both(2, 1), dst: "dst", inputs: []string{"x"}, ntmp: 7, setup: expSetup,
		body: func(g *gen, in []string, out string, t []string, _ int) {
			x, ax, e, d := in[0], t[4], t[5], t[6]
			g.ins("VANDPS", ax, x, c("Abs"))
			g.ins("VMULPS", e, ax, c("Minus2"))
			g.exp(e, e, g.hi(), g.lo(), t) // e = e^−2|x|
			g.ins("VADDPS", d, e, c("One"))
			g.ins("VMOVUPS", out, c("One"))
			g.ins("VSUBPS", out, out, e)
			g.ins("VDIVPS", out, out, d) // (1−e)/(1+e)
			g.ins("VANDPS", d, x, c("Sign"))
			g.ins("VORPS", out, out, d)
			// |x| < 0.625: x + x³·T(x²).
			z, q, x3 := t[0], t[1], t[2]
			g.ins("VMULPS", z, x, x)
			g.ins("VMOVUPS", q, c("T4"))
			for _, k := range []string{"T3", "T2", "T1", "T0"} {
				g.ins("VFMADD213PS", q, z, c(k))
			}
			g.ins("VMULPS", x3, z, x)
			g.ins("VFMADD213PS", q, x3, x)
			g.sel(out, q, ax, c("TanhSmall"), cmpLT, t[3])
		},
	})
	// GELU, exact form: the forward value and the backward product.
	ks = append(ks, &kernel{
		name: "gelu", doc: "sets dst[i] = x[i]·Φ(x[i]) for i < n (see GELU for the error).",
		args:   append(ptrs("dst", "x"), n),
		unroll: both(3, 1), dst: "dst", inputs: []string{"x"}, ntmp: 6, setup: expSetup,
		body: func(g *gen, in []string, out string, t []string, _ int) {
			phi := g.geluPhi(in[0], t)
			g.ins("VMULPS", out, in[0], phi)
		},
	})
	ks = append(ks, &kernel{
		name: "geluBackward", doc: "sets dst[i] = dy[i]·(Φ(x[i]) + x[i]·φ(x[i])) for i < n.",
		args:   append(ptrs("dst", "x", "dy"), n),
		unroll: both(3, 1), dst: "dst", inputs: []string{"x", "dy"}, ntmp: 6, setup: expSetup,
		body: func(g *gen, in []string, out string, t []string, _ int) {
			x, e := in[0], t[4]
			phi := g.geluPhi(x, t)
			g.ins("VMULPS", t[2], x, e)
			g.ins("VFMADD231PS", phi, t[2], c("InvSqrt2Pi")) // Φ + x·e^(−x²/2)/√(2π)
			g.ins("VMULPS", out, phi, in[1])
		},
	})
	// Reductions.
	zeroAcc := func(k **kernel) func(g *gen, l int) {
		return func(g *gen, l int) { r := (*k).accReg(g, l); g.ins("VXORPS", r, r, r) }
	}
	hsum := func(k **kernel, op string, nanCheck bool) func(g *gen, u, retOff int) {
		return func(g *gen, u, retOff int) {
			kk := *k
			z0 := g.v(0)
			g.ins("VMOVAPS", z0, kk.accReg(g, 0))
			for l := 1; l < u; l++ {
				g.ins(op, z0, z0, kk.accReg(g, l))
			}
			if g.isa == avx512 {
				g.p("\tVEXTRACTF64X4 $1, Z0, Y1")
				g.ins(op, "Y0", "Y0", "Y1")
			}
			g.p("\tVEXTRACTF128 $1, Y0, X1")
			g.ins(op, "X0", "X0", "X1")
			g.ins("VMOVHLPS", "X1", "X0", "X0")
			g.ins(op, "X0", "X0", "X1")
			g.ins("VMOVSHDUP", "X1", "X0")
			g.ins(op[:len(op)-2]+"SS", "X0", "X0", "X1")
			if nanCheck {
				if g.isa == avx512 {
					g.p("\tKORTESTW K3, K3")
				} else {
					g.p("\tVMOVMSKPS %s, R9", g.nanAcc())
					g.p("\tTESTL R9, R9")
				}
				g.p("\tJEQ store")
				g.p("\tMOVL $0x7fc00000, ret+%d(FP)", retOff)
				g.p("\tVZEROUPPER")
				g.p("\tRET")
				g.p("store:")
			}
			g.p("\tVMOVSS X0, ret+%d(FP)", retOff)
		}
	}
	var sum, dot, mx, ess *kernel
	sum = &kernel{
		name: "sum", doc: "returns x[0] + … + x[n−1], in 4·W partial sums.",
		args: append(ptrs("x"), n), ret: true,
		unroll: both(4, 4), inputs: []string{"x"},
		accInit: zeroAcc(&sum),
		acc: func(g *gen, in []string, val, _ string, l int, tail bool) {
			r := sum.accReg(g, l)
			g.ins("VADDPS", r, r, in[0])
		},
		finish: hsum(&sum, "VADDPS", false),
	}
	dot = &kernel{
		name: "dot", doc: "returns Σ x[i]·y[i] for i < n, in 4·W partial sums with FMA.",
		args: append(ptrs("x", "y"), n), ret: true,
		unroll: both(4, 3), inputs: []string{"x", "y"},
		accInit: zeroAcc(&dot),
		acc: func(g *gen, in []string, val, _ string, l int, tail bool) {
			g.ins("VFMADD231PS", dot.accReg(g, l), in[0], in[1])
		},
		finish: hsum(&dot, "VADDPS", false),
	}
	mx = &kernel{
		name: "max", doc: "returns the largest of x[0…n−1], NaN if any is NaN, −∞ if n = 0.",
		args: append(ptrs("x"), n), ret: true,
		unroll: both(4, 4), inputs: []string{"x"}, fillNeg: true, tops: 4,
		setup: func(g *gen) {
			g.ins("VMOVUPS", g.negInf(), c("NegInf"))
			if g.isa == avx512 {
				g.p("\tKXORW K3, K3, K3")
			} else {
				g.ins("VXORPS", g.nanAcc(), g.nanAcc(), g.nanAcc())
			}
		},
		accInit: func(g *gen, l int) { g.ins("VMOVUPS", mx.accReg(g, l), c("NegInf")) },
		acc: func(g *gen, in []string, val, tmp string, l int, tail bool) {
			r := mx.accReg(g, l)
			if g.isa == avx512 {
				g.ins("VCMPPS", "K2", in[0], in[0], "$3")
				g.p("\tKORW K2, K3, K3")
			} else {
				g.ins("VCMPPS", tmp, in[0], in[0], "$3")
				g.ins("VORPS", g.nanAcc(), g.nanAcc(), tmp)
			}
			g.ins("VMAXPS", r, r, in[0])
		},
		finish: hsum(&mx, "VMAXPS", true),
	}
	ess = &kernel{
		name: "expSubSum", doc: "sets dst[i] = e^(x[i]−m) for i < n and returns their sum.",
		args: []arg{{"dst", 'p', "DI"}, {"x", 'p', "SI"}, {"m", 's', "SCALAR"}, n}, ret: true,
		unroll: both(3, 1), dst: "dst", inputs: []string{"x"}, ntmp: 4, setup: expSetup,
		accInit: zeroAcc(&ess),
		body: func(g *gen, in []string, out string, t []string, _ int) {
			g.ins("VSUBPS", in[0], in[0], g.scalar())
			g.exp(out, in[0], g.hi(), g.lo(), t)
		},
		acc: func(g *gen, in []string, val, _ string, l int, tail bool) {
			r := ess.accReg(g, l)
			switch {
			case !tail:
				g.ins("VADDPS", r, r, val)
			case g.isa == avx512:
				g.p("\tVADDPS %s, %s, K1, %s", val, r, r)
			default:
				g.ins("VANDPS", val, val, "Y15")
				g.ins("VADDPS", r, r, val)
			}
		},
		finish: hsum(&ess, "VADDPS", false),
	}
	var ses *kernel
	ses = &kernel{
		name: "sumExpSub", doc: "returns Σ e^(x[i]−m) for i < n, storing nothing.",
		args: []arg{{"x", 'p', "SI"}, {"m", 's', "SCALAR"}, n}, ret: true,
		unroll: both(3, 1), inputs: []string{"x"}, ntmp: 4, setup: expSetup,
		accInit: zeroAcc(&ses),
		body:    ess.body,
		acc: func(g *gen, in []string, val, tmp string, l int, tail bool) {
			r := ses.accReg(g, l)
			switch {
			case !tail:
				g.ins("VADDPS", r, r, val)
			case g.isa == avx512:
				g.p("\tVADDPS %s, %s, K1, %s", val, r, r)
			default:
				g.ins("VANDPS", val, val, "Y15")
				g.ins("VADDPS", r, r, val)
			}
		},
		finish: hsum(&ses, "VADDPS", false),
	}
	ks = append(ks, sum, dot, mx, ess, ses)
	return ks
}
