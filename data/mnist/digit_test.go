package mnist

import (
	"errors"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"testing"
)

// stroke draws a digit-like figure (an upright "7" of two strokes) with
// ink on paper into a w×h canvas, its bounding box at (x, y) of size
// s×(2s).
func stroke(w, h, x, y, s int, paper, ink color.Color) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(paper), image.Point{}, draw.Src)
	t := max(1, s/5)
	draw.Draw(img, image.Rect(x, y, x+s, y+t), image.NewUniform(ink), image.Point{}, draw.Src)
	for i := 0; i < 2*s; i++ { // the diagonal down to the left
		cx := x + s - t - i*(s-t)/(2*s)
		draw.Draw(img, image.Rect(cx, y+i, cx+t, y+i+1), image.NewUniform(ink), image.Point{}, draw.Src)
	}
	return img
}

func fromImage(t *testing.T, img image.Image) []float32 {
	t.Helper()
	x, err := FromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	if x.Len() != Side*Side {
		t.Fatalf("%d pixels", x.Len())
	}
	return x.Float32s()
}

func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func TestInkBox(t *testing.T) {
	const w, h = 40, 30
	ink := make([]float32, w*h)
	for y := 5; y < 20; y++ {
		ink[y*w+12], ink[y*w+13] = 1, 0.6
	}
	ink[25*w+38] = InkThreshold // faint noise far away: not ink
	ink[1*w+1] = 0.1
	box, ok := inkBox(ink, w, h, InkThreshold)
	if !ok || box != image.Rect(12, 5, 14, 20) {
		t.Errorf("box %v %v, want (12,5)-(14,20)", box, ok)
	}
	ink[25*w+38] = InkThreshold + 0.01
	if box, _ := inkBox(ink, w, h, InkThreshold); box != image.Rect(12, 5, 39, 26) {
		t.Errorf("box %v with a pixel of ink at (38,25)", box)
	}
	if _, ok := inkBox(make([]float32, w*h), w, h, InkThreshold); ok {
		t.Error("a box in an empty image")
	}
}

func TestFitSize(t *testing.T) {
	for _, c := range []struct{ w, h, fw, fh int }{
		{100, 50, 20, 10}, {37, 100, 7, 20}, {3, 100, 1, 20}, {1, 1000, 1, 20},
		{5, 5, 20, 20}, {10, 7, 20, 14}, {400, 399, 20, 20}, {2, 7, 6, 20},
	} {
		if fw, fh := fitSize(c.w, c.h, Box); fw != c.fw || fh != c.fh {
			t.Errorf("fitSize(%d, %d) = %d×%d, want %d×%d", c.w, c.h, fw, fh, c.fw, c.fh)
		}
	}
}

func TestResample(t *testing.T) {
	for _, c := range [][2]int{{1, 20}, {3, 20}, {20, 20}, {40, 20}, {57, 20}, {1000, 7}, {7, 1}} {
		for i, ws := range weights(c[0], c[1]) {
			s := 0.0
			for _, tp := range ws {
				if tp.i < 0 || tp.i >= c[0] || tp.w < 0 {
					t.Fatalf("weights(%d, %d)[%d]: tap %+v", c[0], c[1], i, tp)
				}
				s += tp.w
			}
			if math.Abs(s-1) > 1e-12 {
				t.Errorf("weights(%d, %d)[%d] sum to %v", c[0], c[1], i, s)
			}
		}
	}
	// Shrinking averages areas: alternate columns of 1 and 0 become 0.5,
	// and a 3-wide column of 1 in 60 shrunk to 20 is one pixel of 1.
	src := make([]float32, 40*2)
	for i := range src {
		src[i] = float32((i % 40) % 2)
	}
	for _, v := range resample(src, 40, 2, 20, 1) {
		if v != 0.5 {
			t.Fatalf("alternating columns shrunk: %v", v)
		}
	}
	src = make([]float32, 60)
	src[30], src[31], src[32] = 1, 1, 1
	if out := resample(src, 60, 1, 20, 1); out[10] != 1 || out[9] != 0 || out[11] != 0 {
		t.Errorf("a 3-pixel column shrunk by 3: %v", out)
	}
	// Every source pixel counts, by the area of it that a target pixel
	// covers, also at ratios that are not whole.
	if out := resample([]float32{1, 0, 0, 0, 0, 0, 0, 1}, 8, 1, 2, 1); maxDiff(out, []float32{0.25, 0.25}) > 1e-6 {
		t.Errorf("8 pixels shrunk to 2: %v, want 0.25, 0.25", out)
	}
	if out := resample([]float32{0.3, 0.6, 0.9}, 3, 1, 2, 1); maxDiff(out, []float32{0.4, 0.8}) > 1e-6 {
		t.Errorf("3 pixels shrunk to 2: %v, want 0.4, 0.8", out)
	}
	// Enlarging interpolates between centres: 0, 1 doubled is 0, .25, .75, 1.
	out := resample([]float32{0, 1}, 2, 1, 4, 1)
	if want := []float32{0, 0.25, 0.75, 1}; maxDiff(out, want) > 1e-6 {
		t.Errorf("0, 1 enlarged to 4: %v, want %v", out, want)
	}
}

// The output's geometry is MNIST's: the ink fits 20×20 with its longer side
// 20 pixels and keeps its aspect ratio, and its centre of mass is within
// half a pixel of (14, 14).
func TestFromImageGeometry(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 100 {
		w, h := 30+rng.IntN(300), 30+rng.IntN(300)
		s := 4 + rng.IntN(min(w, h/2)-3)
		x, y := rng.IntN(w-s+1), rng.IntN(h-2*s+1)
		img := stroke(w, h, x, y, s, color.White, color.Black)
		out := fromImage(t, img)
		cx, cy, _ := centreOfMass(out, Side, Side)
		if math.Abs(cx-Centre) > 0.5 || math.Abs(cy-Centre) > 0.5 {
			t.Errorf("%d: a %d×%d figure at (%d,%d) of %d×%d: centre of mass (%.2f, %.2f)", i, s, 2*s, x, y, w, h, cx, cy)
		}
		box, _ := inkBox(out, Side, Side, 0)
		fw, fh := fitSize(s, 2*s, Box)
		if box.Dy() != Box || box.Dx() < fw-1 || box.Dx() > fw+1 {
			t.Errorf("%d: a %d×%d figure fills %v, want %d×%d", i, s, 2*s, box, fw, fh)
		}
	}
}

// Where the figure sits on the canvas, and how large the canvas is, does
// not matter.
func TestFromImageTranslation(t *testing.T) {
	alone := fromImage(t, stroke(40, 60, 5, 5, 15, color.White, color.Black))
	corner := fromImage(t, stroke(800, 600, 770, 2, 15, color.White, color.Black))
	if d := maxDiff(alone, corner); d != 0 {
		t.Errorf("the same figure in a corner of a large canvas differs by %v", d)
	}
	// A sub-image, whose bounds do not start at (0, 0), in gray and in colour.
	big := stroke(800, 600, 770, 2, 15, color.White, color.Black)
	gray := image.NewGray(big.Bounds())
	draw.Draw(gray, gray.Bounds(), big, image.Point{}, draw.Src)
	for _, sub := range []image.Image{big.SubImage(image.Rect(760, 0, 800, 60)), gray.SubImage(image.Rect(760, 0, 800, 60))} {
		if d := maxDiff(alone, fromImage(t, sub)); d != 0 {
			t.Errorf("a %T sub-image differs by %v", sub, d)
		}
	}
	// Faint noise far away (below InkThreshold) does not widen the crop.
	noisy := stroke(800, 600, 770, 2, 15, color.White, color.Black)
	for i := range 300 {
		noisy.Set(10+i, 400+i%50, color.Gray{220})
	}
	if d := maxDiff(alone, fromImage(t, noisy)); d != 0 {
		t.Errorf("faint noise changes the digit by %v", d)
	}
}

// Dark on light and light on dark give the same digit, as do colours that
// are not black and white.
func TestFromImageInversion(t *testing.T) {
	light := fromImage(t, stroke(60, 80, 10, 10, 20, color.Black, color.White))
	for _, c := range []struct {
		name        string
		paper, ink  color.Color
		maxMismatch float64
	}{
		{"black on white", color.White, color.Black, 0},
		{"dark gray on light gray", color.Gray{200}, color.Gray{50}, 1e-6},
		{"white on middle gray", color.Gray{128}, color.White, 1e-6},
		{"black on middle gray", color.Gray{128}, color.Black, 1e-6},
		{"blue on yellow", color.RGBA{240, 230, 40, 255}, color.RGBA{20, 30, 160, 255}, 1e-6},
	} {
		if d := maxDiff(light, fromImage(t, stroke(60, 80, 10, 10, 20, c.paper, c.ink))); d > c.maxMismatch {
			t.Errorf("%s differs from white on black by %v", c.name, d)
		}
	}
	if !darkInk([]float32{1, 1, 0, 1}, 1) || darkInk([]float32{0, 0, 1, 0}, 0) {
		t.Error("darkInk of black on white or white on black")
	}
	if darkInk([]float32{0.5, 0.5, 1, 0.9}, 0.5) || !darkInk([]float32{0.5, 0.5, 0, 0.6}, 0.5) {
		t.Error("darkInk on a gray background")
	}
}

// Transparent pixels are background whatever colour they hold: a black
// digit on a transparent canvas reads as on white, a white one as on black.
func TestFromImageAlpha(t *testing.T) {
	want := fromImage(t, stroke(60, 80, 10, 10, 20, color.Black, color.White))
	for _, c := range []struct {
		name       string
		paper, ink color.Color
	}{
		{"black on transparent black", color.NRGBA{0, 0, 0, 0}, color.Black},
		{"black on transparent white", color.NRGBA{255, 255, 255, 0}, color.Black},
		{"white on transparent black", color.NRGBA{0, 0, 0, 0}, color.White},
		{"white on transparent white", color.NRGBA{255, 255, 255, 0}, color.White},
	} {
		if d := maxDiff(want, fromImage(t, stroke(60, 80, 10, 10, 20, c.paper, c.ink))); d > 1e-6 {
			t.Errorf("%s differs from white on black by %v", c.name, d)
		}
	}
	// Half-transparent black ink on a transparent canvas over white is
	// mid gray: still the whole digit, at full strength after stretching.
	if d := maxDiff(want, fromImage(t, stroke(60, 80, 10, 10, 20, color.NRGBA{}, color.NRGBA{0, 0, 0, 128}))); d > 1e-6 {
		t.Errorf("half-transparent ink differs by %v", d)
	}
	gray, _ := composite(stroke(4, 4, 0, 0, 2, color.NRGBA{}, color.NRGBA{0, 0, 0, 128}))
	if g := gray[0]; math.Abs(float64(g)-(1-128.0/255)) > 1e-6 || gray[15] != 1 {
		t.Errorf("half-transparent black over white is %v, the transparent corner %v", g, gray[15])
	}
}

func TestFromImageNoInk(t *testing.T) {
	faint := image.NewGray(image.Rect(0, 0, 50, 50))
	for i := range faint.Pix {
		faint.Pix[i] = 250 - uint8(i%3)*8 // texture within 0.1 of the paper
	}
	for _, c := range []struct {
		name string
		img  image.Image
	}{
		{"white", stroke(30, 30, 0, 0, 0, color.White, color.White)},
		{"black", stroke(30, 30, 0, 0, 0, color.Black, color.Black)},
		{"gray", stroke(30, 30, 5, 5, 10, color.Gray{128}, color.Gray{128})},
		{"transparent", image.NewNRGBA(image.Rect(0, 0, 30, 30))},
		{"faint texture", faint},
		{"empty", image.NewGray(image.Rect(0, 0, 0, 0))},
	} {
		if _, err := FromImage(c.img); !errors.Is(err, ErrNoInk) {
			t.Errorf("%s: %v, want %v", c.name, err, ErrNoInk)
		}
	}
	huge := image.NewUniform(color.White) // bounds of ±10⁹ pixels
	if _, err := FromImage(huge); err == nil || err.Error() != "an image of 2000000000×2000000000 pixels: too large (at most 8192 a side and 16777216 in all)" {
		t.Errorf("an infinite image: %v", err)
	}
	// A single dark pixel is a digit, however small.
	dot := stroke(30, 30, 0, 0, 0, color.White, color.White)
	dot.Set(3, 20, color.Black)
	out := fromImage(t, dot)
	if out[Centre*Side+Centre] != 1 {
		t.Error("a single dark pixel does not land on the centre")
	}
}

func BenchmarkFromImage(b *testing.B) {
	img := stroke(640, 480, 300, 100, 100, color.White, color.Black)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromImage(img); err != nil {
			b.Fatal(err)
		}
	}
}
