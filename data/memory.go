package data

import "backprop/internal/memory"

// Bytes returns the memory, in bytes, that a float32 Dataset of examples
// rows of features inputs takes, its inputs and its labels: what to weigh
// before making one whose size comes from outside, such as Spiral's. It
// saturates at math.MaxInt64.
func Bytes(examples, features int) int64 {
	n := int64(examples)
	return memory.Add(memory.Mul(4, n, int64(features)), memory.Mul(8, n))
}
