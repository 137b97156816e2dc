package b

// D doubles x.
func D(x int) int { return 2 * x }
