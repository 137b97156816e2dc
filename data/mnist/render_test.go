package mnist_test

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"backprop/data"
	"backprop/data/mnist"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
	"backprop/train"
)

var modelFile = flag.String("model", "", "measure the rendered digits with this model file (from backprop train) instead of one trained by the test")

// A classifier is an MNIST model with the standardisation it was trained
// with.
type classifier struct {
	m         nn.Module
	mean, std float64
}

// classify returns the class of each row of x, raw pixels in [0, 1].
func (c classifier) classify(x *tensor.Tensor) []int {
	ds := data.New(x.Clone(), make([]int, x.Dim(0)), mnist.Classes)
	ds.Standardize(c.mean, c.std)
	return tensor.ArgMax(train.Probabilities(c.m, ds.X), 1)
}

var (
	modelOnce sync.Once
	model     classifier
	testSet   *data.Dataset
	modelErr  error
)

// trained returns a model of MNIST (a 784-128-10 MLP trained for one
// epoch on the 60,000 training digits, or the -model file given as
// "go test -args -model FILE") and the raw test set.
func trained(t *testing.T) (classifier, *data.Dataset) {
	t.Helper()
	if raceDetector {
		t.Skip("an accuracy measurement on one goroutine: ten times slower under the race detector, which has nothing to watch in it")
	}
	modelOnce.Do(func() {
		var tr *data.Dataset
		if tr, testSet, modelErr = mnist.Load(""); modelErr != nil {
			return
		}
		if *modelFile != "" {
			// The model applies the standardisation of its file itself.
			m, err := nn.Load(*modelFile)
			model, modelErr = classifier{m, 0, 1}, err
			return
		}
		mean, std := tr.Stats()
		tr.Standardize(mean, std)
		rng := rand.New(rand.NewPCG(1, 2))
		m := nn.MLP(nn.Spec{Sizes: []int{784, 128, 10}}, rng)
		steps := (tr.Len() + 127) / 128
		train.Fit(m, tr, nil, train.Config{Epochs: 1, Batch: 128, Optimizer: optim.NewAdam(nn.Vars(m), 2e-3), Rand: rng,
			Schedule: optim.Warmup{Steps: 50, Then: optim.Cosine{Base: 2e-3, Steps: steps}}})
		model = classifier{m, mean, std}
	})
	if modelErr != nil {
		t.Fatal(modelErr)
	}
	return model, testSet
}

// A rendered is a digit drawn from a font, with a description for errors.
type rendered struct {
	label int
	img   image.Image
	desc  string
}

var faces = []struct {
	name string
	ttf  []byte
}{
	{"regular", goregular.TTF}, {"bold", gobold.TTF}, {"medium", gomedium.TTF},
	{"italic", goitalic.TTF}, {"mono", gomono.TTF},
}

// A layout places a digit of some size on a canvas of some colours.
type layout struct {
	name string
	size float64 // font size in pixels
	w, h int     // the canvas
	// where puts the glyph's bounding box (its size given) on the canvas.
	where func(gw, gh int) image.Point
	// paper and ink: the canvas and the digit.
	paper, ink color.Color
}

var (
	centred = func(w, h int) func(gw, gh int) image.Point {
		return func(gw, gh int) image.Point { return image.Pt((w-gw)/2, (h-gh)/2) }
	}
	topLeft     = func(gw, gh int) image.Point { return image.Pt(6, 6) }
	bottomRight = func(w, h int) func(gw, gh int) image.Point {
		return func(gw, gh int) image.Point { return image.Pt(w-gw-10, h-gh-10) }
	}
	transparent = color.NRGBA{}
)

var layouts = []layout{
	{"small, black on white", 20, 32, 32, centred(32, 32), color.White, color.Black},
	{"medium, black on white", 64, 100, 90, centred(100, 90), color.White, color.Black},
	{"large, black on white", 300, 400, 300, centred(400, 300), color.White, color.Black},
	{"medium, white on black", 64, 80, 80, centred(80, 80), color.Black, color.White},
	{"large, white on black", 200, 300, 300, centred(300, 300), color.Black, color.White},
	{"small in the top-left corner of a white canvas", 36, 400, 400, topLeft, color.White, color.Black},
	{"small in the bottom-right corner of a black canvas", 36, 300, 200, bottomRight(300, 200), color.Black, color.White},
	{"black on a transparent PNG", 96, 160, 160, centred(160, 160), transparent, color.Black},
	{"white on a transparent PNG", 96, 160, 160, centred(160, 160), transparent, color.White},
	{"dark gray on light gray", 64, 100, 100, centred(100, 100), color.Gray{200}, color.Gray{60}},
}

// renderDigits draws the digits 0–9 in every face and layout. The images
// with transparency go through PNG encoding and DecodeImage, as a file
// would.
func renderDigits(t testing.TB) []rendered {
	var out []rendered
	for _, f := range faces {
		fnt, err := opentype.Parse(f.ttf)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range layouts {
			face, err := opentype.NewFace(fnt, &opentype.FaceOptions{Size: l.size, DPI: 72, Hinting: font.HintingNone})
			if err != nil {
				t.Fatal(err)
			}
			for d := 0; d < 10; d++ {
				s := fmt.Sprint(d)
				img := image.NewNRGBA(image.Rect(0, 0, l.w, l.h))
				draw.Draw(img, img.Bounds(), image.NewUniform(l.paper), image.Point{}, draw.Src)
				b, _ := font.BoundString(face, s)
				gw, gh := (b.Max.X - b.Min.X).Ceil(), (b.Max.Y - b.Min.Y).Ceil()
				at := l.where(gw, gh)
				dr := &font.Drawer{Dst: img, Src: image.NewUniform(l.ink), Face: face,
					Dot: fixed.P(at.X, at.Y).Sub(b.Min)}
				dr.DrawString(s)
				var im image.Image = img
				if l.paper == transparent {
					var buf bytes.Buffer
					if err := png.Encode(&buf, img); err != nil {
						t.Fatal(err)
					}
					if im, err = mnist.DecodeImage(buf.Bytes(), "digit.png"); err != nil {
						t.Fatal(err)
					}
				}
				out = append(out, rendered{d, im, fmt.Sprintf("%d in go %s, %s", d, f.name, l.name)})
			}
			face.Close()
		}
	}
	return out
}

// shrinkWhole is how predict read an image before FromImage, kept to
// measure against: the whole image, alpha ignored, inverted when its
// border is light, averaged down to 28×28.
func shrinkWhole(img image.Image) *tensor.Tensor {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	gray := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			gray[y*w+x] = (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 65535
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
	out := tensor.New(tensor.Float32, 1, 784)
	for ty := 0; ty < 28; ty++ {
		y0, y1 := ty*h/28, max((ty+1)*h/28, ty*h/28+1)
		for tx := 0; tx < 28; tx++ {
			x0, x1 := tx*w/28, max((tx+1)*w/28, tx*w/28+1)
			s, c := 0.0, 0
			for y := y0; y < min(y1, h); y++ {
				for x := x0; x < min(x1, w); x++ {
					s += gray[y*w+x]
					c++
				}
			}
			if c > 0 {
				out.SetFlat(ty*28+tx, s/float64(c))
			}
		}
	}
	return out
}

// accuracy classifies the digits prepared by prep and returns the
// fraction right, logging the ones wrong.
func accuracy(t *testing.T, c classifier, digits []rendered, prep func(image.Image) (*tensor.Tensor, error), logWrong bool) float64 {
	rows := make([]*tensor.Tensor, len(digits))
	for i, d := range digits {
		x, err := prep(d.img)
		if err != nil {
			t.Fatalf("%s: %v", d.desc, err)
		}
		rows[i] = x
	}
	right := 0
	for i, k := range c.classify(tensor.Concat(0, rows...)) {
		if k == digits[i].label {
			right++
		} else if logWrong {
			t.Logf("%s: read as %d", digits[i].desc, k)
		}
	}
	return float64(right) / float64(len(digits))
}

// Font digits of every size, position and polarity, read as MNIST made
// its digits, are classified nearly as well as real MNIST test digits,
// and far better than by shrinking the whole image.
func TestRenderedDigits(t *testing.T) {
	c, test := trained(t)
	digits := renderDigits(t)
	var real int
	for i, k := range c.classify(test.X) {
		if k == test.Y[i] {
			real++
		}
	}
	realAcc := float64(real) / float64(test.Len())
	newAcc := accuracy(t, c, digits, mnist.FromImage, testing.Verbose())
	oldAcc := accuracy(t, c, digits, func(img image.Image) (*tensor.Tensor, error) { return shrinkWhole(img), nil }, false)
	t.Logf("%d rendered digits: %.1f%% read by FromImage, %.1f%% by shrinking the whole image; %.2f%% of the MNIST test digits",
		len(digits), 100*newAcc, 100*oldAcc, 100*realAcc)
	const bound = 0.85
	if newAcc < bound {
		t.Errorf("FromImage reads %.1f%% of the rendered digits right, want at least %.0f%%", 100*newAcc, 100*bound)
	}
	if oldAcc >= bound {
		t.Errorf("shrinking the whole image reads %.1f%% right: the rendered digits no longer tell the two apart", 100*oldAcc)
	}
	if newAcc < realAcc-0.05 {
		t.Errorf("FromImage reads %.1f%% of the rendered digits right, the model %.2f%% of the MNIST test digits", 100*newAcc, 100*realAcc)
	}
	// Every layout on its own, so that no case hides behind the others.
	for _, l := range layouts {
		var sub []rendered
		for _, d := range digits {
			if strings.HasSuffix(d.desc, ", "+l.name) {
				sub = append(sub, d)
			}
		}
		a := accuracy(t, c, sub, mnist.FromImage, false)
		old := accuracy(t, c, sub, func(img image.Image) (*tensor.Tensor, error) { return shrinkWhole(img), nil }, false)
		t.Logf("%s: %.0f%% (shrinking the whole image: %.0f%%)", l.name, 100*a, 100*old)
		if a < 0.8 {
			t.Errorf("%s: %.0f%% of %d right", l.name, 100*a, len(sub))
		}
	}
}

// Real MNIST test digits, drawn three times as large in black on a white
// canvas away from its centre, are read back by FromImage as well as the
// model reads the originals: the preprocessing is MNIST's own.
func TestMNISTDigitsThroughFromImage(t *testing.T) {
	c, test := trained(t)
	n := 2000
	if testing.Short() {
		n = 300
	}
	test = test.Head(n)
	direct, rows := 0, make([]*tensor.Tensor, n)
	for i, k := range c.classify(test.X) {
		if k == test.Y[i] {
			direct++
		}
	}
	for i := range n {
		img := image.NewGray(image.Rect(0, 0, 200, 150))
		draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
		for y := range 84 {
			for x := range 84 {
				v := test.X.At(i, (y/3)*28+x/3)
				img.SetGray(100+x, 10+y, color.Gray{uint8(255 - 255*v + 0.5)})
			}
		}
		x, err := mnist.FromImage(img)
		if err != nil {
			t.Fatalf("test digit %d: %v", i, err)
		}
		rows[i] = x
	}
	through := 0
	for i, k := range c.classify(tensor.Concat(0, rows...)) {
		if k == test.Y[i] {
			through++
		}
	}
	t.Logf("%d MNIST test digits: %d right as they are, %d drawn large off-centre and read by FromImage", n, direct, through)
	if float64(through) < float64(direct)-0.01*float64(n) {
		t.Errorf("FromImage loses more than 1%% of the digits: %d right of %d, %d directly", through, n, direct)
	}
}
