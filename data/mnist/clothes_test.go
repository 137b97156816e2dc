package mnist

import (
	"image"
	"image/color"
	"testing"

	"backprop/tensor"
)

// A dark, wide garment on a white photograph of another size becomes a
// light garment on black whose longer side spans the field, centred.
func TestFromClothesImage(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 200, 120))
	for y := range 120 {
		for x := range 200 {
			c := color.RGBA{255, 255, 255, 255}
			if x >= 40 && x < 160 && y >= 30 && y < 90 { // 120×60, a 2:1 garment
				c = color.RGBA{40, 40, 60, 255}
			}
			img.Set(x, y, c)
		}
	}
	x, err := FromClothesImage(img)
	if err != nil {
		t.Fatal(err)
	}
	px := x.Float32s()
	// 28×14 of light pixels, rows 7 to 20.
	for y := range Side {
		for c := range Side {
			inside := y >= 7 && y < 21
			if v := px[y*Side+c]; inside && v < 0.99 || !inside && v != 0 {
				t.Fatalf("pixel (%d, %d) is %v; inside the garment: %v", c, y, v, inside)
			}
		}
	}
	if _, err := FromClothesImage(image.NewGray(image.Rect(0, 0, 10, 10))); err != ErrNoInk {
		t.Errorf("a blank image: %v, want ErrNoInk", err)
	}
	// FromImageFor picks the preprocessing by the data set's name.
	if y, _ := FromImageFor("fashion", img); !tensor.Equal(y, x) {
		t.Error("FromImageFor(fashion) is not FromClothesImage")
	}
	if y, _ := FromImageFor("mnist", img); tensor.Equal(y, x) {
		t.Error("FromImageFor(mnist) is FromClothesImage")
	}
}
