package mnist

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
)

// Limits on the images DecodeImage and ReadImage accept, so that a hostile
// file (a PNG whose header claims 100000×100000 pixels) is refused before
// it is decoded.
const (
	MaxImageBytes  = 32 << 20 // bytes of the encoded file
	MaxImageSide   = 8192     // pixels along either side
	MaxImagePixels = 16 << 20 // pixels in all
)

// ReadImageFile reads and decodes the image file at path with ReadImage.
// Its errors name the file.
func ReadImageFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadImage(f, path)
}

// ReadImage reads an encoded image of at most MaxImageBytes from r and
// decodes it with DecodeImage; name is for errors.
func ReadImage(r io.Reader, name string) (image.Image, error) {
	// Read at most one byte more than the limit, to tell a file over it.
	b, err := io.ReadAll(io.LimitReader(r, MaxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(b) > MaxImageBytes {
		return nil, fmt.Errorf("%s: larger than %d MB: not a digit to classify", name, MaxImageBytes>>20)
	}
	return DecodeImage(b, name)
}

// DecodeImage decodes a PNG, JPEG or GIF image (the first frame of a GIF);
// name is for errors, which all begin with it. It reads the size from the
// header first and refuses, before decoding, an image of more than
// MaxImageSide pixels a side or MaxImagePixels in all. Other formats are
// refused even when a program registers their decoders with package image.
func DecodeImage(data []byte, name string) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %v (want a PNG, JPEG or GIF image)", name, err)
	}
	var decode func(io.Reader) (image.Image, error)
	switch format {
	case "png":
		decode = png.Decode
	case "jpeg":
		decode = jpeg.Decode
	case "gif":
		decode = gif.Decode
	default:
		return nil, fmt.Errorf("%s: a %s image: want PNG, JPEG or GIF", name, format)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%s: empty image (%d×%d)", name, cfg.Width, cfg.Height)
	}
	if cfg.Width > MaxImageSide || cfg.Height > MaxImageSide || cfg.Width*cfg.Height > MaxImagePixels {
		return nil, fmt.Errorf("%s: %d×%d pixels: too large (at most %d a side and %d in all)", name, cfg.Width, cfg.Height, MaxImageSide, MaxImagePixels)
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("%s: the image is %d×%d but its header says %d×%d", name, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	return img, nil
}
