package mnist

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"

	"backprop/tensor"
)

// The geometry of an MNIST digit: the ink is scaled to fit a Box×Box
// square, keeping its aspect ratio, and placed in a Side×Side field with
// its centre of mass on the pixel (Centre, Centre), counting pixels from
// 0 — where the MNIST digits have theirs (their mean is 14.0 on both axes,
// each within half a pixel).
const (
	Side   = 28
	Box    = 20
	Centre = 14
)

// Thresholds of FromImage, as fractions of the image's contrast (the
// largest difference from the background).
const (
	// InkThreshold is the level above which a pixel counts as ink when
	// cropping: fainter pixels (paper texture, compression noise, the
	// edges of anti-aliasing) do not widen the crop.
	InkThreshold = 0.25
	// MinContrast is the least difference from the background, on a
	// scale where black is 0 and white 1, for an image to hold a digit.
	MinContrast = 0.1
)

// ErrNoInk is the error of FromImage for an image with no digit: every
// pixel is the background's shade, or within MinContrast of it.
var ErrNoInk = errors.New("no digit in the image: it is all one shade")

// FromImage turns any image into the input of an MNIST model the way
// MNIST made its digits: a [1, 784] Float32 tensor of pixels in [0, 1],
// row by row, light ink (1) on a dark background (0). The steps:
//
//  1. Composite alpha: a transparent pixel is background. Transparent
//     parts are filled with white when the visible colours are dark on
//     average (a black digit on a transparent PNG), with black otherwise.
//  2. Convert to gray (ITU-R 601 luminance).
//  3. Find the background: the median shade of the border. The ink is on
//     the side of it that deviates more (darker or lighter), so that dark
//     on light and light on dark both become light on dark; the contrast
//     is stretched so that the strongest ink is 1.
//  4. Crop to the bounding box of the pixels above InkThreshold.
//  5. Scale the crop to fit Box×Box keeping its aspect ratio, by area
//     averaging when shrinking and bilinear interpolation when enlarging.
//  6. Place it in the Side×Side field, shifted by whole pixels so that its
//     centre of mass is within half a pixel of (Centre, Centre); a
//     lopsided digit is shifted less where it would otherwise leave the
//     field.
//
// An image with no ink returns ErrNoInk, one of more than MaxImageSide
// pixels a side or MaxImagePixels in all an error. The standardisation a model was
// trained with is not applied: that is the caller's (see
// data.Dataset.Standardize).
func FromImage(img image.Image) (*tensor.Tensor, error) {
	ink, w, h, err := inkOf(img)
	if err != nil {
		return nil, err
	}
	box, ok := inkBox(ink, w, h, InkThreshold)
	if !ok {
		return nil, ErrNoInk
	}
	cw, ch := box.Dx(), box.Dy()
	crop := make([]float32, cw*ch)
	for y := 0; y < ch; y++ {
		copy(crop[y*cw:(y+1)*cw], ink[(box.Min.Y+y)*w+box.Min.X:])
	}
	fw, fh := fitSize(cw, ch, Box)
	patch := resample(crop, cw, ch, fw, fh)
	out := tensor.New(tensor.Float32, 1, Side*Side)
	place(out.Float32s(), Side, patch, fw, fh, Centre)
	return out, nil
}

// inkOf returns the ink of img, w×h values in [0, 1] row by row (steps 1
// to 3 of FromImage), or ErrNoInk.
func inkOf(img image.Image) (ink []float32, w, h int, err error) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, w, h, ErrNoInk
	}
	if w > MaxImageSide || h > MaxImageSide || w*h > MaxImagePixels {
		return nil, w, h, fmt.Errorf("an image of %d×%d pixels: too large (at most %d a side and %d in all)", w, h, MaxImageSide, MaxImagePixels)
	}
	gray, ok := composite(img)
	if !ok {
		return nil, w, h, ErrNoInk
	}
	bg := borderMedian(gray, w, h)
	dark := darkInk(gray, bg)
	ink = gray // reused in place
	var most float32
	for i, g := range gray {
		d := g - bg
		if dark {
			d = -d
		}
		d = max(d, 0)
		ink[i] = d
		most = max(most, d)
	}
	if most < MinContrast {
		return nil, w, h, ErrNoInk
	}
	for i := range ink {
		ink[i] = min(ink[i]/most, 1)
	}
	return ink, w, h, nil
}

// composite returns the luminance of img in [0, 1], row by row, with its
// transparent parts filled with white when the alpha-weighted mean of its
// colours is dark, with black otherwise. It returns false when every
// pixel is fully transparent.
func composite(img image.Image) ([]float32, bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	gray := make([]float32, w*h)
	if g, ok := img.(*image.Gray); ok {
		for y := 0; y < h; y++ {
			row := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				gray[y*w+x] = float32(row[x]) / 0xff
			}
		}
		return gray, true
	}
	f, ok := img.(image.RGBA64Image) // every image type of the standard library
	at := func(x, y int) color.RGBA64 {
		if ok {
			return f.RGBA64At(x, y) // no allocation per pixel
		}
		r, g, bl, a := img.At(x, y).RGBA()
		return color.RGBA64{uint16(r), uint16(g), uint16(bl), uint16(a)}
	}
	// The luminance premultiplied by alpha, as Go's colours are.
	var sumLum, sumAlpha float64
	opaque := true
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := at(b.Min.X+x, b.Min.Y+y)
			l := (0.299*float32(c.R) + 0.587*float32(c.G) + 0.114*float32(c.B)) / 0xffff
			gray[y*w+x] = l
			sumLum += float64(l)
			sumAlpha += float64(c.A) / 0xffff
			opaque = opaque && c.A == 0xffff
		}
	}
	if sumAlpha == 0 {
		return nil, false
	}
	if !opaque && sumLum/sumAlpha < 0.5 {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := at(b.Min.X+x, b.Min.Y+y)
				gray[y*w+x] += 1 - float32(c.A)/0xffff
			}
		}
	}
	for i, v := range gray {
		gray[i] = min(max(v, 0), 1)
	}
	return gray, true
}

// borderMedian returns the median of the pixels on the border of the w×h
// image gray.
func borderMedian(gray []float32, w, h int) float32 {
	var border []float32
	for x := 0; x < w; x++ {
		border = append(border, gray[x])
		if h > 1 {
			border = append(border, gray[(h-1)*w+x])
		}
	}
	for y := 1; y < h-1; y++ {
		border = append(border, gray[y*w])
		if w > 1 {
			border = append(border, gray[y*w+w-1])
		}
	}
	slices.Sort(border)
	return border[len(border)/2]
}

// darkInk reports whether the ink of gray is darker than the background
// bg: the pixels darker than bg (by more than the noise margin
// MinContrast/2) deviate from it more, in sum, than the lighter ones.
func darkInk(gray []float32, bg float32) bool {
	const margin = MinContrast / 2
	var darker, lighter float64
	for _, g := range gray {
		if d := float64(bg - g); d > margin {
			darker += d
		} else if d < -margin {
			lighter -= d
		}
	}
	return darker > lighter
}

// inkBox returns the bounding box of the pixels of the w×h image ink above
// threshold, and false when there are none.
func inkBox(ink []float32, w, h int, threshold float32) (image.Rectangle, bool) {
	x0, y0, x1, y1 := w, h, -1, -1
	for y := 0; y < h; y++ {
		row := ink[y*w : (y+1)*w]
		for x, v := range row {
			if v > threshold {
				x0, x1 = min(x0, x), max(x1, x)
				y0, y1 = min(y0, y), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return image.Rectangle{}, false
	}
	return image.Rect(x0, y0, x1+1, y1+1), true
}

// fitSize returns the size of a w×h rectangle scaled to fit a box×box
// square keeping its aspect ratio: the longer side becomes box, the other
// is rounded to the nearest pixel and at least 1.
func fitSize(w, h, box int) (fw, fh int) {
	if w >= h {
		return box, max(1, int(math.Round(float64(h)*float64(box)/float64(w))))
	}
	return max(1, int(math.Round(float64(w)*float64(box)/float64(h)))), box
}

// resample scales the w×h image src to fw×fh, one axis at a time.
func resample(src []float32, w, h, fw, fh int) []float32 {
	wx, wy := weights(w, fw), weights(h, fh)
	tmp := make([]float32, h*fw) // rows scaled
	for y := 0; y < h; y++ {
		row := src[y*w : (y+1)*w]
		for x, ws := range wx {
			var s float64
			for _, t := range ws {
				s += t.w * float64(row[t.i])
			}
			tmp[y*fw+x] = float32(s)
		}
	}
	out := make([]float32, fw*fh)
	for y, ws := range wy {
		for x := 0; x < fw; x++ {
			var s float64
			for _, t := range ws {
				s += t.w * float64(tmp[t.i*fw+x])
			}
			out[y*fw+x] = float32(min(max(s, 0), 1))
		}
	}
	return out
}

type tap struct {
	i int
	w float64
}

// weights returns, for each of the m pixels of an axis of n pixels scaled
// to m, the source pixels it is made of and their weights, which sum to 1.
// Shrinking averages the area each target pixel covers; enlarging
// interpolates linearly between the two nearest source pixels' centres.
func weights(n, m int) [][]tap {
	out := make([][]tap, m)
	scale := float64(n) / float64(m) // source pixels per target pixel
	for i := range out {
		if scale >= 1 {
			lo, hi := float64(i)*scale, float64(i+1)*scale
			for j := int(lo); j < n && float64(j) < hi; j++ {
				if c := min(hi, float64(j+1)) - max(lo, float64(j)); c > 0 {
					out[i] = append(out[i], tap{j, c / scale})
				}
			}
			continue
		}
		c := (float64(i)+0.5)*scale - 0.5
		j := int(math.Floor(c))
		f := c - float64(j)
		out[i] = []tap{{min(max(j, 0), n-1), 1 - f}, {min(max(j+1, 0), n-1), f}}
	}
	return out
}

// centreOfMass returns the centre of mass of the w×h image p, counting
// pixels from 0, and false when p is all zero.
func centreOfMass(p []float32, w, h int) (cx, cy float64, ok bool) {
	var m float64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := float64(p[y*w+x])
			m += v
			cx += v * float64(x)
			cy += v * float64(y)
		}
	}
	if m == 0 {
		return 0, 0, false
	}
	return cx / m, cy / m, true
}

// place writes the pw×ph patch into the side×side field dst, shifted by
// whole pixels to bring its centre of mass nearest to (centre, centre)
// while keeping it inside the field.
func place(dst []float32, side int, patch []float32, pw, ph int, centre float64) {
	cx, cy, _ := centreOfMass(patch, pw, ph)
	ox := min(max(int(math.Round(centre-cx)), 0), side-pw)
	oy := min(max(int(math.Round(centre-cy)), 0), side-ph)
	for y := 0; y < ph; y++ {
		copy(dst[(oy+y)*side+ox:(oy+y)*side+ox+pw], patch[y*pw:(y+1)*pw])
	}
}
