package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"backprop/data"
	"backprop/data/mnist"
	"backprop/nn"
	"backprop/tensor"
	"backprop/train"
)

// pngBytes encodes a w×h gray image with a diagonal stroke.
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

// libraryPrediction classifies the image file at path with the model file
// through the library (mnist.ReadImageFile, mnist.FromImage, the stored
// standardisation applied by hand, train.Probabilities on the bare
// network), as predict should.
func libraryPrediction(t *testing.T, model, path string) prediction {
	t.Helper()
	m, err := nn.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mnist.ReadImageFile(path)
	if err != nil {
		t.Fatal(err)
	}
	x, err := mnist.FromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	ds := data.New(x, []int{0}, 0)
	ds.Standardize(m.Input.Mean, m.Input.Std)
	probs := train.Probabilities(m.Net, ds.X)
	p, best := probs.Values(), tensor.ArgMax(probs, 1)[0]
	return prediction{path, best, p[best], p}
}

func (p prediction) line() string {
	return fmt.Sprintf("%s: class %d, probability %.4f\n", p.File, p.Class, p.Probability)
}

// predict takes several images, prints one line for each in order, names
// every image it cannot read on standard error and still classifies the
// others.
func TestPredictImages(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.safetensors")
	spec := nn.Spec{Sizes: []int{784, 16, 10}}
	if err := train.SaveModel(model, nn.MLP(spec, rand.New(rand.NewPCG(1, 1))), train.Meta{Spec: spec, Mean: 0.13, Std: 0.31}); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.png", pngBytes(40, 60))
	b := write("b.png", pngBytes(300, 200))
	blank := write("blank.png", pngBytes(1, 1)) // one white pixel: all border
	text := write("notes.txt", []byte("not an image"))
	missing := filepath.Join(dir, "missing.png")
	pa, pb := libraryPrediction(t, model, a), libraryPrediction(t, model, b)

	for _, c := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{a}, 0, pa.line(), ""},
		{[]string{a, b, a}, 0, pa.line() + pb.line() + pa.line(), ""},
		{[]string{missing, a, blank, text, b}, 2, pa.line() + pb.line(),
			"backprop predict: open " + missing + ": no such file or directory\n" +
				"backprop predict: " + blank + ": no digit in the image: it is all one shade\n" +
				"backprop predict: " + text + ": image: unknown format (want a PNG, JPEG or GIF image)\n"},
		{[]string{blank, dir}, 2, "",
			"backprop predict: " + blank + ": no digit in the image: it is all one shade\n" +
				"backprop predict: " + dir + ": read " + dir + ": is a directory\n"},
	} {
		code, stdout, stderr := runArgs(append([]string{"predict", "--model", model}, c.args...)...)
		if code != c.code || stdout != c.stdout || stderr != c.stderr {
			t.Errorf("predict %q: exit %d, stdout\n%s\nstderr\n%s\nwant exit %d, stdout\n%s\nstderr\n%s", c.args, code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
	}

	// --json: one object per line, in order, the same numbers.
	code, stdout, stderr := runArgs("predict", "--json", "--model", model, b, text, a)
	lines := strings.Split(stdout, "\n")
	if code != 2 || len(lines) != 3 || lines[2] != "" || stderr != "backprop predict: "+text+": image: unknown format (want a PNG, JPEG or GIF image)\n" {
		t.Fatalf("predict --json: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for i, want := range []prediction{pb, pa} {
		var got prediction
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if !strings.HasPrefix(lines[i], `{"file":`) || got.File != want.File || got.Class != want.Class || got.Probability != want.Probability ||
			len(got.Probabilities) != 10 || got.Probabilities[got.Class] != got.Probability {
			t.Errorf("line %d: %s\nwant %+v", i+1, lines[i], want)
		}
		for k, v := range got.Probabilities {
			if v > got.Probability || float32(v) != float32(want.Probabilities[k]) {
				t.Errorf("line %d: probability %d is %v, want %v", i+1, k, v, want.Probabilities[k])
			}
		}
	}
}
