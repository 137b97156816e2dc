//go:build fashion

package mnist

import (
	"math"
	"slices"
	"testing"
)

// The Fashion-MNIST files of Debian's dataset-fashion-mnist package, which
// test.sh installs: this test fails, with the message naming the package,
// where they are missing.
func TestFashionFiles(t *testing.T) {
	tr, test, err := LoadFashion("")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 60000 || test.Len() != 10000 || tr.Features() != 784 || tr.Classes != 10 {
		t.Fatalf("%d training and %d test examples of %d pixels in %d classes", tr.Len(), test.Len(), tr.Features(), tr.Classes)
	}
	if !slices.Equal(tr.ExampleShape(), []int{1, 28, 28}) || !slices.Equal(test.ExampleShape(), []int{1, 28, 28}) {
		t.Errorf("example shapes %v and %v", tr.ExampleShape(), test.ExampleShape())
	}
	// Both sets are balanced: 6000 and 1000 examples of every class.
	for _, c := range []struct {
		y    []int
		each int
	}{{tr.Y, 6000}, {test.Y, 1000}} {
		count := make([]int, 10)
		for _, y := range c.y {
			count[y]++
		}
		for k, n := range count {
			if n != c.each {
				t.Errorf("class %d has %d examples, want %d", k, n, c.each)
			}
		}
	}
	// The first examples of each set are ankle boots (label 9), and the
	// pixels' statistics are Fashion-MNIST's known ones.
	if tr.Y[0] != 9 || test.Y[0] != 9 {
		t.Errorf("first labels %d and %d, want 9 (ankle boot)", tr.Y[0], test.Y[0])
	}
	mean, std := tr.Stats()
	if math.Abs(mean-0.2860) > 5e-4 || math.Abs(std-0.3530) > 5e-4 {
		t.Errorf("pixel mean %.4f and std %.4f, want 0.2860 and 0.3530", mean, std)
	}
}
