// Command gemmasm writes kern_amd64.s, the register-blocked GEMM
// micro-kernels of package gemm, for AVX-512 and for AVX2+FMA, in float32
// and float64. Run it through go generate in the package directory:
//
//	go generate ./internal/gemm
//
// Every kernel computes one Mr×Nr tile of C = α·A·B + β·C over k steps.
// A is read by broadcasts at a + i·rsa + p·csa (element strides, so the
// same kernel reads packed slivers and unpacked matrices, transposed or
// not), B by vector loads at b + p·rsb (its Nr columns contiguous).
// Accumulators live in registers for the whole k loop; α scales them at
// the end and β·C is added with one FMA per vector; β = 0 does not read C.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
)

var out = flag.String("out", ".", "directory to write kern_amd64.s into")

type gen struct{ bytes.Buffer }

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.Buffer, "\t"+format+"\n", args...) }
func (g *gen) label(l string)               { fmt.Fprintf(&g.Buffer, "%s:\n", l) }

// rows are the addresses of A's rows 0…7 from base AX with SI = rsa,
// DI = 3·rsa, R11 = 5·rsa, R12 = 7·rsa (bytes).
var rows = []string{"(AX)", "(AX)(SI*1)", "(AX)(SI*2)", "(AX)(DI*1)", "(AX)(SI*4)", "(AX)(R11*1)", "(AX)(DI*2)", "(AX)(R12*1)"}

type dtype struct {
	name  string // F32, F64
	suf   string // PS, PD
	bcast string // VBROADCASTSS, VBROADCASTSD
	size  int
	shift int
	gotyp string
}

var f32 = dtype{"F32", "PS", "VBROADCASTSS", 4, 2, "float32"}
var f64 = dtype{"F64", "PD", "VBROADCASTSD", 8, 3, "float64"}

// prologue loads the loop registers shared by both kernel families.
func (g *gen) prologue(d dtype, mr int) {
	g.p("MOVQ k+0(FP), CX")
	g.p("MOVQ a+8(FP), AX")
	g.p("MOVQ rsa+16(FP), SI")
	g.p("SHLQ $%d, SI", d.shift)
	g.p("MOVQ csa+24(FP), R8")
	g.p("SHLQ $%d, R8", d.shift)
	g.p("MOVQ b+32(FP), BX")
	g.p("MOVQ rsb+40(FP), R9")
	g.p("SHLQ $%d, R9", d.shift)
	g.p("LEAQ (SI)(SI*2), DI")
	g.p("LEAQ (SI)(SI*4), R11")
	if mr > 6 {
		g.p("LEAQ (DI)(SI*4), R12")
	}
}

// avx512 writes the 8×(nv·64/size) AVX-512 kernel, which stores C under
// the mask of its columns, and loads B under it too except in the main
// kernel (nv = 2, mr = 8), where masked loads cost 2–4%: nv = 2 is the main
// 8×32 (float32) or 8×16 (float64) tile, nv = 1 the narrow 8×16 or 8×8
// tile for products with few columns, where a wide tile would mostly
// compute padding.
//
// mr = 12 (with nv = 2) is the tall 12×32 or 12×16 tile for products
// computed transposed, whose rows are few: it reaches rows 8…11 from a
// second base, DX = AX + 8·rsa. mr = 1 (with nv = 2) is the one-row 1×32
// or 1×16 tile for products of a single row, such as a decoder's step,
// which the 8-row kernel would compute 8 times over: row 0 of the main
// kernel, instruction for instruction, so that it gives the same bits.
func (g *gen) avx512(d dtype, nv, mr int) {
	name := "kern512" + d.name
	if nv == 1 {
		name += "Narrow"
	}
	if mr != 8 {
		name += fmt.Sprintf("M%d", mr)
	}
	nacc := mr * nv
	betaOff := 80 + d.size
	frame := betaOff + d.size
	fmt.Fprintf(&g.Buffer, "\n// func %s(k int, a *%s, rsa, csa int, b *%s, rsb int, c *%s, ldc, mr int, mask uint64, alpha, beta %s)\n", name, d.gotyp, d.gotyp, d.gotyp, d.gotyp)
	fmt.Fprintf(&g.Buffer, "TEXT ·%s(SB), NOSPLIT, $0-%d\n", name, frame)
	g.prologue(d, mr)
	if mr > 8 {
		g.p("LEAQ (AX)(SI*8), DX")
	}
	// The mask of the nr columns computed, for stores of C and, in the
	// narrow and tall kernels, loads of B (so that B may be read in place
	// up to its last column).
	g.p("MOVQ mask+72(FP), R14")
	g.p("KMOVQ R14, K1")
	if nv == 2 {
		g.p("KSHIFTRQ $%d, K1, K2", 64/d.size)
	}
	for i := range nacc {
		g.p("VPXORD Z%d, Z%d, Z%d", i, i, i)
	}
	g.label(name + "loop")
	for v := range nv {
		if nv == 2 && mr == 8 { // the main kernel: a plain load is faster
			g.p("VMOVUP%c %s, Z%d", d.suf[1], off(64*v, "(BX)"), bv(v, nacc))
		} else {
			g.p("VMOVUP%c.Z %s, K%d, Z%d", d.suf[1], off(64*v, "(BX)"), v+1, bv(v, nacc))
		}
	}
	for v := range nv {
		g.p("PREFETCHT0 %s", off(64*v, "(BX)(R9*8)"))
	}
	for i := range mr {
		row := rows[i%8]
		if i >= 8 {
			row = strings.Replace(row, "AX", "DX", 1)
		}
		bc := 18 + i   // the broadcast of row i: Z18… after B's, or cycling
		if nacc > 16 { // through the registers left past B's
			bc = nacc + nv + i%(32-nacc-nv)
		}
		g.p("%s %s, Z%d", d.bcast, row, bc)
		for v := range nv {
			g.p("VFMADD231%s Z%d, Z%d, Z%d", d.suf, bv(v, nacc), bc, nv*i+v)
		}
	}
	g.p("ADDQ R8, AX")
	if mr > 8 {
		g.p("ADDQ R8, DX")
	}
	g.p("ADDQ R9, BX")
	g.p("DECQ CX")
	g.p("JNZ %sloop", name)

	g.p("MOVQ c+48(FP), DX")
	g.p("MOVQ ldc+56(FP), R10")
	g.p("SHLQ $%d, R10", d.shift)
	g.p("MOVQ mr+64(FP), R13")
	g.p("%s alpha+80(FP), Z30", d.bcast)
	for i := range nacc {
		g.p("VMUL%s Z30, Z%d, Z%d", d.suf, i, i)
	}
	if d.size == 4 {
		g.p("MOVL beta+%d(FP), AX", betaOff)
		g.p("SHLL $1, AX")
	} else {
		g.p("MOVQ beta+%d(FP), AX", betaOff)
		g.p("SHLQ $1, AX")
	}
	g.p("JZ %snobeta", name)
	g.p("%s beta+%d(FP), Z31", d.bcast, betaOff)
	for i := range mr {
		for v := range nv {
			g.p("VFMADD231%s %s, Z31, K%d, Z%d", d.suf, off(64*v, "(DX)"), v+1, nv*i+v)
		}
		for v := range nv {
			g.p("VMOVUP%c Z%d, K%d, %s", d.suf[1], nv*i+v, v+1, off(64*v, "(DX)"))
		}
		if i < mr-1 {
			g.p("DECQ R13")
			g.p("JZ %sdone", name)
			g.p("ADDQ R10, DX")
		}
	}
	g.p("JMP %sdone", name)
	g.label(name + "nobeta")
	for i := range mr {
		for v := range nv {
			g.p("VMOVUP%c Z%d, K%d, %s", d.suf[1], nv*i+v, v+1, off(64*v, "(DX)"))
		}
		if i < mr-1 {
			g.p("DECQ R13")
			g.p("JZ %sdone", name)
			g.p("ADDQ R10, DX")
		}
	}
	g.label(name + "done")
	g.p("VZEROUPPER")
	g.p("RET")
}

// bv returns the register of the v-th vector of B for a kernel with nacc
// accumulators: Z16, Z17 after 16 accumulators, or right after them.
func bv(v, nacc int) int { return max(nacc, 16) + v }

// off returns the memory operand m displaced by o bytes.
func off(o int, m string) string {
	if o == 0 {
		return m
	}
	return fmt.Sprintf("%d%s", o, m)
}

// avx2 writes the 6×(2·32/size) AVX2+FMA kernel, for full tiles only.
func (g *gen) avx2(d dtype) {
	const mr = 6
	name := "kern256" + d.name
	betaOff := 64 + d.size
	frame := betaOff + d.size
	fmt.Fprintf(&g.Buffer, "\n// func %s(k int, a *%s, rsa, csa int, b *%s, rsb int, c *%s, ldc int, alpha, beta %s)\n", name, d.gotyp, d.gotyp, d.gotyp, d.gotyp)
	fmt.Fprintf(&g.Buffer, "TEXT ·%s(SB), NOSPLIT, $0-%d\n", name, frame)
	g.prologue(d, mr)
	for i := range 12 {
		g.p("VXORPS Y%d, Y%d, Y%d", i, i, i)
	}
	g.label(name + "loop")
	g.p("VMOVUP%c (BX), Y12", d.suf[1])
	g.p("VMOVUP%c 32(BX), Y13", d.suf[1])
	g.p("PREFETCHT0 (BX)(R9*8)")
	for i := range mr {
		r := 14 + i%2
		g.p("%s %s, Y%d", d.bcast, rows[i], r)
		g.p("VFMADD231%s Y12, Y%d, Y%d", d.suf, r, 2*i)
		g.p("VFMADD231%s Y13, Y%d, Y%d", d.suf, r, 2*i+1)
	}
	g.p("ADDQ R8, AX")
	g.p("ADDQ R9, BX")
	g.p("DECQ CX")
	g.p("JNZ %sloop", name)

	g.p("MOVQ c+48(FP), DX")
	g.p("MOVQ ldc+56(FP), R10")
	g.p("SHLQ $%d, R10", d.shift)
	g.p("%s alpha+64(FP), Y14", d.bcast)
	for i := range 12 {
		g.p("VMUL%s Y14, Y%d, Y%d", d.suf, i, i)
	}
	if d.size == 4 {
		g.p("MOVL beta+%d(FP), AX", betaOff)
		g.p("SHLL $1, AX")
	} else {
		g.p("MOVQ beta+%d(FP), AX", betaOff)
		g.p("SHLQ $1, AX")
	}
	g.p("JZ %snobeta", name)
	g.p("%s beta+%d(FP), Y15", d.bcast, betaOff)
	for i := range mr {
		g.p("VFMADD231%s (DX), Y15, Y%d", d.suf, 2*i)
		g.p("VFMADD231%s 32(DX), Y15, Y%d", d.suf, 2*i+1)
		g.p("VMOVUP%c Y%d, (DX)", d.suf[1], 2*i)
		g.p("VMOVUP%c Y%d, 32(DX)", d.suf[1], 2*i+1)
		if i < mr-1 {
			g.p("ADDQ R10, DX")
		}
	}
	g.p("VZEROUPPER")
	g.p("RET")
	g.label(name + "nobeta")
	for i := range mr {
		g.p("VMOVUP%c Y%d, (DX)", d.suf[1], 2*i)
		g.p("VMOVUP%c Y%d, 32(DX)", d.suf[1], 2*i+1)
		if i < mr-1 {
			g.p("ADDQ R10, DX")
		}
	}
	g.p("VZEROUPPER")
	g.p("RET")
}

// transpose writes the in-register transpose of a square block, 16×16
// (float32) or 8×8 (float64), for packing a transposed operand:
//
//	dst[j·ldd + i] = src[i·lds + j]    (i < rows, j < 64/size)
//	dst[j·ldd + i] = 0                 (rows ≤ i < 64/size)
//
// with strides in elements, where only the columns i of dst set in mask
// are written. Rows go into Z0…, the unpacks and lane shuffles through
// Z16….
func (g *gen) transpose(d dtype) {
	n := 64 / d.size
	name := "transpose" + d.name
	fmt.Fprintf(&g.Buffer, "\n// func %s(dst *%s, ldd int, src *%s, lds int, rows int, mask uint64)\n", name, d.gotyp, d.gotyp)
	fmt.Fprintf(&g.Buffer, "TEXT ·%s(SB), NOSPLIT, $0-48\n", name)
	g.p("MOVQ dst+0(FP), DI")
	g.p("MOVQ ldd+8(FP), DX")
	g.p("SHLQ $%d, DX", d.shift)
	g.p("MOVQ src+16(FP), SI")
	g.p("MOVQ lds+24(FP), BX")
	g.p("SHLQ $%d, BX", d.shift)
	g.p("MOVQ rows+32(FP), CX")
	g.p("MOVQ mask+40(FP), R8")
	g.p("KMOVQ R8, K1")
	for i := range n {
		g.p("VPXORD Z%d, Z%d, Z%d", i, i, i)
	}
	for i := range n {
		g.p("CMPQ CX, $%d", i)
		g.p("JLE %sloaded", name)
		g.p("VMOVUP%c (SI), Z%d", d.suf[1], i)
		if i < n-1 {
			g.p("ADDQ BX, SI")
		}
	}
	g.label(name + "loaded")
	r := func(i int) int { return i }
	t := func(i int) int { return 16 + i }
	out := r // the registers holding the columns
	// Intel operand order in the comments: op(a, b) is OP b, a, dst here.
	unpack := func(src func(int) int, dst func(int) int) {
		for i := 0; i < n; i += 2 {
			g.p("VUNPCKL%s Z%d, Z%d, Z%d", d.suf, src(i+1), src(i), dst(i))
			g.p("VUNPCKH%s Z%d, Z%d, Z%d", d.suf, src(i+1), src(i), dst(i+1))
		}
	}
	lanes := func(op string, a, b, dst int, imm int) {
		g.p("%s $0x%02x, Z%d, Z%d, Z%d", op, imm, b, a, dst)
	}
	if d.size == 4 {
		unpack(r, t) // t[2q], t[2q+1]: unpacklo, unpackhi of rows 2q, 2q+1
		for q := 0; q < n; q += 4 {
			lanes("VSHUFPS", t(q), t(q+2), r(q), 0x44)
			lanes("VSHUFPS", t(q), t(q+2), r(q+1), 0xee)
			lanes("VSHUFPS", t(q+1), t(q+3), r(q+2), 0x44)
			lanes("VSHUFPS", t(q+1), t(q+3), r(q+3), 0xee)
		}
		for h := 0; h < 16; h += 8 {
			for c := range 4 {
				lanes("VSHUFF32X4", r(h+c), r(h+c+4), t(h+c), 0x88)
				lanes("VSHUFF32X4", r(h+c), r(h+c+4), t(h+c+4), 0xdd)
			}
		}
		for c := range 8 {
			lanes("VSHUFF32X4", t(c), t(c+8), r(c), 0x88)
			lanes("VSHUFF32X4", t(c), t(c+8), r(c+8), 0xdd)
		}
	} else {
		unpack(r, t)
		for q := 0; q < n; q += 4 {
			lanes("VSHUFF64X2", t(q), t(q+2), r(q), 0x88)
			lanes("VSHUFF64X2", t(q+1), t(q+3), r(q+1), 0x88)
			lanes("VSHUFF64X2", t(q), t(q+2), r(q+2), 0xdd)
			lanes("VSHUFF64X2", t(q+1), t(q+3), r(q+3), 0xdd)
		}
		for c := range 4 {
			lanes("VSHUFF64X2", r(c), r(c+4), t(c), 0x88)
			lanes("VSHUFF64X2", r(c), r(c+4), t(c+4), 0xdd)
		}
		out = t
	}
	for i := range n {
		g.p("VMOVUP%c Z%d, K1, (DI)", d.suf[1], out(i))
		if i < n-1 {
			g.p("ADDQ DX, DI")
		}
	}
	g.p("VZEROUPPER")
	g.p("RET")
}

// copyRows copies rows of up to 32 four-byte words from a strided source
// into a strided destination, the words of each row under mask (low 16
// in the first vector, high 16 in the second), for packing slivers whose
// rows are contiguous in the source:
//
//	dst[r·ldd + w] = src[r·lds + w]    (r < rows, bit w of mask set)
//
// with strides in words. Masked loads suppress faults, so a row may end
// at the end of its slice. Two rows per iteration.
func (g *gen) copyRows() {
	g.WriteString("\n// func copyRows(dst *float32, ldd int, src *float32, lds int, rows int, mask uint64)\n")
	g.WriteString("TEXT ·copyRows(SB), NOSPLIT, $0-48\n")
	g.p("MOVQ dst+0(FP), DI")
	g.p("MOVQ ldd+8(FP), DX")
	g.p("SHLQ $2, DX")
	g.p("MOVQ src+16(FP), SI")
	g.p("MOVQ lds+24(FP), BX")
	g.p("SHLQ $2, BX")
	g.p("MOVQ rows+32(FP), CX")
	g.p("MOVQ mask+40(FP), R8")
	g.p("KMOVQ R8, K1")
	g.p("KSHIFTRQ $16, K1, K2")
	g.label("copyRowsPair")
	g.p("CMPQ CX, $2")
	g.p("JLT copyRowsOne")
	g.p("VMOVDQU32.Z (SI), K1, Z0")
	g.p("VMOVDQU32.Z 64(SI), K2, Z1")
	g.p("VMOVDQU32.Z (SI)(BX*1), K1, Z2")
	g.p("VMOVDQU32.Z 64(SI)(BX*1), K2, Z3")
	g.p("VMOVDQU32 Z0, K1, (DI)")
	g.p("VMOVDQU32 Z1, K2, 64(DI)")
	g.p("VMOVDQU32 Z2, K1, (DI)(DX*1)")
	g.p("VMOVDQU32 Z3, K2, 64(DI)(DX*1)")
	g.p("LEAQ (SI)(BX*2), SI")
	g.p("LEAQ (DI)(DX*2), DI")
	g.p("SUBQ $2, CX")
	g.p("JMP copyRowsPair")
	g.label("copyRowsOne")
	g.p("TESTQ CX, CX")
	g.p("JEQ copyRowsDone")
	g.p("VMOVDQU32.Z (SI), K1, Z0")
	g.p("VMOVDQU32.Z 64(SI), K2, Z1")
	g.p("VMOVDQU32 Z0, K1, (DI)")
	g.p("VMOVDQU32 Z1, K2, 64(DI)")
	g.label("copyRowsDone")
	g.p("VZEROUPPER")
	g.p("RET")
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("gemmasm: ")
	flag.Parse()
	var g gen
	g.WriteString("// Code generated by gemmasm (internal/gemm/_asm); DO NOT EDIT.\n\n//go:build !purego\n\n#include \"textflag.h\"\n")
	g.avx512(f32, 2, 8)
	g.avx512(f64, 2, 8)
	g.avx512(f32, 1, 8)
	g.avx512(f64, 1, 8)
	g.avx512(f32, 2, 12)
	g.avx512(f64, 2, 12)
	g.avx512(f32, 2, 1)
	g.avx512(f64, 2, 1)
	g.transpose(f32)
	g.transpose(f64)
	g.copyRows()
	g.avx2(f32)
	g.avx2(f64)
	if err := os.WriteFile(filepath.Join(*out, "kern_amd64.s"), g.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
