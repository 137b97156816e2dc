package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"backprop/data"
	"backprop/data/mnist"
	"backprop/internal/memory"
	"backprop/nn"
	"backprop/tensor"
	"backprop/train"
)

const evalUsage = `usage: backprop eval [--model FILE] [--data DIR] [--plot FILE.png] [--json] [--max-memory SIZE]

Eval loads a model saved by "backprop train" (--model, default
model.safetensors) and measures it on the test set of the data set it was
trained on (the MNIST or Fashion-MNIST test images, from --data DIR if
given; for the spiral, the fresh sample train tested on): the accuracy and the loss, the
confusion matrix (a row per true class, a column per predicted class), and
the precision, recall, F1 and support of every class with their macro
average, as scikit-learn's classification_report gives them. Classes are
named where the data set names them (Fashion-MNIST's, or those of a
classes.txt in the data folder, one name per line), else numbered.

	--plot FILE.png   also draw the confusion matrix into a PNG (or .svg)
	--json            print one JSON object instead:
	                  {"accuracy": A, "loss": L, "samples": N,
	                   "classes": ["0", ...], "confusion": [[...], ...],
	                   "per_class": [{"class": "0", "precision": P,
	                   "recall": R, "f1": F, "support": S}, ...],
	                   "macro_avg": {"precision": P, "recall": R, "f1": F}}

The model file is checked before it is used: the checksums of its header
and data, and what its architecture and data set need against
--max-memory:

` + maxMemoryUsage

const predictUsage = `usage: backprop predict [--model FILE] [--json] [--max-memory SIZE] IMAGE...

Predict classifies images with a model of 784 inputs saved by "backprop
train" (--model, default model.safetensors): handwritten or printed
digits, or, for a Fashion-MNIST model, photographs of clothes.
Each IMAGE is a PNG, JPEG or GIF of
any size (at most 8192 pixels a side and 32 MB), dark ink on a light
background or light on dark, opaque or on a transparent background. It is
read as MNIST made its digits: the ink is cropped, fitted into 20×20
pixels keeping its aspect ratio, centred by its centre of mass in 28×28,
and standardized as in training. For a Fashion-MNIST model the image is
read as Fashion-MNIST made its pictures instead: made light on dark,
cropped to the garment, scaled so that its longer side is 28 pixels and
centred.

It prints one line per image, in the order given:

	FILE: class C, probability P

--json prints one JSON object per line instead:

	{"file": "FILE", "class": C, "probability": P, "probabilities": [10 numbers]}

An image that cannot be read (a missing file, another format, one with no
ink) gets one line on standard error naming it; the other images are still
classified, and the exit status is 2. The model file is checked as eval
checks it:

` + maxMemoryUsage

func runEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	model := fs.String("model", "model.safetensors", "")
	dataDir := fs.String("data", "", "")
	plotFile := fs.String("plot", "", "")
	jsonOut := fs.Bool("json", false, "")
	maxMemory := addMaxMemory(fs)
	pos, code, done := parseCommandFlags(fs, args, evalUsage, stdout, stderr)
	if done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "backprop eval: "+format+"\n", a...)
		return 2
	}
	if len(pos) > 0 {
		return fail("unexpected argument %q", pos[0])
	}
	if *plotFile != "" && !train.FigureFormat(*plotFile) {
		return fail("%v", flagError("plot", *plotFile, "want a file name ending in .png or .svg"))
	}
	// The model standardises its raw inputs itself, as its file says.
	m, info, err := loadModel(*model, maxMemory)
	if err != nil {
		return fail("%v", err)
	}
	var test *data.Dataset
	switch info.Name {
	case "spiral":
		// The points come from the file: weigh them before making them.
		d := info
		n := memory.Mul(int64(d.Points), int64(d.Classes))
		need := memory.Add(data.Bytes(int(min(n, 1<<62)), 2), train.InferenceMemory(m.Plan(), int(min(n, train.EvalBatch))))
		what := fmt.Sprintf("the spiral test set of %d×%d points", d.Classes, d.Points)
		if err := maxMemory.budget().Check(what, need); err != nil {
			return fail("%s: dataset: %v", *model, err)
		}
		test = spiralTest(info)
	case "mnist", "fashion", "":
		dir, err := imageDir(info.Name, *dataDir)
		if err != nil {
			return fail("%v", err)
		}
		if test, err = mnist.LoadSet(dir, "t10k", mnist.MaxMemory(maxMemory.bytes)); err != nil {
			return fail("%v", err)
		}
	case "gosrc", "text":
		return fail("--model %s: a next-byte model of text: train reports its validation loss; generate text with: backprop sample --model %s", *model, *model)
	default:
		return fail("%s: unknown data set %q in the metadata", *model, info.Name)
	}
	if test.Features() != m.Inputs() {
		return fail("%s: the model takes %d inputs but the test examples have %d", *model, m.Inputs(), test.Features())
	}
	c := train.Confuse(m, test, train.EvalBatch)
	c.Names = info.Names
	if *plotFile != "" {
		if err := train.SaveFigure(*plotFile, train.ConfusionPlot(c)); err != nil {
			return fail("%v", flagError("plot", *plotFile, "%v", err))
		}
	}
	if *jsonOut {
		writeEvalJSON(stdout, c)
		return 0
	}
	writeEval(stdout, c)
	if *plotFile != "" {
		fmt.Fprintf(stdout, "\nplot saved to %s\n", *plotFile)
	}
	return 0
}

// writeEval prints the accuracy and loss, the confusion matrix and the
// classification report of c. The matrix's columns are numbered, its
// rows numbered and named, so that it stays narrow with long names.
func writeEval(w io.Writer, c *train.Confusion) {
	fmt.Fprintf(w, "accuracy %s, loss %.4f on %d examples\n\n", pct(c.Accuracy()), c.Loss, c.Total())
	k := c.Classes()
	width := 5 // of a column of counts, with its space
	for i := range k {
		width = max(width, len(strconv.Itoa(c.Support(i)))+1)
	}
	num := len(strconv.Itoa(k - 1))
	label := func(i int) string {
		l := fmt.Sprintf("%*d", num, i)
		if c.Names != nil {
			l += " " + c.Names[i]
		}
		return l
	}
	lw := 0
	for i := range k {
		lw = max(lw, utf8.RuneCountInString(label(i)))
	}
	fmt.Fprintln(w, "confusion matrix (a row per true class, a column per predicted class):")
	fmt.Fprint(w, strings.Repeat(" ", lw))
	for j := range k {
		fmt.Fprintf(w, "%*d", width, j)
	}
	fmt.Fprintln(w)
	for i := range k {
		l := label(i)
		fmt.Fprint(w, l+strings.Repeat(" ", lw-utf8.RuneCountInString(l)))
		for j := range k {
			fmt.Fprintf(w, "%*d", width, c.Counts[i][j])
		}
		fmt.Fprintln(w)
	}
	classes, macro := c.Report()
	nw := max(len("macro avg"), lw)
	fmt.Fprintf(w, "\n%-*s  precision  recall      f1  support\n", nw, "class")
	row := func(name string, r train.ClassReport) {
		fmt.Fprintf(w, "%s%s  %9.4f  %6.4f  %6.4f  %7d\n", name, strings.Repeat(" ", nw-utf8.RuneCountInString(name)), r.Precision, r.Recall, r.F1, r.Support)
	}
	for i, r := range classes {
		row(label(i), r)
	}
	row("macro avg", macro)
}

// writeEvalJSON prints the measures of c as one JSON object.
func writeEvalJSON(w io.Writer, c *train.Confusion) {
	type measures struct {
		Class     string  `json:"class,omitempty"`
		Precision float64 `json:"precision"`
		Recall    float64 `json:"recall"`
		F1        float64 `json:"f1"`
		Support   int     `json:"support"`
	}
	classes, macro := c.Report()
	out := struct {
		Accuracy  float64    `json:"accuracy"`
		Loss      float64    `json:"loss"`
		Samples   int        `json:"samples"`
		Classes   []string   `json:"classes"`
		Confusion [][]int    `json:"confusion"`
		PerClass  []measures `json:"per_class"`
		MacroAvg  measures   `json:"macro_avg"`
	}{Accuracy: c.Accuracy(), Loss: c.Loss, Samples: c.Total(), Confusion: c.Counts,
		MacroAvg: measures{Precision: macro.Precision, Recall: macro.Recall, F1: macro.F1, Support: macro.Support}}
	for i, r := range classes {
		out.Classes = append(out.Classes, c.Name(i))
		out.PerClass = append(out.PerClass, measures{r.Name, r.Precision, r.Recall, r.F1, r.Support})
	}
	b, _ := json.Marshal(out)
	fmt.Fprintf(w, "%s\n", b)
}

// loadModel loads the model file of --model, saying plainly when the file
// is missing or not a model, and the data set it was trained on. The
// model applies the standardisation of its file itself: it takes raw
// inputs.
func loadModel(path string, maxMemory *memoryFlag) (*nn.Model, train.DataInfo, error) {
	m, err := nn.Load(path, maxMemory.nn())
	if errors.Is(err, os.ErrNotExist) {
		return nil, train.DataInfo{}, fmt.Errorf("--model %s: no such file; train one with: backprop train --model %s", path, path)
	}
	if err != nil {
		return nil, train.DataInfo{}, err
	}
	info, err := train.DataOf(m)
	if err != nil {
		return nil, info, fmt.Errorf("%s: %v", path, err)
	}
	return m, info, nil
}

// prediction is a line of predict --json.
type prediction struct {
	File          string    `json:"file"`
	Class         int       `json:"class"`
	Probability   float64   `json:"probability"`
	Probabilities []float64 `json:"probabilities"`
}

func runPredict(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	model := fs.String("model", "model.safetensors", "")
	jsonOut := fs.Bool("json", false, "")
	maxMemory := addMaxMemory(fs)
	pos, code, done := parseCommandFlags(fs, args, predictUsage, stdout, stderr)
	if done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "backprop predict: "+format+"\n", a...)
		return 2
	}
	if len(pos) == 0 {
		return fail("want at least one IMAGE argument")
	}
	m, info, err := loadModel(*model, maxMemory)
	if err != nil {
		return fail("%v", err)
	}
	if m.Sequence() {
		return fail("--model %s: a next-byte model of text: predict classifies images; generate text with: backprop sample --model %s", *model, *model)
	}
	if m.Inputs() != mnist.Side*mnist.Side {
		return fail("%s: the model takes %d inputs, not a 28×28 image", *model, m.Inputs())
	}
	// Read every image, then classify the good ones in one batch.
	var names []string
	var rows []*tensor.Tensor
	for _, path := range pos {
		x, err := readImage(path, info.Name)
		if err != nil {
			code = fail("%v", err)
			continue
		}
		names, rows = append(names, path), append(rows, x)
	}
	if len(rows) == 0 {
		return code
	}
	// Raw pixels: the model applies the standardisation of its file.
	probs := m.Predict(tensor.Concat(0, rows...))
	for i, best := range tensor.ArgMax(probs, 1) {
		p := make([]float64, probs.Dim(1))
		for k := range p {
			p[k] = probs.At(i, k)
		}
		if *jsonOut {
			out, _ := json.Marshal(prediction{names[i], best, p[best], p})
			fmt.Fprintf(stdout, "%s\n", out)
			continue
		}
		fmt.Fprintf(stdout, "%s: class %d, probability %.4f\n", names[i], best, p[best])
	}
	return code
}
