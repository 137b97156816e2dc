package train

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"

	"backprop/data"
	"backprop/nn"
)

// svgTexts draws plots as an SVG and returns its text elements.
func svgTexts(t *testing.T, plots ...*plot.Plot) []string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteFigure(&buf, "svg", plots...); err != nil {
		t.Fatal(err)
	}
	var texts []string
	d := xml.NewDecoder(&buf)
	in := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			in = tok.Name.Local == "text"
		case xml.CharData:
			if in {
				texts = append(texts, strings.TrimSpace(string(tok)))
			}
		case xml.EndElement:
			in = false
		}
	}
	return texts
}

// savePlots writes plots to $BACKPROP_PLOTS/name, if set, for a person to
// look at.
func savePlots(t *testing.T, name string, plots ...*plot.Plot) {
	if dir := os.Getenv("BACKPROP_PLOTS"); dir != "" {
		if err := SaveFigure(filepath.Join(dir, name), plots...); err != nil {
			t.Error(err)
		}
	}
}

// history makes a run of epochs of steps steps whose loss decays.
func history(epochs, steps int) History {
	var h History
	for e := 1; e <= epochs; e++ {
		ep := Epoch{Epoch: e, Accuracy: 0.9 + 0.02*float64(e), ValAccuracy: 0.95 + 0.01*float64(e), ValLoss: 0.5 / float64(e)}
		for i := range steps {
			x := float64((e-1)*steps + i)
			ep.StepLoss = append(ep.StepLoss, 2.3*math.Exp(-x/100)+0.1+0.05*math.Sin(x))
		}
		ep.Loss = ep.StepLoss[steps/2]
		h = append(h, ep)
	}
	return h
}

var numberRE = regexp.MustCompile(`^-?\d+(\.\d+)?$`)

func TestCurvesLabelsAndTicks(t *testing.T) {
	h := history(3, 100)
	texts := svgTexts(t, LossPlot(h), AccuracyPlot(h))
	savePlots(t, "curves.png", LossPlot(h), AccuracyPlot(h))
	for _, want := range []string{"Loss", "Accuracy", "epoch", "cross-entropy loss", "accuracy (%)",
		"training (per step, smoothed)", "validation (per epoch)", "training", "validation", "0", "1", "2", "3"} {
		if !slices.Contains(texts, want) {
			t.Errorf("no text %q in %q", want, texts)
		}
	}
	// Every tick label is a round number: at most two significant digits.
	for _, s := range texts {
		if numberRE.MatchString(s) && len(strings.Trim(strings.NewReplacer("-", "", ".", "").Replace(s), "0")) > 2 {
			t.Errorf("tick %q is not round", s)
		}
	}
	// A loss that falls a hundredfold is drawn on a log scale, ticked at
	// powers of ten.
	steep := history(3, 100)
	for i := range steep {
		for j := range steep[i].StepLoss {
			steep[i].StepLoss[j] = 3 * math.Pow(0.01, float64(i*100+j)/300)
		}
	}
	texts = svgTexts(t, LossPlot(steep))
	savePlots(t, "loss-log.png", LossPlot(steep))
	for _, want := range []string{"loss (log scale)", "0.1", "1"} {
		if !slices.Contains(texts, want) {
			t.Errorf("log-scale loss: no text %q in %q", want, texts)
		}
	}
	// One epoch is a curve of its steps, not a point.
	if raw, smooth := stepCurve(history(1, 50)); len(raw) != 50 || len(smooth) != 50 || raw[49].X != 1 || raw[0].X != 0.02 {
		t.Errorf("the steps of one epoch: %d points from x=%v to %v", len(raw), raw[0].X, raw[len(raw)-1].X)
	}
	// Many epochs are ticked at round whole numbers.
	for _, tk := range epochTicks.Ticks(0, 100) {
		if tk.Label != "" && !slices.Contains([]string{"0", "20", "25", "40", "50", "60", "75", "80", "100"}, tk.Label) {
			t.Errorf("epoch tick %q over 0…100", tk.Label)
		}
	}
}

func TestDecisionAndConfusionPlots(t *testing.T) {
	ds := data.SpiralSplit(1, data.SpiralTrain, 30, 3)
	m := nn.MLP(nn.Spec{Sizes: []int{2, 8, 3}}, rand.New(rand.NewPCG(1, 2)))
	b := &Boundary{Model: m, Data: ds, Std: 1, Names: []string{"red", "green", "blue"}}
	texts := svgTexts(t, DecisionPlot(b))
	for _, want := range []string{"Decision regions", "x₁", "x₂", "red", "green", "blue", "0", "-1", "1"} {
		if !slices.Contains(texts, want) {
			t.Errorf("decision plot: no text %q in %q", want, texts)
		}
	}
	c := &Confusion{Counts: [][]int{{5, 1, 0}, {0, 7, 2}, {1, 0, 4}}, Names: []string{"cat", "dog", "bird"}}
	texts = svgTexts(t, ConfusionPlot(c))
	savePlots(t, "confusion.png", ConfusionPlot(c))
	savePlots(t, "decision.png", DecisionPlot(b))
	for _, want := range []string{"Confusion matrix (20 examples, accuracy 80.00%)", "predicted class", "true class", "cat", "dog", "bird", "5", "7", "4", "2"} {
		if !slices.Contains(texts, want) {
			t.Errorf("confusion plot: no text %q in %q", want, texts)
		}
	}
	// A PNG of three panels is three panels wide.
	var buf bytes.Buffer
	if err := Plot(&buf, history(2, 10), b); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil || img.Bounds().Dx() != 3*480 || img.Bounds().Dy() != 360 {
		t.Errorf("Plot: %v, %v", err, img.Bounds())
	}
	if err := SaveFigure(filepath.Join(t.TempDir(), "x.jpg"), LossPlot(nil)); err == nil {
		t.Error("SaveFigure wrote a .jpg")
	}
}

func TestConfusionMetrics(t *testing.T) {
	c := &Confusion{Counts: [][]int{{5, 1, 0}, {0, 7, 2}, {1, 0, 0}}}
	if c.Total() != 16 || c.Accuracy() != 12.0/16 {
		t.Errorf("total %d accuracy %v", c.Total(), c.Accuracy())
	}
	// Class 0: 5 of 6 predicted as 0 are 0; 5 of 6 of class 0 found.
	if c.Precision(0) != 5.0/6 || c.Recall(0) != 5.0/6 || math.Abs(c.F1(0)-5.0/6) > 1e-15 {
		t.Errorf("class 0: %v %v %v", c.Precision(0), c.Recall(0), c.F1(0))
	}
	// Class 2 is never predicted right: all zero, not NaN.
	if c.Precision(2) != 0 || c.Recall(2) != 0 || c.F1(2) != 0 || c.Support(2) != 1 {
		t.Errorf("class 2: %v %v %v %d", c.Precision(2), c.Recall(2), c.F1(2), c.Support(2))
	}
	classes, macro := c.Report()
	if len(classes) != 3 || classes[1].Name != "1" || classes[1].Recall != 7.0/9 || macro.Support != 16 ||
		math.Abs(macro.Recall-(5.0/6+7.0/9)/3) > 1e-15 {
		t.Errorf("report %+v, macro %+v", classes, macro)
	}
	// Confuse agrees with Evaluate.
	ds := data.SpiralSplit(1, data.SpiralTrain, 30, 3)
	m := nn.MLP(nn.Spec{Sizes: []int{2, 8, 3}}, rand.New(rand.NewPCG(1, 2)))
	loss, acc := Evaluate(m, ds, 7)
	got := Confuse(m, ds, 7)
	if got.Loss != loss || got.Accuracy() != acc || got.Total() != 90 || got.Support(1) != 30 {
		t.Errorf("Confuse: loss %v accuracy %v, Evaluate %v %v", got.Loss, got.Accuracy(), loss, acc)
	}
}
