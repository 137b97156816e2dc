//go:build purego || !amd64

package gemm

// Without assembly only the pure-Go kernel runs.

func asmKernels32() []*kernel[float32] { return nil }
func asmKernels64() []*kernel[float64] { return nil }

func asmNarrow32() *kernel[float32] { return nil }
func asmNarrow64() *kernel[float64] { return nil }
func asmTall32() *kernel[float32]   { return nil }
func asmTall64() *kernel[float64]   { return nil }

func transposeSide(uintptr) int { return 0 }

func transposeBlock[T Float](*T, int, *T, int, int, int) { panic("gemm: no transpose kernel") }

func moveRows[T Float](*T, int, *T, int, int, int) bool { return false }
