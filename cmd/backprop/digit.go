package main

import (
	"fmt"
	"image"
	"os"

	"backprop/tensor"
)

// readDigit decodes an image file and returns it as a [1, 784] Float32
// tensor in MNIST's form: grayscale in [0, 1], light strokes on a dark
// background (the image is inverted when its border is light), scaled to
// 28×28 by averaging the source pixels each target pixel covers.
func readDigit(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w == 0 || h == 0 {
		return nil, fmt.Errorf("%s: empty image", path)
	}
	gray := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			// Luminance (ITU-R 601) of the alpha-premultiplied color.
			lum := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 65535
			gray[y*w+x] = lum
		}
	}
	border, n := 0.0, 0
	for x := 0; x < w; x++ {
		border += gray[x] + gray[(h-1)*w+x]
		n += 2
	}
	for y := 0; y < h; y++ {
		border += gray[y*w] + gray[y*w+w-1]
		n += 2
	}
	if border/float64(n) > 0.5 {
		for i := range gray {
			gray[i] = 1 - gray[i]
		}
	}
	const size = 28
	out := tensor.New(tensor.Float32, 1, size*size)
	for ty := 0; ty < size; ty++ {
		y0, y1 := ty*h/size, max((ty+1)*h/size, ty*h/size+1)
		for tx := 0; tx < size; tx++ {
			x0, x1 := tx*w/size, max((tx+1)*w/size, tx*w/size+1)
			s, c := 0.0, 0
			for y := y0; y < min(y1, h); y++ {
				for x := x0; x < min(x1, w); x++ {
					s += gray[y*w+x]
					c++
				}
			}
			if c > 0 {
				out.SetFlat(ty*size+tx, s/float64(c))
			}
		}
	}
	return out, nil
}
