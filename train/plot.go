package train

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"backprop/data"
	"backprop/nn"
	"backprop/tensor"
)

// Every plot of the module is made here, with gonum.org/v1/plot: the
// learning curves (LossPlot, AccuracyPlot), the decision regions of a
// model of two inputs (DecisionPlot) and a confusion matrix
// (ConfusionPlot), each with a title, labelled axes with round ticks and
// a legend; WriteFigure and SaveFigure put one or more of them side by
// side into a PNG or an SVG.

// Boundary asks Plot for a third panel: the decision regions of a model
// with two inputs over the plane, and the points of a data set on top (the
// spiral's picture in the CS231n notes). Inputs are standardized with Mean
// and Std before the model, as in training. Names, if not nil, names the
// classes in the legend.
type Boundary struct {
	Model     nn.Module
	Data      *data.Dataset
	Mean, Std float64
	Names     []string
}

// Panel sizes: each plot of a figure is PanelWidth × PanelHeight, drawn
// at DPI dots per inch in a PNG.
const (
	PanelWidth  = 5 * vg.Inch
	PanelHeight = 3.75 * vg.Inch
	DPI         = 96
)

var (
	trainCol  = color.RGBA{31, 119, 180, 255}
	trainRaw  = color.NRGBA{31, 119, 180, 70}
	valCol    = color.RGBA{255, 127, 14, 255}
	classCols = []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255},
		{214, 39, 40, 255}, {148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255},
		{127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255}}
)

// Plot draws the learning curves of h as a PNG: LossPlot and
// AccuracyPlot side by side, and DecisionPlot after them when b is not
// nil.
func Plot(w io.Writer, h History, b *Boundary) error {
	return WriteFigure(w, "png", Curves(h, b)...)
}

// Curves returns the plots of a run: LossPlot, AccuracyPlot and, when b
// is not nil, DecisionPlot.
func Curves(h History, b *Boundary) []*plot.Plot {
	ps := []*plot.Plot{LossPlot(h), AccuracyPlot(h)}
	if b != nil {
		ps = append(ps, DecisionPlot(b))
	}
	return ps
}

// FigureFormat reports whether SaveFigure can write path: a name ending
// in .png or .svg.
func FigureFormat(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".png" || ext == ".svg"
}

// SaveFigure writes plots side by side to path, a PNG or an SVG by its
// extension, atomically (see WriteFileAtomic).
func SaveFigure(path string, plots ...*plot.Plot) error {
	if !FigureFormat(path) {
		return fmt.Errorf("train: SaveFigure: %s: want a name ending in .png or .svg", path)
	}
	format := strings.ToLower(filepath.Ext(path))[1:]
	var buf bytes.Buffer
	if err := WriteFigure(&buf, format, plots...); err != nil {
		return err
	}
	return WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err })
}

// WriteFigure draws plots side by side, each PanelWidth × PanelHeight,
// and writes them to w as format, "png" or "svg".
func WriteFigure(w io.Writer, format string, plots ...*plot.Plot) error {
	if len(plots) == 0 {
		return fmt.Errorf("train: WriteFigure: no plots")
	}
	width, height := PanelWidth*vg.Length(len(plots)), PanelHeight
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch format {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(DPI))}
	case "svg":
		c = vgsvg.New(width, height)
	default:
		return fmt.Errorf("train: WriteFigure: format %q: want png or svg", format)
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots)}
	for j, cv := range plot.Align([][]*plot.Plot{plots}, tiles, dc)[0] {
		plots[j].Draw(cv)
	}
	_, err := c.WriteTo(w)
	return err
}

// newPlot returns a plot with a title, axis labels and a grid.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	return p
}

// epochTicks marks whole epochs: every one up to 10, else the round
// values of the default ticker that are whole numbers.
var epochTicks = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	if hi-lo <= 10 {
		for e := math.Ceil(lo); e <= hi; e++ {
			ts = append(ts, plot.Tick{Value: e, Label: fmt.Sprint(e)})
		}
		return ts
	}
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Label != "" && t.Value != math.Trunc(t.Value) {
			t.Label = ""
		}
		ts = append(ts, t)
	}
	return ts
})

// stepCurve returns the loss of every step of h at its position in
// epochs (step i of an epoch of n at e−1 + (i+1)/n), with its smoothed
// version: the mean over a centred window of about a thirtieth of the run
// (cut short at the ends), which follows the curve without the lag of an
// exponential average.
func stepCurve(h History) (raw, smooth plotter.XYs) {
	for _, e := range h {
		n := float64(len(e.StepLoss))
		for i, l := range e.StepLoss {
			raw = append(raw, plotter.XY{X: float64(e.Epoch-1) + float64(i+1)/n, Y: l})
		}
	}
	half := len(raw) / 60
	sum := make([]float64, len(raw)+1) // prefix sums
	for i, p := range raw {
		sum[i+1] = sum[i] + p.Y
	}
	for i, p := range raw {
		a, b := max(0, i-half), min(len(raw)-1, i+half)
		smooth = append(smooth, plotter.XY{X: p.X, Y: (sum[b+1] - sum[a]) / float64(b-a+1)})
	}
	return raw, smooth
}

// LossPlot plots the training loss of every step (faint) and smoothed,
// and the validation loss at the end of every epoch, against epochs.
// Without the steps' losses (a History from elsewhere) it plots the
// epochs' mean training loss.
func LossPlot(h History) *plot.Plot {
	p := newPlot("Loss", "epoch", "cross-entropy loss")
	p.X.Tick.Marker = epochTicks
	p.X.Min, p.Y.Min = 0, 0
	p.Legend.Top = true
	raw, smooth := stepCurve(h)
	if len(raw) > 0 {
		r, _ := plotter.NewLine(raw)
		r.Color = trainRaw
		r.Width = vg.Points(0.75)
		s, _ := plotter.NewLine(smooth)
		s.Color, s.Width = trainCol, vg.Points(1.75)
		p.Add(r, s)
		p.Legend.Add("training (per step, smoothed)", s)
	} else if pts := epochPoints(h, func(e Epoch) float64 { return e.Loss }); len(pts) > 0 {
		addSeries(p, pts, trainCol, "training (per epoch)")
	}
	if pts := epochPoints(h, func(e Epoch) float64 { return e.ValLoss }); len(pts) > 0 {
		addSeries(p, pts, valCol, "validation (per epoch)")
	}
	if p.Y.Max <= p.Y.Min {
		p.Y.Max = p.Y.Min + 1
	}
	p.Y.Max *= 1.05
	// A loss that falls by more than a factor of 20, as MNIST's does in
	// its first hundred steps, is read on a log scale.
	// The smoothed curve decides: single steps may dip far lower.
	lo := math.Inf(1)
	for _, q := range smooth {
		lo = math.Min(lo, q.Y)
	}
	for _, e := range h {
		if e.ValLoss > 0 {
			lo = math.Min(lo, e.ValLoss)
		}
	}
	if lo > 0 && p.Y.Max/lo > 20 {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks
		p.Y.Min, p.Y.Max = lo/1.2, p.Y.Max*1.2
		p.Y.Label.Text = "loss (log scale)" // a longer label would not fit beside the axis
	}
	return p
}

// logTicks marks the powers of ten of a log axis with their values, and
// 2× and 5× them with theirs when the axis spans less than three decades.
var logTicks = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	few := math.Log10(hi/lo) < 3
	for d := math.Floor(math.Log10(lo)); d <= math.Ceil(math.Log10(hi)); d++ {
		for _, m := range []float64{1, 2, 3, 4, 5, 6, 7, 8, 9} {
			v := m * math.Pow(10, d)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || few && (m == 2 || m == 5) {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
})

// AccuracyPlot plots the training accuracy of every epoch (over its
// batches, as the weights changed) and the validation accuracy at its
// end, in percent, against epochs.
func AccuracyPlot(h History) *plot.Plot {
	p := newPlot("Accuracy", "epoch", "accuracy (%)")
	p.X.Tick.Marker = epochTicks
	p.X.Min = 0
	p.Legend.Top, p.Legend.Left = false, false
	pct := func(f func(Epoch) float64) func(Epoch) float64 { return func(e Epoch) float64 { return 100 * f(e) } }
	lo := 100.0
	for _, s := range []struct {
		get  func(Epoch) float64
		col  color.RGBA
		name string
	}{{func(e Epoch) float64 { return e.Accuracy }, trainCol, "training"}, {func(e Epoch) float64 { return e.ValAccuracy }, valCol, "validation"}} {
		pts := epochPoints(h, pct(s.get))
		for _, q := range pts {
			lo = min(lo, q.Y)
		}
		if len(pts) > 0 {
			addSeries(p, pts, s.col, s.name)
		}
	}
	// From a round value below the lowest accuracy to 100.
	p.Y.Min, p.Y.Max = math.Max(0, math.Floor(lo/10)*10-5*boolf(lo > 5)), 100
	if lo == 100 {
		p.Y.Min = 90
	}
	return p
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// epochPoints returns get of every epoch where it is finite, at x = the
// epoch's number.
func epochPoints(h History, get func(Epoch) float64) plotter.XYs {
	var pts plotter.XYs
	for _, e := range h {
		if v := get(e); !math.IsNaN(v) && !math.IsInf(v, 0) {
			pts = append(pts, plotter.XY{X: float64(e.Epoch), Y: v})
		}
	}
	return pts
}

// addSeries adds a line through pts with a marker at each (the markers
// alone beyond 60 points) and its legend entry.
func addSeries(p *plot.Plot, pts plotter.XYs, col color.RGBA, name string) {
	l, s, _ := plotter.NewLinePoints(pts)
	l.Color, l.Width = col, vg.Points(1.5)
	s.Color, s.Shape, s.Radius = col, draw.CircleGlyph{}, vg.Points(2.5)
	if len(pts) > 60 {
		s.Radius = 0
	}
	p.Add(l, s)
	p.Legend.Add(name, l, s)
}

// DecisionPlot colours the plane by the class the model of b predicts
// there, over the data's range padded by a tenth, and draws the points
// of the data set on top, coloured by their class, with a legend.
func DecisionPlot(b *Boundary) *plot.Plot {
	p := newPlot("Decision regions", "x₁", "x₂")
	p.Legend.Top, p.Legend.Left = true, true
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := 0; i < b.Data.X.Len(); i++ {
		v := b.Data.X.Flat(i)
		lo, hi = min(lo, v), max(hi, v)
	}
	if !(hi > lo) {
		lo, hi = lo-1, lo+1
	}
	pad := 0.1 * (hi - lo)
	lo, hi = lo-pad, hi+pad
	const n = 300 // pixels a side
	std := b.Std
	if std == 0 {
		std = 1
	}
	x := tensor.New(tensor.Float32, n*n, 2)
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			x.Set((lo+(hi-lo)*(float64(i)+0.5)/n-b.Mean)/std, j*n+i, 0)
			x.Set((hi-(hi-lo)*(float64(j)+0.5)/n-b.Mean)/std, j*n+i, 1)
		}
	}
	cls := tensor.ArgMax(Probabilities(b.Model, x), 1)
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			img.SetRGBA(i, j, tint(classCols[cls[j*n+i]%len(classCols)]))
		}
	}
	p.Add(plotter.NewImage(img, lo, lo, hi, hi))
	for k := 0; k < b.Data.Classes; k++ {
		var pts plotter.XYs
		for i, y := range b.Data.Y {
			if y == k {
				pts = append(pts, plotter.XY{X: b.Data.X.At(i, 0), Y: b.Data.X.At(i, 1)})
			}
		}
		s, _ := plotter.NewScatter(pts)
		s.GlyphStyle = draw.GlyphStyle{Color: classCols[k%len(classCols)], Radius: vg.Points(2.5), Shape: outlined{}}
		p.Add(s)
		name := fmt.Sprintf("class %d", k)
		if k < len(b.Names) {
			name = b.Names[k]
		}
		p.Legend.Add(name, s)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, lo, hi
	return p
}

// tint returns c mixed with white, for the regions under the points.
func tint(c color.RGBA) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(255 - (255-int(v))*2/5) }
	return color.RGBA{mix(c.R), mix(c.G), mix(c.B), 255}
}

// outlined is a filled circle with a dark outline, visible on any
// region.
type outlined struct{}

func (outlined) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	draw.CircleGlyph{}.DrawGlyph(c, draw.GlyphStyle{Color: color.Black, Radius: sty.Radius + vg.Points(1)}, pt)
	draw.CircleGlyph{}.DrawGlyph(c, sty, pt)
}
