package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"backprop/ag"
	"backprop/nn"
	"backprop/tensor"
	"backprop/train"
)

const sampleUsage = `usage: backprop sample [--model FILE] [--prompt TEXT] [--tokens N] [--temperature T] [--top-k K] [--seed S] [--no-cache] [--max-memory SIZE]

Sample generates text with a next-byte model saved by "backprop train
--dataset gosrc" or "--text" (--model, default gosrc.safetensors): it
prints the prompt, then writes every byte to standard output as soon as it
is drawn, each drawn from the model's distribution of the next byte given
all the bytes before it. At the end it reports on standard error how many
bytes it made and how fast.

Each new byte costs one position of the model, not the whole context: a
transformer's blocks keep the keys and values of the positions before (a
key/value cache), and a recurrent model (lstm, gru, rnn) carries its hidden
state from byte to byte, without limit. A transformer's learned positions
stop at its context: when the text reaches it, the cache is rebuilt from
the last half of the context, in one pass, and generation goes on.

	--prompt TEXT       the text to continue (default: a newline, which is
	                    not printed)
	--tokens N          the bytes to generate (default 300)
	--temperature T     divide the logits by T before the softmax (default
	                    0.8): lower is more predictable, 0 always takes the
	                    most likely byte
	--top-k K           draw from the K most likely bytes alone (default 40;
	                    0 for all of them)
	--seed S            the seed of the draws (default 1): the same model,
	                    flags and seed give the same bytes
	--no-cache          run the whole window (the last bytes, as many as the
	                    model's context) through the model for every new
	                    byte instead: slower, to compare
` + maxMemoryUsage

func runSample(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	model := fs.String("model", "gosrc.safetensors", "")
	prompt := fs.String("prompt", "", "")
	tokens := fs.Int("tokens", 300, "")
	temperature := fs.Float64("temperature", 0.8, "")
	topK := fs.Int("top-k", 40, "")
	seed := fs.Uint64("seed", 1, "")
	noCache := fs.Bool("no-cache", false, "")
	maxMemory := addMaxMemory(fs)
	pos, code, done := parseCommandFlags(fs, args, sampleUsage, stdout, stderr)
	if done {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "backprop sample: %v\n", err)
		return 2
	}
	switch {
	case len(pos) > 0:
		return fail(fmt.Errorf("unexpected argument %q", pos[0]))
	case *tokens < 0:
		return fail(flagError("tokens", strconv.Itoa(*tokens), "must not be negative"))
	case !(*temperature >= 0) || math.IsInf(*temperature, 0):
		return fail(flagError("temperature", fmt.Sprint(*temperature), "want 0 (always the most likely byte) or more"))
	case *topK < 0:
		return fail(flagError("top-k", strconv.Itoa(*topK), "must not be negative (0 for every byte)"))
	}
	m, err := nn.Load(*model, maxMemory.nn())
	if errors.Is(err, os.ErrNotExist) {
		return fail(fmt.Errorf("--model %s: no such file; train one with: backprop train --dataset gosrc --model %s", *model, *model))
	}
	if err != nil {
		return fail(err)
	}
	if !m.Sequence() {
		return fail(fmt.Errorf("--model %s: not a model of text (its output is %v per example): sample needs a next-byte model, trained with --dataset gosrc or --text", *model, m.Plan().Out()))
	}
	if _, err := train.DataOf(m); err != nil {
		return fail(fmt.Errorf("%s: %v", *model, err))
	}
	emb, ok := m.Net.Layers[0].(*nn.Embedding)
	if !ok {
		return fail(fmt.Errorf("--model %s: a sequence model that does not start with embed: sample needs a next-byte model", *model))
	}
	dec, err := nn.NewDecoder(m)
	if err != nil {
		return fail(fmt.Errorf("--model %s: %v", *model, err))
	}
	vocab := min(emb.Num, m.Classes()) // the bytes the model can both draw and read back
	ids := []int{'\n'}
	if *prompt != "" {
		ids = ids[:0]
		for i := range len(*prompt) {
			if b := int((*prompt)[i]); b >= emb.Num {
				return fail(flagError("prompt", strconv.Quote(*prompt), "byte %#x at offset %d is outside the model's vocabulary of %d", b, i, emb.Num))
			}
			ids = append(ids, int((*prompt)[i]))
		}
	}
	if vocab == 0 || '\n' >= emb.Num && *prompt == "" {
		return fail(fmt.Errorf("--model %s: a vocabulary of %d symbols has no newline to start from: give --prompt", *model, emb.Num))
	}
	if _, err := io.WriteString(stdout, *prompt); err != nil {
		return fail(err)
	}
	feed := dec.Feed
	if *noCache {
		feed = windowFeed(m, ids[:0:0])
	}
	rng := rand.New(rand.NewPCG(*seed, 0))
	start := time.Now()
	logits := feed(ids...)
	var b [1]byte
	for i := range *tokens {
		next := nn.Sample(logits[:vocab], *temperature, *topK, rng)
		b[0] = byte(next)
		if _, err := stdout.Write(b[:]); err != nil { // one byte as soon as it is drawn
			return fail(err)
		}
		if i+1 < *tokens {
			logits = feed(next)
		}
	}
	if isTerminal(stdout) {
		fmt.Fprintln(stdout) // end the line, for the prompt of the shell
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stderr, "%s in %.2fs (%.0f bytes/s)\n", plural(*tokens, "byte"), secs, float64(*tokens)/secs)
	return 0
}

// windowFeed returns a Decoder.Feed that runs the model m over the last
// m.Shape[0] symbols of the sequence (its planned window) at every call,
// without caches: the slow way, for comparison.
func windowFeed(m *nn.Model, seq []int) func(ids ...int) []float64 {
	return func(ids ...int) []float64 {
		seq = append(seq, ids...)
		win := seq[max(0, len(seq)-m.Shape[0]):]
		v := make([]float32, len(win))
		for i, id := range win {
			v[i] = float32(id)
		}
		g := ag.NewGraph(ag.NoGrad)
		defer g.Reset()
		y := m.Net.Forward(g.Const(tensor.FromSlice(v, 1, len(win))))
		c := y.Value.Dim(2)
		out := make([]float64, c)
		for i := range out {
			out[i] = y.Value.Flat((len(win)-1)*c + i)
		}
		return out
	}
}
