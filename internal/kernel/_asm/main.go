// Command _asm writes the assembly of package kernel: one file per
// instruction set (AVX-512 and AVX2+FMA) and the Go declarations of the
// functions in them. Run it with go generate in package kernel.
//
// The generator is plain Go printing Go assembly, not avo: each kernel is
// a loop skeleton (unrolled body, one-vector loop, masked tail) around a
// body written once for both instruction sets. Instructions are written
// here in Intel operand order (destination first) through ins, which
// reverses them into Go's order.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"strings"
)

type isa struct {
	name  string // "AVX512" or "AVX2"
	w     int    // float32 lanes per vector
	reg   string // "Z" or "Y"
	nregs int
}

var (
	avx512 = &isa{"AVX512", 16, "Z", 32}
	avx2   = &isa{"AVX2", 8, "Y", 16}
)

type gen struct {
	b   bytes.Buffer
	isa *isa
}

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.b, format+"\n", args...) }

// ins emits op with its operands given in Intel order (destination first).
func (g *gen) ins(op string, operands ...string) {
	r := make([]string, len(operands))
	for i, o := range operands {
		r[len(operands)-1-i] = o
	}
	g.p("\t%s %s", op, strings.Join(r, ", "))
}

func (g *gen) v(i int) string { return fmt.Sprintf("%s%d", g.isa.reg, i) }

// c names a constant vector in memory (64 bytes, enough for either ISA).
func c(name string) string { return "·k" + name + "<>(SB)" }

// Constants shared by the kernels, as float32 bit patterns or int32s.
type konst struct {
	name string
	bits uint32
}

func f(x float32) uint32 { return math.Float32bits(x) }

// The exp approximation (see exp.go in package kernel for the reference
// and its error): clamp x to [expLo, expHi], n = round(x·log₂e),
// r = x − n·ln2 in two parts, eʳ ≈ 1 + r + r²·P(r), scaled by 2ⁿ in two
// halves so that subnormal results are rounded once.
var consts = []konst{
	{"One", f(1)},
	{"Zero", 0},
	{"NegInf", 0xff800000},
	{"Abs", 0x7fffffff},
	{"Sign", 0x80000000},
	{"ExpHi", f(89)},
	{"ExpLo", f(-104)},
	{"Log2e", f(1.44269504088896341)},
	{"Ln2Hi", f(0.693145751953125)},
	{"Ln2Lo", f(1.428606765330187045e-06)},
	{"P0", f(1.9875691500e-4)},
	{"P1", f(1.3981999507e-3)},
	{"P2", f(8.3334519073e-3)},
	{"P3", f(4.1665795894e-2)},
	{"P4", f(1.6666665459e-1)},
	{"P5", f(5.0000001201e-1)},
	{"Bias", 127},
	{"Minus2", f(-2)},
	{"TanhSmall", f(0.625)},
	{"T0", f(-0.333332807)},
	{"T1", f(0.133314416)},
	{"T2", f(-0.0537397116)},
	{"T3", f(0.0206390712)},
	{"T4", f(-0.00570497103)},
	// GELU, exact form (see geluErfc in package kernel): Φ(x) from
	// ½erfc(|x|/√2) ≈ t·(G1 + t·(G2 + … + t·G5))·e^(−x²/2), t = 1/(1 +
	// GP·|x|), Abramowitz and Stegun's 7.1.26 halved.
	{"MinusHalf", f(-0.5)},
	{"GP", f(0.3275911 * 0.70710678118654752440)},
	{"G1", f(0.254829592 / 2)},
	{"G2", f(-0.284496736 / 2)},
	{"G3", f(1.421413741 / 2)},
	{"G4", f(-1.453152027 / 2)},
	{"G5", f(1.061405429 / 2)},
	{"InvSqrt2Pi", f(0.39894228040143267794)},
}

// arg is one argument of an assembly function.
type arg struct {
	name string
	kind byte // 'p' pointer, 's' float32 scalar, 'n' int length
	reg  string
}

type kernel struct {
	name    string // Go name without the ISA suffix
	doc     string
	args    []arg
	ret     bool // returns float32
	unroll  map[string]int
	dst     string   // pointer argument written, "" for reductions
	inputs  []string // pointer arguments read, in body order
	setup   func(g *gen)
	body    func(g *gen, in []string, out string, tmp []string, lane int)
	acc     func(g *gen, in []string, val, tmp string, lane int, tail bool) // reductions: fold into lane's accumulator
	accInit func(g *gen, lane int)
	finish  func(g *gen, unroll int, retOff int)
	nacc    int // accumulator registers per lane (reductions)
	ntmp    int
	fillNeg bool // masked-off lanes of the tail read −∞ instead of 0
	tops    int  // top registers reserved (0: derived from the arguments)
}

// Register plan: GP pointers in DI, SI, DX, R8; n in CX; index AX; count
// left BX. Vector registers: per unrolled lane, inputs, output and
// temporaries from the bottom; accumulators and constants from the top.
const tailMask512 = "K1"
const tailMaskAVX2 = "Y15"

func (g *gen) kernel(k *kernel) {
	is := g.isa
	u := k.unroll[is.name]
	// Frame layout.
	off := 0
	g.p("")
	g.p("// func %s%s(%s)%s", k.name, is.name, goParams(k), retStr(k))
	type loc struct {
		a   arg
		off int
	}
	var locs []loc
	for _, a := range k.args {
		sz := 8
		if a.kind == 's' {
			sz = 4
		}
		if off%sz != 0 {
			off += sz - off%sz
		}
		locs = append(locs, loc{a, off})
		off += sz
	}
	if off%8 != 0 {
		off += 8 - off%8
	}
	retOff := off
	size := off
	if k.ret {
		size += 4
	}
	g.p("TEXT ·%s%s(SB), NOSPLIT, $0-%d", k.name, is.name, size)
	for _, l := range locs {
		switch l.a.kind {
		case 'p', 'n':
			g.p("\tMOVQ %s+%d(FP), %s", l.a.name, l.off, l.a.reg)
		case 's':
			g.p("\tVBROADCASTSS %s+%d(FP), %s", l.a.name, l.off, g.scalar())
		}
	}
	if k.setup != nil {
		k.setup(g)
	}
	for l := 0; l < u; l++ {
		if k.accInit != nil {
			k.accInit(g, l)
		}
	}
	g.p("\tXORQ AX, AX")
	g.p("\tMOVQ CX, BX")
	ptr := map[string]string{}
	for _, a := range k.args {
		if a.kind == 'p' {
			ptr[a.name] = a.reg
		}
	}
	nin := len(k.inputs)
	laneRegs := nin + 1 + k.ntmp
	// The lanes' registers and the accumulators must stay below the top
	// registers the kernel uses: the AVX2 tail mask, the scalar, the exp
	// bounds (see top in kernels.go).
	tops := k.tops
	if tops == 0 {
		tops = 1
		for _, a := range k.args {
			if a.kind == 's' {
				tops = 3
			}
		}
		if k.setup != nil {
			tops = 5
		}
	}
	need := u * laneRegs
	if k.accInit != nil {
		need += u
	}
	if need > is.nregs-tops {
		log.Fatalf("%s%s: needs %d vector registers, %d are free", k.name, is.name, need, is.nregs-tops)
	}
	block := func(lanes int, tail bool, nt ...bool) {
		for l := 0; l < lanes; l++ {
			base := l * laneRegs
			in := make([]string, nin)
			for i := range in {
				in[i] = g.v(base + i)
			}
			out := g.v(base + nin)
			tmp := make([]string, k.ntmp)
			for i := range tmp {
				tmp[i] = g.v(base + nin + 1 + i)
			}
			for i, name := range k.inputs {
				mem := fmt.Sprintf("%d(%s)(AX*4)", l*is.w*4, ptr[name])
				g.load(in[i], mem, tail, k.fillNeg)
			}
			if k.body != nil {
				k.body(g, in, out, tmp, l)
			}
			if k.dst != "" {
				mem := fmt.Sprintf("%d(%s)(AX*4)", l*is.w*4, ptr[k.dst])
				if len(nt) > 0 {
					g.p("\tVMOVNTPS %s, %s", out, mem)
				} else {
					g.store(out, mem, tail)
				}
			}
			if k.acc != nil {
				k.acc(g, in, out, out, l, tail)
			}
		}
	}
	if k.dst != "" {
		// Slices larger than the caches: align dst with a masked head,
		// then store around the caches (no read for ownership), then
		// finish in the loops below.
		g.p("\tCMPQ CX, $%d", ntMin)
		g.p("\tJLT cached")
		g.p("\tMOVQ %s, R11", ptr[k.dst])
		g.p("\tNEGQ R11")
		g.p("\tANDQ $%d, R11", is.w*4-1)
		g.p("\tSHRQ $2, R11")
		g.p("\tJEQ stream")
		g.mask("R11")
		block(1, true)
		g.p("\tADDQ R11, AX")
		g.p("\tSUBQ R11, BX")
		g.p("stream:")
		g.p("\tCMPQ BX, $%d", u*is.w)
		g.p("\tJLT streamed")
		block(u, false, true)
		g.p("\tADDQ $%d, AX", u*is.w)
		g.p("\tSUBQ $%d, BX", u*is.w)
		g.p("\tJMP stream")
		g.p("streamed:")
		g.p("\tSFENCE")
		g.p("\tJMP one")
		g.p("cached:")
	}
	if u > 1 {
		g.p("\tCMPQ BX, $%d", u*is.w)
		g.p("\tJLT one")
		g.p("loop:")
		block(u, false)
		g.p("\tADDQ $%d, AX", u*is.w)
		g.p("\tSUBQ $%d, BX", u*is.w)
		g.p("\tCMPQ BX, $%d", u*is.w)
		g.p("\tJGE loop")
	}
	g.p("one:")
	g.p("\tCMPQ BX, $%d", is.w)
	g.p("\tJLT tail")
	block(1, false)
	g.p("\tADDQ $%d, AX", is.w)
	g.p("\tSUBQ $%d, BX", is.w)
	g.p("\tJMP one")
	g.p("tail:")
	g.p("\tTESTQ BX, BX")
	g.p("\tJEQ done")
	g.mask("BX")
	block(1, true)
	g.p("done:")
	if k.finish != nil {
		k.finish(g, u, retOff)
	}
	g.p("\tVZEROUPPER")
	g.p("\tRET")
}

// ntMin is the length from which kernels with a destination store it with
// non-temporal stores: 4 Mi elements, 16 MiB per slice, so that the
// slices of one call do not fit in the 32 MiB L3.
const ntMin = 4 << 20

// mask sets the tail mask (K1, or Y15 for AVX2) to the first count lanes,
// count in 0…W−1 held in the register count.
func (g *gen) mask(count string) {
	if g.isa == avx512 {
		g.p("\tLEAQ ·kMask16<>(SB), R9")
		g.p("\tKMOVW (R9)(%s*2), K1", count)
		return
	}
	g.p("\tLEAQ ·kMask8<>+32(SB), R9")
	g.p("\tMOVQ %s, R10", count)
	g.p("\tSHLQ $2, R10")
	g.p("\tSUBQ R10, R9")
	g.p("\tVMOVDQU (R9), Y15")
}

func (g *gen) load(dst, mem string, tail, fillNeg bool) {
	switch {
	case !tail:
		g.p("\tVMOVUPS %s, %s", mem, dst)
	case g.isa == avx512 && fillNeg:
		g.p("\tVMOVUPS %s, %s", c("NegInf"), dst)
		g.p("\tVMOVUPS %s, K1, %s", mem, dst)
	case g.isa == avx512:
		g.p("\tVMOVUPS.Z %s, K1, %s", mem, dst)
	case fillNeg:
		// Y14 holds −∞ in kernels that read the tail this way.
		g.p("\tVMASKMOVPS %s, Y15, %s", mem, dst)
		g.ins("VBLENDVPS", dst, "Y14", dst, "Y15")
	default:
		g.p("\tVMASKMOVPS %s, Y15, %s", mem, dst)
	}
}

func (g *gen) store(src, mem string, tail bool) {
	switch {
	case !tail:
		g.p("\tVMOVUPS %s, %s", src, mem)
	case g.isa == avx512:
		g.p("\tVMOVUPS %s, K1, %s", src, mem)
	default:
		g.p("\tVMASKMOVPS %s, Y15, %s", src, mem)
	}
}

// exp computes out = eˣ for the vector x (preserved unless it is out),
// using four temporaries; hi and lo hold the clamp bounds.
func (g *gen) exp(out, x, hi, lo string, t []string) {
	a, b, cc, z := t[0], t[1], t[2], t[3]
	g.ins("VMINPS", a, hi, x) // hi < x ? hi : x; NaN passes
	g.ins("VMAXPS", a, lo, a)
	g.ins("VMULPS", b, a, c("Log2e"))
	if g.isa == avx512 {
		g.p("\tVRNDSCALEPS $0, %s, %s", b, b)
	} else {
		g.p("\tVROUNDPS $0, %s, %s", b, b)
	}
	g.ins("VFNMADD231PS", a, b, c("Ln2Hi"))
	g.ins("VFNMADD231PS", a, b, c("Ln2Lo"))
	g.ins("VCVTPS2DQ", b, b)
	g.ins("VMOVUPS", cc, c("P0"))
	for _, p := range []string{"P1", "P2", "P3", "P4", "P5"} {
		g.ins("VFMADD213PS", cc, a, c(p))
	}
	g.ins("VMULPS", z, a, a)
	g.ins("VFMADD213PS", cc, z, a)
	g.ins("VADDPS", cc, cc, c("One"))
	g.ins("VPSRAD", a, b, "$1")
	g.ins("VPSUBD", b, b, a)
	g.ins("VPADDD", a, a, c("Bias"))
	g.ins("VPSLLD", a, a, "$23")
	g.ins("VPADDD", b, b, c("Bias"))
	g.ins("VPSLLD", b, b, "$23")
	g.ins("VMULPS", cc, cc, a)
	g.ins("VMULPS", out, cc, b)
}

// sel sets dst = cond ? src : dst, where cond is the result of comparing
// x with the constant k by predicate pred.
func (g *gen) sel(dst, src, x, k string, pred int, m string) {
	if g.isa == avx512 {
		g.ins("VCMPPS", "K2", x, k, fmt.Sprintf("$%d", pred))
		g.p("\tVMOVAPS %s, K2, %s", src, dst)
		return
	}
	g.ins("VCMPPS", m, x, k, fmt.Sprintf("$%d", pred))
	g.ins("VBLENDVPS", dst, dst, src, m)
}

const (
	cmpLT  = 0x11 // LT_OQ
	cmpGT  = 0x1e // GT_OQ
	cmpNLE = 0x16 // NLE_UQ: not ≤, true for NaN
)

func goParams(k *kernel) string {
	var s []string
	for _, a := range k.args {
		t := map[byte]string{'p': "*float32", 's': "float32", 'n': "int"}[a.kind]
		s = append(s, a.name+" "+t)
	}
	return strings.Join(s, ", ")
}

func retStr(k *kernel) string {
	if k.ret {
		return " float32"
	}
	return ""
}

func main() {
	out := flag.String("out", "..", "directory of package kernel")
	flag.Parse()
	ks := kernels()
	for _, is := range []*isa{avx512, avx2} {
		g := &gen{isa: is}
		g.p("// Code generated by _asm/main.go; DO NOT EDIT.")
		g.p("")
		g.p("//go:build !purego")
		g.p("")
		g.p("#include \"textflag.h\"")
		g.constants()
		for _, k := range ks {
			g.kernel(k)
		}
		write(filepath.Join(*out, "kernel_"+strings.ToLower(is.name)+"_amd64.s"), g.b.Bytes())
	}
	var d gen
	d.p("// Code generated by _asm/main.go; DO NOT EDIT.")
	d.p("")
	d.p("//go:build !purego")
	d.p("")
	d.p("package kernel")
	for _, is := range []*isa{avx512, avx2} {
		for _, k := range ks {
			d.p("")
			d.p("// %s%s %s", k.name, is.name, k.doc)
			d.p("//")
			d.p("//go:noescape")
			d.p("func %s%s(%s)%s", k.name, is.name, goParams(k), retStr(k))
		}
	}
	write(filepath.Join(*out, "decl_amd64.go"), d.b.Bytes())
}

func write(name string, b []byte) {
	if err := os.WriteFile(name, b, 0o644); err != nil {
		log.Fatal(err)
	}
}

// constants emits the file-local constant vectors and tail masks.
func (g *gen) constants() {
	g.p("")
	for _, k := range consts {
		for i := 0; i < 16; i++ {
			g.p("DATA ·k%s<>+%d(SB)/4, $0x%08x", k.name, 4*i, k.bits)
		}
		g.p("GLOBL ·k%s<>(SB), RODATA|NOPTR, $64", k.name)
	}
	for i := 0; i <= 16; i++ {
		g.p("DATA ·kMask16<>+%d(SB)/2, $0x%04x", 2*i, (1<<i)-1)
	}
	g.p("GLOBL ·kMask16<>(SB), RODATA|NOPTR, $34")
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		g.p("DATA ·kMask8<>+%d(SB)/4, $0x%08x", 4*i, v)
	}
	g.p("GLOBL ·kMask8<>(SB), RODATA|NOPTR, $64")

}
