//go:build fashion

package mnist

import (
	"image"
	"image/color"
	"math"
	"slices"
	"testing"

	"backprop/tensor"
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

// A Fashion-MNIST test image drawn as a photograph would show it — dark
// on white, three times the size, off centre on a wider canvas — comes
// back from FromClothesImage close to the original, where FromImage (the
// digits' preprocessing, which shrinks it to 20×20) does not.
func TestFromClothesImageRoundTrip(t *testing.T) {
	dir, err := DefaultFashionDir()
	if err != nil {
		t.Fatal(err)
	}
	test, err := LoadSet(dir, "t10k")
	if err != nil {
		t.Fatal(err)
	}
	var clothes, digits float64
	const n = 200
	for i := range n {
		img := image.NewGray(image.Rect(0, 0, 100, 84))
		for p := range img.Pix {
			img.Pix[p] = 255
		}
		for y := range 84 {
			for x := range 84 {
				img.SetGray(x+8, y, color.Gray{uint8(255 - math.Round(255*test.X.At(i, (y/3)*28+x/3)))})
			}
		}
		want := tensor.Slice(test.X, 0, i, i+1)
		for _, c := range []struct {
			f   func(image.Image) (*tensor.Tensor, error)
			sum *float64
		}{{FromClothesImage, &clothes}, {FromImage, &digits}} {
			x, err := c.f(img)
			if err != nil {
				t.Fatalf("image %d: %v", i, err)
			}
			d := 0.0
			for k := range 784 {
				d += math.Abs(x.At(0, k) - want.At(0, k))
			}
			*c.sum += d / 784
		}
	}
	t.Logf("mean |difference| per pixel: FromClothesImage %.4f, FromImage %.4f", clothes/n, digits/n)
	// Not 0: the pictures' garments do not all span 28 pixels, and
	// rescaling the crop blurs them a little.
	if clothes/n > 0.07 || clothes > digits/3 {
		t.Errorf("mean |difference| per pixel: FromClothesImage %.4f, FromImage %.4f: want FromClothesImage ≤ 0.07 and under a third of FromImage", clothes/n, digits/n)
	}
}
