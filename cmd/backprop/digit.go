package main

import (
	"bytes"
	"fmt"
	"image"
	"io"
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
	// Read at most one byte more than the limit, to tell a file over it.
	b, err := io.ReadAll(io.LimitReader(f, maxImageFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(b) > maxImageFile {
		return nil, fmt.Errorf("%s: larger than %d MB: not a digit to classify", path, maxImageFile>>20)
	}
	return decodeDigit(b, path)
}

// Limits on the images predict reads, so that a hostile file (a PNG whose
// header claims 100000×100000 pixels) is refused before it is decoded.
const (
	maxImageFile   = 32 << 20 // bytes
	maxImageSide   = 8192     // pixels
	maxImagePixels = 16 << 20
)

// decodeDigit is readDigit on the bytes of the file; name is for errors.
// Only PNG, JPEG and GIF are accepted, of at most maxImageSide pixels a
// side and maxImagePixels in all, which it checks from the header before
// decoding.
func decodeDigit(data []byte, name string) (*tensor.Tensor, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %v (want a PNG, JPEG or GIF image)", name, err)
	}
	if format != "png" && format != "jpeg" && format != "gif" {
		return nil, fmt.Errorf("%s: a %s image: want PNG, JPEG or GIF", name, format)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%s: empty image (%d×%d)", name, cfg.Width, cfg.Height)
	}
	if cfg.Width > maxImageSide || cfg.Height > maxImageSide || cfg.Width*cfg.Height > maxImagePixels {
		return nil, fmt.Errorf("%s: %d×%d pixels: too large (at most %d a side and %d in all)", name, cfg.Width, cfg.Height, maxImageSide, maxImagePixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	bd := img.Bounds()
	w, h := bd.Dx(), bd.Dy()
	if w <= 0 || h <= 0 || w != cfg.Width || h != cfg.Height {
		return nil, fmt.Errorf("%s: the image is %d×%d but its header says %d×%d", name, w, h, cfg.Width, cfg.Height)
	}
	b := bd
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
