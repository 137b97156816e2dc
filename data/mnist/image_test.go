package mnist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pngBytes encodes a w×h gray image with a white diagonal on black.
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

func TestDecodeImageChecks(t *testing.T) {
	var gifb, jpgb bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 30, 20))
	gif.Encode(&gifb, img, nil)
	jpeg.Encode(&jpgb, img, nil)
	for _, c := range []struct {
		in   []byte
		w, h int
	}{{pngBytes(28, 28), 28, 28}, {pngBytes(1, 1), 1, 1}, {pngBytes(300, 7), 300, 7}, {gifb.Bytes(), 30, 20}, {jpgb.Bytes(), 30, 20}} {
		if img, err := DecodeImage(c.in, "d"); err != nil || img.Bounds().Dx() != c.w || img.Bounds().Dy() != c.h {
			t.Errorf("a good %d×%d image: %v", c.w, c.h, err)
		}
	}
	for _, c := range []struct {
		in   []byte
		want string
	}{
		{[]byte("not an image"), "d: image: unknown format (want a PNG, JPEG or GIF image)"},
		{withIHDR(pngBytes(28, 28), 100000, 100000), "d: 100000×100000 pixels: too large (at most 8192 a side and 16777216 in all)"},
		{withIHDR(pngBytes(28, 28), 8000, 8000), "d: 8000×8000 pixels: too large (at most 8192 a side and 16777216 in all)"},
		{withIHDR(pngBytes(28, 28), 9000, 10), "d: 9000×10 pixels: too large (at most 8192 a side and 16777216 in all)"},
		{withIHDR(pngBytes(28, 28), 0, 5), "d: png: invalid format: non-positive dimension (want a PNG, JPEG or GIF image)"},
		{pngBytes(28, 28)[:60], "d: png: invalid format: unexpected EOF"},
	} {
		_, err := DecodeImage(c.in, "d")
		if err == nil || err.Error() != c.want {
			t.Errorf("got %v\nwant %s", err, c.want)
		}
	}
}

func TestReadImage(t *testing.T) {
	big := append(pngBytes(28, 28), make([]byte, MaxImageBytes)...)
	if _, err := ReadImage(bytes.NewReader(big), "big.png"); err == nil || err.Error() != "big.png: larger than 32 MB: not a digit to classify" {
		t.Errorf("a file over the limit: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "d.png")
	if err := os.WriteFile(path, pngBytes(40, 30), 0o644); err != nil {
		t.Fatal(err)
	}
	if img, err := ReadImageFile(path); err != nil || img.Bounds() != image.Rect(0, 0, 40, 30) {
		t.Errorf("ReadImageFile: %v", err)
	}
	missing := filepath.Join(dir, "none.png")
	if _, err := ReadImageFile(missing); err == nil || err.Error() != "open "+missing+": no such file or directory" {
		t.Errorf("a missing file: %v", err)
	}
	if _, err := ReadImageFile(dir); err == nil || err.Error() != dir+": read "+dir+": is a directory" {
		t.Errorf("a folder: %v", err)
	}
}

// FuzzDecodeImage feeds the path from bytes to an MNIST digit arbitrary
// input: DecodeImage returns an image or an error naming the file, and
// FromImage turns the image into 784 pixels in [0, 1] or ErrNoInk, never
// panicking or allocating without bound.
func FuzzDecodeImage(f *testing.F) {
	f.Add(pngBytes(28, 28))
	f.Add(pngBytes(3, 90))
	f.Add(withIHDR(pngBytes(28, 28), 1<<30, 1<<30))
	var g bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 5, 5), color.Palette{color.Black, color.White, color.Transparent})
	pal.SetColorIndex(2, 2, 1)
	pal.SetColorIndex(0, 0, 2)
	gif.Encode(&g, pal, nil)
	f.Add(g.Bytes())
	var j bytes.Buffer
	jpeg.Encode(&j, stroke(16, 16, 2, 2, 6, color.White, color.Black), nil)
	f.Add(j.Bytes())
	var a bytes.Buffer
	png.Encode(&a, stroke(20, 30, 3, 3, 8, color.NRGBA{}, color.NRGBA{0, 0, 0, 200}))
	f.Add(a.Bytes())
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := DecodeImage(b, "fuzz.png")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.png: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		x, err := FromImage(img)
		if err != nil {
			if !errors.Is(err, ErrNoInk) {
				t.Fatalf("FromImage of a decoded image: %v", err)
			}
			return
		}
		if x.Len() != Side*Side {
			t.Fatalf("%d pixels", x.Len())
		}
		for i, v := range x.Float32s() {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("pixel %d is %v", i, v)
			}
		}
	})
}
