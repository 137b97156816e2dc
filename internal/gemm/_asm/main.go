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

// avx512 writes the 8×(2·16/size·4) AVX-512 kernel.
func (g *gen) avx512(d dtype) {
	const mr = 8
	name := "kern512" + d.name
	betaOff := 80 + d.size
	frame := betaOff + d.size
	fmt.Fprintf(&g.Buffer, "\n// func %s(k int, a *%s, rsa, csa int, b *%s, rsb int, c *%s, ldc, mr int, mask uint64, alpha, beta %s)\n", name, d.gotyp, d.gotyp, d.gotyp, d.gotyp)
	fmt.Fprintf(&g.Buffer, "TEXT ·%s(SB), NOSPLIT, $0-%d\n", name, frame)
	g.prologue(d, mr)
	for i := range 16 {
		g.p("VPXORD Z%d, Z%d, Z%d", i, i, i)
	}
	g.label(name + "loop")
	g.p("VMOVUP%c (BX), Z16", d.suf[1])
	g.p("VMOVUP%c 64(BX), Z17", d.suf[1])
	g.p("PREFETCHT0 (BX)(R9*8)")
	g.p("PREFETCHT0 64(BX)(R9*8)")
	for i := range mr {
		g.p("%s %s, Z%d", d.bcast, rows[i], 18+i)
		g.p("VFMADD231%s Z16, Z%d, Z%d", d.suf, 18+i, 2*i)
		g.p("VFMADD231%s Z17, Z%d, Z%d", d.suf, 18+i, 2*i+1)
	}
	g.p("ADDQ R8, AX")
	g.p("ADDQ R9, BX")
	g.p("DECQ CX")
	g.p("JNZ %sloop", name)

	g.p("MOVQ c+48(FP), DX")
	g.p("MOVQ ldc+56(FP), R10")
	g.p("SHLQ $%d, R10", d.shift)
	g.p("MOVQ mr+64(FP), R13")
	g.p("MOVQ mask+72(FP), R14")
	g.p("KMOVQ R14, K1")
	g.p("KSHIFTRQ $%d, K1, K2", 64/d.size)
	g.p("%s alpha+80(FP), Z30", d.bcast)
	for i := range 16 {
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
		g.p("VFMADD231%s (DX), Z31, K1, Z%d", d.suf, 2*i)
		g.p("VFMADD231%s 64(DX), Z31, K2, Z%d", d.suf, 2*i+1)
		g.p("VMOVUP%c Z%d, K1, (DX)", d.suf[1], 2*i)
		g.p("VMOVUP%c Z%d, K2, 64(DX)", d.suf[1], 2*i+1)
		if i < mr-1 {
			g.p("DECQ R13")
			g.p("JZ %sdone", name)
			g.p("ADDQ R10, DX")
		}
	}
	g.p("JMP %sdone", name)
	g.label(name + "nobeta")
	for i := range mr {
		g.p("VMOVUP%c Z%d, K1, (DX)", d.suf[1], 2*i)
		g.p("VMOVUP%c Z%d, K2, 64(DX)", d.suf[1], 2*i+1)
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

func main() {
	log.SetFlags(0)
	log.SetPrefix("gemmasm: ")
	flag.Parse()
	var g gen
	g.WriteString("// Code generated by gemmasm (internal/gemm/_asm); DO NOT EDIT.\n\n//go:build !purego\n\n#include \"textflag.h\"\n")
	g.avx512(f32)
	g.avx512(f64)
	g.avx2(f32)
	g.avx2(f64)
	if err := os.WriteFile(filepath.Join(*out, "kern_amd64.s"), g.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
