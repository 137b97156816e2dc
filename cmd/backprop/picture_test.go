package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGradPictures(t *testing.T) {
	dir := t.TempDir()
	svg, pngPath, dot := filepath.Join(dir, "n.svg"), filepath.Join(dir, "n.png"), filepath.Join(dir, "n.dot")
	lines := gradOK(t, append([]string{"--svg", svg, "sigmoid(w0*x0 + w1*x1 + w2)", "--png=" + pngPath, "--dot", dot}, neuronArgs...)...)
	m := parseLines(t, lines, "value", "d/dw0", "d/dx0", "d/dw1", "d/dx1", "d/dw2")
	for k, w := range neuronWant {
		within(t, k, m[k], w, 1e-12)
	}
	d, err := os.ReadFile(dot)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../viz/testdata/neuron.dot")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d, want) {
		t.Errorf("--dot wrote\n%s\nwant viz/testdata/neuron.dot", d)
	}
	s, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"<svg", "σ", "0.7311", "0.5898", "w0", "x1"} {
		if !strings.Contains(string(s), w) {
			t.Errorf("SVG lacks %q", w)
		}
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("--png: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("folder holds %d files, want 3 (no temporary files left)", len(entries))
	}
}

func TestGradPictureErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "x.svg")
	code, stdout, stderr := runArgs("grad", "--svg", missing, "x*2", "x=1")
	if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "backprop grad: --svg: open "+filepath.Join(dir, "no", "such")) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("missing folder: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	big := "x" + strings.Repeat("+x", 501)
	code, _, stderr = runArgs("grad", "--dot", filepath.Join(dir, "big.dot"), big, "x=1")
	if want := "backprop grad: viz: graph has more than 500 gates; draw a smaller one or raise Options.MaxGates\n"; code != 2 || stderr != want {
		t.Errorf("501 gates: exit %d, stderr %q, want %q", code, stderr, want)
	}
	// A constant expression has no gradient but still a picture.
	code, _, stderr = runArgs("grad", "--dot", filepath.Join(dir, "c.dot"), "2*3")
	if code != 0 || stderr != "" {
		t.Errorf("constant: exit %d, stderr %q", code, stderr)
	}
}
