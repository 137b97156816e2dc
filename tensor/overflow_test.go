package tensor

import (
	"strings"
	"testing"
)

// A shape whose size overflows int is refused with a clear panic, not
// wrapped around into a small allocation.
func TestNumelOverflow(t *testing.T) {
	for _, shape := range [][]int{
		{1 << 40, 1 << 40},
		{1 << 32, 1 << 32}, // exactly 2⁶⁴: wraps to 0
		{3, 1 << 62},       // wraps to a small positive number
		{1 << 20, 1 << 20, 1 << 20},
	} {
		func() {
			defer func() {
				r := recover()
				e, ok := r.(*Error)
				if !ok || !strings.Contains(e.Error(), "tensor: New: shape ") || !strings.Contains(e.Error(), "elements") {
					t.Errorf("New(%v): recovered %v", shape, r)
				}
			}()
			New(Float32, shape...)
		}()
	}
	// A zero dimension makes any shape empty.
	if n := New(Float32, 1<<62, 0, 1<<62).Len(); n != 0 {
		t.Errorf("%d elements", n)
	}
}
