package main

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

// pngBytes encodes a w×h gray image with a diagonal stroke.
func pngBytes(w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := 0; i < min(w, h); i++ {
		img.SetGray(i, i, color.Gray{255})
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// withIHDR returns the PNG p with its header claiming w×h pixels (and a
// correct CRC, so that only the size is wrong).
func withIHDR(p []byte, w, h uint32) []byte {
	p = bytes.Clone(p)
	binary.BigEndian.PutUint32(p[16:], w)
	binary.BigEndian.PutUint32(p[20:], h)
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	return p
}

func TestDecodeDigitChecks(t *testing.T) {
	var gifb, jpgb bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 30, 20))
	gif.Encode(&gifb, img, nil)
	jpeg.Encode(&jpgb, img, nil)
	for _, ok := range [][]byte{pngBytes(28, 28), pngBytes(1, 1), pngBytes(300, 7), gifb.Bytes(), jpgb.Bytes()} {
		if x, err := decodeDigit(ok, "d"); err != nil || x.Len() != 784 {
			t.Errorf("a good image: %v", err)
		}
	}
	for _, c := range []struct {
		in   []byte
		want string
	}{
		{[]byte("not an image"), "d: image: unknown format (want a PNG, JPEG or GIF image)"},
		{withIHDR(pngBytes(28, 28), 100000, 100000), "d: 100000×100000 pixels: too large (at most 8192 a side and 16777216 in all)"},
		{withIHDR(pngBytes(28, 28), 8000, 8000), "d: 8000×8000 pixels: too large (at most 8192 a side and 16777216 in all)"},
		{withIHDR(pngBytes(28, 28), 0, 5), "d: png: invalid format: non-positive dimension (want a PNG, JPEG or GIF image)"},
		{pngBytes(28, 28)[:60], "d: png: invalid format: unexpected EOF"},
	} {
		_, err := decodeDigit(c.in, "d")
		if err == nil || err.Error() != c.want {
			t.Errorf("got %v\nwant %s", err, c.want)
		}
	}
}

// FuzzDecodeDigit feeds predict's image path arbitrary bytes: it must
// return a 784-pixel digit in [0, 1] or an error naming the file, never
// panic or allocate without bound.
func FuzzDecodeDigit(f *testing.F) {
	f.Add(pngBytes(28, 28))
	f.Add(pngBytes(3, 90))
	f.Add(withIHDR(pngBytes(28, 28), 1<<30, 1<<30))
	var g bytes.Buffer
	gif.Encode(&g, image.NewPaletted(image.Rect(0, 0, 5, 5), color.Palette{color.Black, color.White}), nil)
	f.Add(g.Bytes())
	var j bytes.Buffer
	jpeg.Encode(&j, image.NewGray(image.Rect(0, 0, 16, 16)), nil)
	f.Add(j.Bytes())
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := decodeDigit(b, "fuzz.png")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.png: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if x.Len() != 784 {
			t.Fatalf("%d pixels", x.Len())
		}
		for i, v := range x.Float32s() {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("pixel %d is %v", i, v)
			}
		}
	})
}
