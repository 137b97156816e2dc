package train

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"backprop/data"
	"backprop/nn"
	"backprop/tensor"
)

// Boundary asks Plot for a third panel: the decision regions of a model
// with two inputs over the plane, and the points of a data set on top (the
// spiral's picture in the CS231n notes). Inputs are standardized with Mean
// and Std before the model, as in training.
type Boundary struct {
	Model     nn.Module
	Data      *data.Dataset
	Mean, Std float64
}

var (
	white     = color.RGBA{255, 255, 255, 255}
	black     = color.RGBA{0, 0, 0, 255}
	grid      = color.RGBA{225, 225, 225, 255}
	trainCol  = color.RGBA{31, 119, 180, 255}
	valCol    = color.RGBA{255, 127, 14, 255}
	classCols = []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255},
		{214, 39, 40, 255}, {148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255},
		{127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255}}
)

const (
	panelW, panelH = 400, 320
	margin         = 40
)

// Plot draws the learning curves of h as a PNG: the training and
// validation loss per epoch in one panel, the accuracies in another, and
// the decision regions when b is not nil. It uses only the standard
// library: lines, axes and a small bitmap font are drawn pixel by pixel.
func Plot(w io.Writer, h History, b *Boundary) error {
	panels := 2
	if b != nil {
		panels = 3
	}
	img := image.NewRGBA(image.Rect(0, 0, panels*panelW, panelH))
	fill(img, img.Bounds(), white)

	loss := func(e Epoch) (float64, float64) { return e.Loss, e.ValLoss }
	acc := func(e Epoch) (float64, float64) { return e.Accuracy, e.ValAccuracy }
	curves(img, image.Rect(0, 0, panelW, panelH), "LOSS", h, loss, false)
	curves(img, image.Rect(panelW, 0, 2*panelW, panelH), "ACCURACY", h, acc, true)
	if b != nil {
		boundary(img, image.Rect(2*panelW, 0, 3*panelW, panelH), b)
	}
	return png.Encode(w, img)
}

// curves draws the training and validation series of h in panel r.
func curves(img *image.RGBA, r image.Rectangle, title string, h History, get func(Epoch) (float64, float64), unit bool) {
	plot := image.Rect(r.Min.X+margin+10, r.Min.Y+margin, r.Max.X-20, r.Max.Y-margin)
	text(img, r.Min.X+(r.Dx()-textWidth(title))/2, r.Min.Y+12, title, black)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, e := range h {
		a, v := get(e)
		for _, x := range []float64{a, v} {
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				lo, hi = min(lo, x), max(hi, x)
			}
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	if unit {
		lo, hi = math.Floor(lo*10)/10, 1
	} else {
		lo = 0
	}
	if hi <= lo {
		hi = lo + 1
	}
	// Grid lines at fifths, labelled on the left.
	for i := 0; i <= 5; i++ {
		y := plot.Max.Y - i*plot.Dy()/5
		line(img, plot.Min.X, y, plot.Max.X, y, grid, 1)
		text(img, r.Min.X+4, y-5, format(lo+(hi-lo)*float64(i)/5), black)
	}
	n := len(h)
	xOf := func(i int) int {
		if n <= 1 {
			return plot.Min.X + plot.Dx()/2
		}
		return plot.Min.X + i*plot.Dx()/(n-1)
	}
	yOf := func(v float64) int { return plot.Max.Y - int(math.Round((v-lo)/(hi-lo)*float64(plot.Dy()))) }
	for i := 0; i < n; i++ {
		if n <= 10 || i%((n+9)/10) == 0 || i == n-1 {
			text(img, xOf(i)-textWidth(fmt.Sprint(i+1))/2, plot.Max.Y+8, fmt.Sprint(i+1), black)
		}
	}
	text(img, plot.Min.X+(plot.Dx()-textWidth("EPOCH"))/2, plot.Max.Y+22, "EPOCH", black)
	line(img, plot.Min.X, plot.Min.Y, plot.Min.X, plot.Max.Y, black, 1)
	line(img, plot.Min.X, plot.Max.Y, plot.Max.X, plot.Max.Y, black, 1)
	for s, col := range []color.RGBA{trainCol, valCol} {
		px, py := -1, -1
		for i, e := range h {
			a, v := get(e)
			val := a
			if s == 1 {
				val = v
			}
			if math.IsNaN(val) || math.IsInf(val, 0) {
				px = -1
				continue
			}
			x, y := xOf(i), yOf(val)
			if px >= 0 {
				line(img, px, py, x, y, col, 2)
			}
			if n <= 30 {
				fill(img, image.Rect(x-2, y-2, x+3, y+3), col)
			}
			px, py = x, y
		}
	}
	// The legend.
	lx, ly := plot.Max.X-80, plot.Min.Y+8
	if unit { // accuracy rises toward the top: put the legend below
		ly = plot.Max.Y - 36
	}
	for s, name := range []string{"TRAIN", "VAL"} {
		col := []color.RGBA{trainCol, valCol}[s]
		line(img, lx, ly+s*14+4, lx+16, ly+s*14+4, col, 2)
		text(img, lx+22, ly+s*14, name, black)
	}
}

// boundary colors every pixel of panel r by the class the model predicts
// there and draws the points of the data set on top.
func boundary(img *image.RGBA, r image.Rectangle, b *Boundary) {
	plot := image.Rect(r.Min.X+20, r.Min.Y+margin, r.Max.X-20, r.Max.Y-20)
	text(img, r.Min.X+(r.Dx()-textWidth("DECISION"))/2, r.Min.Y+12, "DECISION", black)
	// The data range, padded.
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := 0; i < b.Data.X.Len(); i++ {
		v := b.Data.X.Flat(i)
		lo, hi = min(lo, v), max(hi, v)
	}
	pad := 0.1 * (hi - lo)
	lo, hi = lo-pad, hi+pad
	w, h := plot.Dx(), plot.Dy()
	std := b.Std
	if std == 0 {
		std = 1
	}
	x := tensor.New(tensor.Float32, w*h, 2)
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			x.Set((lo+(hi-lo)*float64(i)/float64(w)-b.Mean)/std, j*w+i, 0)
			x.Set((hi-(hi-lo)*float64(j)/float64(h)-b.Mean)/std, j*w+i, 1)
		}
	}
	cls := tensor.ArgMax(Probabilities(b.Model, x), 1)
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			c := classCols[cls[j*w+i]%len(classCols)]
			img.SetRGBA(plot.Min.X+i, plot.Min.Y+j, color.RGBA{
				uint8(255 - (255-int(c.R))*2/5), uint8(255 - (255-int(c.G))*2/5), uint8(255 - (255-int(c.B))*2/5), 255})
		}
	}
	for k := 0; k < b.Data.Len(); k++ {
		px := plot.Min.X + int((b.Data.X.At(k, 0)-lo)/(hi-lo)*float64(w))
		py := plot.Min.Y + int((hi-b.Data.X.At(k, 1))/(hi-lo)*float64(h))
		c := classCols[b.Data.Y[k]%len(classCols)]
		fill(img, image.Rect(px-2, py-2, px+3, py+3), black)
		fill(img, image.Rect(px-1, py-1, px+2, py+2), c)
	}
}

func format(v float64) string {
	switch {
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// line draws from (x0, y0) to (x1, y1) with Bresenham's algorithm, each
// point a square of side width.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA, width int) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		fill(img, image.Rect(x0, y0, x0+width, y0+width), c)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func sign(x int) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// glyphs is a 3×5 bitmap font for the labels: each row of a glyph is three
// bits, the leftmost the most significant.
var glyphs = map[rune][5]uint8{
	'0': {7, 5, 5, 5, 7}, '1': {2, 6, 2, 2, 7}, '2': {7, 1, 7, 4, 7}, '3': {7, 1, 7, 1, 7},
	'4': {5, 5, 7, 1, 1}, '5': {7, 4, 7, 1, 7}, '6': {7, 4, 7, 5, 7}, '7': {7, 1, 1, 1, 1},
	'8': {7, 5, 7, 5, 7}, '9': {7, 5, 7, 1, 7}, '.': {0, 0, 0, 0, 2}, '-': {0, 0, 7, 0, 0},
	'A': {2, 5, 7, 5, 5}, 'C': {7, 4, 4, 4, 7}, 'D': {6, 5, 5, 5, 6}, 'E': {7, 4, 6, 4, 7},
	'H': {5, 5, 7, 5, 5}, 'I': {7, 2, 2, 2, 7}, 'L': {4, 4, 4, 4, 7}, 'N': {6, 5, 5, 5, 5},
	'O': {7, 5, 5, 5, 7}, 'P': {7, 5, 7, 4, 4}, 'R': {6, 5, 6, 5, 5}, 'S': {7, 4, 7, 1, 7},
	'T': {7, 2, 2, 2, 2}, 'U': {5, 5, 5, 5, 7}, 'V': {5, 5, 5, 5, 2}, 'Y': {5, 5, 2, 2, 2},
}

const scale = 2 // pixels per font dot

func textWidth(s string) int { return len(s) * 4 * scale }

// text draws s with its top-left corner at (x, y).
func text(img *image.RGBA, x, y int, s string, c color.RGBA) {
	for _, ch := range s {
		g := glyphs[ch]
		for row, bits := range g {
			for col := 0; col < 3; col++ {
				if bits&(4>>col) != 0 {
					fill(img, image.Rect(x+col*scale, y+row*scale, x+(col+1)*scale, y+(row+1)*scale), c)
				}
			}
		}
		x += 4 * scale
	}
}
