//go:build !amd64 || purego

package kernel

// simdVariants returns no variants: without assembly only Go remains.
func simdVariants() []*Variant { return nil }
