//go:build purego || !amd64

package gemm

// Without assembly only the pure-Go kernel runs.

func asmKernels32() []*kernel[float32] { return nil }
func asmKernels64() []*kernel[float64] { return nil }
