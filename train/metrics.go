package train

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"backprop/ag"
	"backprop/data"
	"backprop/nn"
	"backprop/tensor"
)

// Confusion is the confusion matrix of a classifier on a data set:
// Counts[i][j] examples of true class i were predicted as class j. Names
// names the classes (nil for their numbers), and Loss is the mean
// softmax cross-entropy over the examples.
type Confusion struct {
	Counts [][]int
	Names  []string
	Loss   float64
}

// Confuse measures m on ds, batch examples at a time, in evaluation mode
// and without recording gradients, as Evaluate does: the confusion
// matrix and the loss. Like Evaluate it does not change m.
func Confuse(m nn.Module, ds *data.Dataset, batch int) *Confusion {
	m.SetTraining(false)
	c := &Confusion{Counts: make([][]int, ds.Classes)}
	for i := range c.Counts {
		c.Counts[i] = make([]int, ds.Classes)
	}
	ld := data.NewLoader(ds, batch, nil)
	g := ag.NewGraph(ag.NoGrad)
	var sum float64
	for ld.Next() {
		g.Reset()
		x, y := ld.Batch()
		logits := m.Forward(g.Const(x))
		sum += nn.SoftmaxCrossEntropy(logits, y).Item() * float64(len(y))
		for i, k := range tensor.ArgMax(logits.Value, 1) {
			if k < ds.Classes {
				c.Counts[y[i]][k]++
			}
		}
	}
	g.Reset()
	c.Loss = sum / float64(ds.Len())
	return c
}

// Classes returns the number of classes.
func (c *Confusion) Classes() int { return len(c.Counts) }

// Name returns the name of class k: Names[k], or its number.
func (c *Confusion) Name(k int) string {
	if k < len(c.Names) {
		return c.Names[k]
	}
	return strconv.Itoa(k)
}

// Total returns the number of examples counted.
func (c *Confusion) Total() int {
	n := 0
	for _, row := range c.Counts {
		for _, v := range row {
			n += v
		}
	}
	return n
}

// Accuracy returns the fraction of examples on the diagonal.
func (c *Confusion) Accuracy() float64 {
	d := 0
	for k := range c.Counts {
		d += c.Counts[k][k]
	}
	return float64(d) / float64(c.Total())
}

// Support returns the number of examples of true class k.
func (c *Confusion) Support(k int) int {
	n := 0
	for _, v := range c.Counts[k] {
		n += v
	}
	return n
}

// predicted returns the number of examples predicted as class k.
func (c *Confusion) predicted(k int) int {
	n := 0
	for _, row := range c.Counts {
		n += row[k]
	}
	return n
}

// ratio is a/b, 0 when b is 0 (scikit-learn's zero_division=0).
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Precision returns the fraction of the examples predicted as class k
// that are of class k (0 if none is predicted as k).
func (c *Confusion) Precision(k int) float64 { return ratio(c.Counts[k][k], c.predicted(k)) }

// Recall returns the fraction of the examples of class k predicted as k
// (0 if there are none).
func (c *Confusion) Recall(k int) float64 { return ratio(c.Counts[k][k], c.Support(k)) }

// F1 returns the harmonic mean of the precision and recall of class k
// (0 when both are 0).
func (c *Confusion) F1(k int) float64 {
	p, r := c.Precision(k), c.Recall(k)
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// ClassReport is the measure of one class, as scikit-learn's
// classification_report gives it.
type ClassReport struct {
	Name                  string
	Precision, Recall, F1 float64
	Support               int
}

// Report returns the precision, recall, F1 and support of every class,
// and their unweighted means over the classes (the macro average, whose
// Support is the total).
func (c *Confusion) Report() (classes []ClassReport, macro ClassReport) {
	macro.Name = "macro avg"
	for k := range c.Counts {
		r := ClassReport{Name: c.Name(k), Precision: c.Precision(k), Recall: c.Recall(k), F1: c.F1(k), Support: c.Support(k)}
		classes = append(classes, r)
		macro.Precision += r.Precision
		macro.Recall += r.Recall
		macro.F1 += r.F1
		macro.Support += r.Support
	}
	if n := float64(len(classes)); n > 0 {
		macro.Precision, macro.Recall, macro.F1 = macro.Precision/n, macro.Recall/n, macro.F1/n
	}
	return classes, macro
}

// confusionGrid is a Confusion as a grid for a heat map: cell (col j,
// row i) is the square root of the fraction of true class K−1−i
// predicted as j, so that the first class is the top row and a few
// mistakes still show.
type confusionGrid struct{ c *Confusion }

func (g confusionGrid) Dims() (c, r int) { return g.c.Classes(), g.c.Classes() }
func (g confusionGrid) X(c int) float64  { return float64(c) }
func (g confusionGrid) Y(r int) float64  { return float64(r) }
func (g confusionGrid) Z(c, r int) float64 {
	k := g.c.Classes() - 1 - r
	return math.Sqrt(ratio(g.c.Counts[k][c], g.c.Support(k)))
}

// shades is a palette from white to dark blue.
type shades []color.Color

func (s shades) Colors() []color.Color { return s }

func blues(n int) shades {
	s := make(shades, n)
	for i := range s {
		t := float64(i) / float64(n-1)
		s[i] = color.RGBA{uint8(255 - t*(255-8)), uint8(255 - t*(255-48)), uint8(255 - t*(255-107)), 255}
	}
	return s
}

// ConfusionPlot draws c as a heat map, a row per true class and a column
// per predicted class, each cell shaded by the fraction of its row (on a
// square-root scale, so that rare mistakes show) and labelled with its
// count.
func ConfusionPlot(c *Confusion) *plot.Plot {
	k := c.Classes()
	p := newPlot(fmt.Sprintf("Confusion matrix (%d examples, accuracy %.2f%%)", c.Total(), 100*c.Accuracy()), "predicted class", "true class")
	p.X.Padding, p.Y.Padding = 0, 0
	h := plotter.NewHeatMap(confusionGrid{c}, blues(64))
	h.Min, h.Max = 0, 1
	p.Add(h)
	var xys plotter.XYLabels
	var dark []bool
	for i := range k {
		for j := range k {
			xys.XYs = append(xys.XYs, plotter.XY{X: float64(j), Y: float64(k - 1 - i)})
			xys.Labels = append(xys.Labels, strconv.Itoa(c.Counts[i][j]))
			dark = append(dark, confusionGrid{c}.Z(j, k-1-i) > 0.7)
		}
	}
	labels, _ := plotter.NewLabels(xys)
	size := vg.Points(math.Max(6, math.Min(11, 110/float64(k))))
	for i := range labels.TextStyle {
		labels.TextStyle[i].XAlign, labels.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
		labels.TextStyle[i].Font.Size = size
		if dark[i] {
			labels.TextStyle[i].Color = color.White
		}
	}
	p.Add(labels)
	var xt, yt plot.ConstantTicks
	for j := range k {
		xt = append(xt, plot.Tick{Value: float64(j), Label: c.Name(j)})
		yt = append(yt, plot.Tick{Value: float64(k - 1 - j), Label: c.Name(j)})
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = xt, yt
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -0.5, float64(k)-0.5, -0.5, float64(k)-0.5
	return p
}
