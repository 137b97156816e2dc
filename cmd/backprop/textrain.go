package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"backprop/ag"
	"backprop/data/text"
	"backprop/nn"
	"backprop/optim"
	"backprop/train"
)

// isText reports whether dataset names text data: the Go source (gosrc)
// or the corpus of --text.
func isText(dataset string) bool { return dataset == "gosrc" || dataset == "text" }

// isTextArch reports whether a is a model of text: one that starts by
// embedding byte indices.
func isTextArch(a *nn.Arch) bool { return strings.HasPrefix(a.String(), "embed(") }

// textValSeed seeds the starts of the validation windows of every text
// run, whatever its --seed, so that runs of different seeds are measured
// on the same windows.
const textValSeed = 1

// The flags of image and point data sets, which text runs refuse.
var notTextFlags = []string{"hidden", "activation", "dropout", "augment", "points", "classes", "limit", "data"}

// trainText is backprop train on text (--dataset gosrc, or --text): a
// next-byte model of --arch (default lstm) trained on random windows of
// --context bytes, --steps-per-epoch steps an epoch, and validated at the
// end of every epoch on --val fixed windows of the validation files.
func trainText(o *trainOptions, ck *train.Checkpoint, stdout, stderr io.Writer) error {
	if o.comm != nil && o.comm.Size() > 1 {
		return errors.New("a text run is one process: run it without mpirun")
	}
	for _, f := range notTextFlags {
		if o.set[f] {
			return fmt.Errorf("--%s: not a flag of text data: a text run's network is --arch, such as lstm or gpt", f)
		}
	}
	switch {
	case o.dataset == "text" && o.textPath == "":
		return errors.New("--dataset text: give the text with --text FILE|DIR")
	case o.dataset == "gosrc" && o.textPath != "":
		return flagError("text", o.textPath, "--dataset gosrc is the Go source: give --text alone for other text")
	}
	if !o.set["arch"] {
		o.arch = "lstm"
	}
	if !o.set["val"] {
		o.val = 100
	}
	if _, err := checkOptions(o); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"context", o.context}, {"steps-per-epoch", o.stepsPerEpoch}} {
		if c.v <= 0 {
			return flagError(c.name, strconv.Itoa(c.v), "must be positive")
		}
	}
	if o.context > nn.MaxWidth {
		return flagError("context", strconv.Itoa(o.context), "more than %d bytes", nn.MaxWidth)
	}
	if err := checkCheckpointFlags(o); err != nil {
		return err
	}
	plan, err := planText(o.arch, o.context)
	if err != nil {
		return err
	}
	label := strings.Join(strings.Fields(o.arch), " ")
	budget := o.maxMemory.budget()
	slots := optim.Slots(o.optimizer)
	if o.patience > 0 {
		slots++
	}
	// The flag to blame for a network too large: --arch, or --context
	// where the architecture is the default, or --max-memory.
	netFlag := [2]string{"arch", quoted(o.arch)}
	switch {
	case !o.set["arch"] && o.set["context"]:
		netFlag = [2]string{"context", strconv.Itoa(o.context)}
	case !o.set["arch"] && o.set["max-memory"]:
		netFlag = [2]string{"max-memory", o.maxMemory.text}
	}
	need := needToTrainText(plan, o.batch, slots)
	if o.set["context"] && !o.set["batch"] {
		need.step = 0 // the windows' length, not the default batch, asks for it
	}
	if err := checkNeed(budget, need, label, o.optimizer, o.batch, netFlag, [2]string{}, "", 0); err != nil {
		return err
	}
	if o.threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.threads))
	}
	if err := checkOutputs(o); err != nil {
		return err
	}
	corpus, err := openText(o)
	if err != nil {
		return err
	}
	tr, val := corpus.Train, corpus.Valid
	dataFlag := [2]string{"dataset", o.dataset}
	if o.dataset == "text" {
		dataFlag = [2]string{"text", o.textPath}
	}
	dataWhat := fmt.Sprintf("the text of %s (%d bytes)", corpus.Root, tr.Len()+val.Len())
	if err := checkNeed(budget, need, label, o.optimizer, o.batch, netFlag, dataFlag, dataWhat, int64(tr.Len()+val.Len())); err != nil {
		return err
	}
	if tr.Len() < o.context+1 {
		return flagError("context", strconv.Itoa(o.context), "the training text of %s has %d bytes, fewer than a window of %d", corpus.Root, tr.Len(), o.context+1)
	}
	if o.val > 0 && val.Len() < o.context+1 {
		return flagError("context", strconv.Itoa(o.context), "the validation text of %s has %d bytes, fewer than a window of %d (or --val 0 for none)", corpus.Root, val.Len(), o.context+1)
	}
	if o.patience > 0 && o.val == 0 {
		return flagError("patience", strconv.Itoa(o.patience), "needs a validation set, but --val is 0")
	}

	src := rand.NewPCG(o.seed, 42) // its state goes into checkpoints
	rng := rand.New(src)
	model := plan.Build(rng)
	meta := train.Meta{Shape: []int{o.context}, Data: train.DataInfo{Name: o.dataset}}
	steps := o.epochs * o.stepsPerEpoch
	opt, err := optim.New(o.optimizer, nn.Vars(model), optim.Options{LR: o.lr, Momentum: o.momentum, WeightDecay: o.weightDecay})
	if err != nil {
		return flagError("optimizer", o.optimizer, "%v", err)
	}
	sched, err := optim.NewSchedule(o.schedule, o.lr, steps, o.warmup)
	if err != nil {
		return flagError("schedule", o.schedule, "%v", err)
	}
	if ck != nil {
		if want := plan.Arch().String(); ck.Meta.Arch != want {
			return flagError("resume", o.resume, "the checkpoint's network is %s, the flags ask for %s", ck.Meta.Arch, want)
		}
		if err := ck.Restore(model, opt); err != nil {
			return flagError("resume", o.resume, "%v", err)
		}
	}
	d := train.TextData{Train: tr, Context: o.context, StepsPerEpoch: o.stepsPerEpoch, ValWindows: o.val, ValSeed: textValSeed}
	if o.val > 0 {
		d.Val = val
	}
	cfg := train.Config{Epochs: o.epochs, Batch: o.batch, Optimizer: opt, Schedule: sched, Rand: rng, Source: src, Patience: o.patience}
	if ck != nil {
		cfg.Resume = ck.Position
	}
	if o.detectAnomaly {
		cfg.GraphFlags |= ag.DetectAnomaly
	}
	if o.checkpointDir != "" {
		fj, _ := json.Marshal(storedFlags(o.fs))
		cfg.Checkpoints = &train.Checkpoints{Dir: o.checkpointDir, Every: o.checkpointEvery, Meta: meta,
			Extra: map[string]string{keyFlags: string(fj)}}
	}
	var log *train.Log
	if o.log != "" {
		if log, err = train.OpenLog(o.log, cfg.Resume); err != nil {
			return flagError("log", o.log, "%v", errors.Unwrap(err))
		}
		defer log.Close()
	}
	fmt.Fprint(stderr, plan.String())
	printLines(stderr, textHeader(o, label, corpus))
	tty := isTerminal(stderr)
	var bar *progressbar.ProgressBar
	cfg.OnStep = func(s train.Step) {
		if log != nil {
			log.Step(s)
		}
		if !tty {
			return
		}
		if bar == nil {
			bar = progressbar.NewOptions(o.stepsPerEpoch, progressbar.OptionSetWriter(stderr),
				progressbar.OptionShowIts(), progressbar.OptionSetItsString("steps"),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish(),
				progressbar.OptionSetWidth(20))
		}
		bar.Describe(fmt.Sprintf("epoch %d/%d loss %.4f", s.Epoch, o.epochs, s.Loss))
		bar.Set(s.Step)
	}
	printedHeader := false
	cfg.OnEpoch = func(e train.Epoch) {
		if log != nil {
			log.Epoch(e)
		}
		if bar != nil {
			bar.Finish()
			bar = nil
		}
		if !printedHeader {
			fmt.Fprintln(stderr, textTableHeader)
			printedHeader = true
		}
		fmt.Fprintln(stderr, textRow(e, o))
	}
	stop, release := interruptions()
	defer release()
	cfg.Stop = stop

	hist, secs, err := runTraining(o, cfg, log, func() (train.History, error) { return train.RunText(model, d, cfg) })
	if err != nil {
		return err
	}
	trainSecs, windows := 0.0, 0
	for _, e := range hist {
		trainSecs += e.Seconds
		windows += o.stepsPerEpoch * o.batch
	}
	valLoss, valAcc := math.NaN(), math.NaN()
	if o.val > 0 {
		valLoss, valAcc = train.EvaluateText(model, val, o.context, o.val, textValSeed, train.TextEvalBatch)
	}
	modelPath := ""
	if o.model != "none" {
		if err := train.SaveModel(o.model, model, meta); err != nil {
			return flagError("model", o.model, "%v", err)
		}
		modelPath = o.model
	}
	if o.plot != "" {
		if err := train.SaveFigure(o.plot, train.Curves(hist, nil)...); err != nil {
			return flagError("plot", o.plot, "%v", err)
		}
	}
	wps := float64(windows) / trainSecs
	if o.json {
		out, _ := json.Marshal(map[string]any{"val_loss": jsonNum(valLoss), "val_bits_per_byte": jsonNum(valLoss / math.Ln2),
			"val_accuracy": jsonNum(valAcc), "epochs": len(hist), "steps": len(hist) * o.stepsPerEpoch, "seconds": round(secs),
			"windows_per_second": math.Round(wps), "model": modelPath})
		fmt.Fprintf(stdout, "%s\n", out)
		return nil
	}
	if o.val > 0 {
		printLines(stdout, fmt.Sprintf("validation loss %.4f nats, %.4f bits per byte, next-byte accuracy %s on %d windows of %d bytes",
			valLoss, valLoss/math.Ln2, pct(valAcc), o.val, o.context))
	}
	printLines(stdout, fmt.Sprintf("%s in %.1fs (%.0f windows/s)", plural(len(hist), "epoch"), secs, wps))
	printSaved(stdout, modelPath, o.plot)
	return nil
}

// jsonNum is x, or nil (JSON's null) for NaN, which JSON cannot hold.
func jsonNum(x float64) any {
	if math.IsNaN(x) {
		return nil
	}
	return x
}

// planText plans the next-byte model of arch (a preset's name or the
// text) for windows of context bytes: it must start with embed and give
// the 256 logits of the next byte at every position.
func planText(arch string, context int) (*nn.Plan, error) {
	src, preset := nn.Preset(arch)
	if !preset {
		src = arch
	}
	a, err := nn.ParseArch(src)
	if err != nil {
		return nil, archFlagError(arch, src, err)
	}
	if !isTextArch(a) {
		return nil, flagError("arch", quoted(arch), "not a model of text: a next-byte model starts with embed, such as the presets lstm and gpt")
	}
	p, err := a.Plan([]int{context})
	if err != nil {
		return nil, archFlagError(arch, src, err)
	}
	if out := p.Out(); len(out) != 2 || out[1] != text.Vocab {
		return nil, flagError("arch", quoted(arch), "the network's output is %v per window, but a next-byte model gives %d logits per byte, [%d %d]: end it with linear(%d)",
			out, text.Vocab, context, text.Vocab, text.Vocab)
	}
	return p, nil
}

// openText reads the corpus of a text run: the Go source, or --text.
func openText(o *trainOptions) (*text.Corpus, error) {
	if o.dataset == "gosrc" {
		c, err := text.GoSource()
		if err != nil {
			return nil, flagError("dataset", "gosrc", "%v", err)
		}
		return c, nil
	}
	c, err := text.Open(o.textPath, text.Options{})
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == o.textPath {
			return nil, flagError("text", o.textPath, "%v", pe.Err)
		}
		return nil, flagError("text", o.textPath, "%v", strings.TrimPrefix(err.Error(), "text: "))
	}
	return c, nil
}

// checkOutputs fails now, not after training, if a file of --model,
// --plot or --log cannot be written.
func checkOutputs(o *trainOptions) error {
	for _, f := range []struct{ name, path string }{{"model", o.model}, {"plot", o.plot}, {"log", o.log}} {
		if f.path == "" || f.name == "model" && f.path == "none" {
			continue
		}
		if st, err := os.Stat(filepath.Dir(f.path)); err != nil || !st.IsDir() {
			return flagError(f.name, f.path, "no folder %s to write into", filepath.Dir(f.path))
		}
	}
	return nil
}

// textHeader describes the text run about to start.
func textHeader(o *trainOptions, label string, c *text.Corpus) string {
	nv := 0
	for _, f := range c.Files {
		if f.Valid {
			nv++
		}
	}
	what := fmt.Sprintf("training %s on %s: %s of text in %s, %s of them in %s for validation", label, o.dataset,
		bytesText(c.Train.Len()+c.Valid.Len()), plural(len(c.Files), "file"), bytesText(c.Valid.Len()), plural(nv, "file"))
	sched := o.schedule + " schedule"
	if w := min(o.warmup, o.epochs*o.stepsPerEpoch/2); w > 0 {
		sched += fmt.Sprintf(" after %s of warm-up", plural(w, "step"))
	}
	how := fmt.Sprintf("%s of %s, batches of %d windows of %d bytes, %s lr %g, %s", plural(o.epochs, "epoch"),
		plural(o.stepsPerEpoch, "step"), o.batch, o.context, o.optimizer, o.lr, sched)
	if o.val > 0 {
		how += fmt.Sprintf("; validation on %d fixed windows", o.val)
	}
	return what + "\n" + how
}

// bytesText writes a size in bytes for people: "512 bytes", "1.5 MB".
func bytesText(n int) string {
	switch {
	case n < 1000:
		return plural(n, "byte")
	case n < 1000_000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// The table of a text run's epochs: the losses in nats per byte, the
// validation loss in bits per byte too.
const textTableHeader = "  epoch    loss  val loss  val bits/byte  val acc         lr  windows/s    time"

func textRow(e train.Epoch, o *trainOptions) string {
	lr := fmt.Sprintf("%.3g", e.LR)
	if e.Epoch == o.epochs && o.schedule == "cosine" {
		lr = "0 (end)"
	}
	return fmt.Sprintf("%7s %7s %9s %14s %8s %10s %10.0f %6.1fs", fmt.Sprintf("%d/%d", e.Epoch, o.epochs),
		num(e.Loss), num(e.ValLoss), num(e.ValLoss/math.Ln2), pct(e.ValAccuracy), lr, e.SamplesPerSecond, e.Seconds)
}
