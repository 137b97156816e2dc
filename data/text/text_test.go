package text_test

import (
	"bytes"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"backprop/data/text"
	"backprop/tensor"
)

const tree = "testdata/tree"

var treeFiles = []string{"a.txt", "b/c.go", "b/d.go", "b/empty.txt", "notes.md", "z/deep/e.go", "z/deep/f.txt", "z/g.go", "z/h.txt"}

func open(t *testing.T, path string, opt text.Options) *text.Corpus {
	t.Helper()
	c, err := text.Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkSplits checks that the two splits partition the corpus's files in
// its order, and that each split holds its files' bytes at their starts.
func checkSplits(t *testing.T, c *text.Corpus) {
	t.Helper()
	var train, valid []string
	for _, f := range c.Files {
		if f.Valid {
			valid = append(valid, f.Path)
		} else {
			train = append(train, f.Path)
		}
	}
	for _, sp := range []struct {
		s    *text.Split
		want []string
	}{{c.Train, train}, {c.Valid, valid}} {
		if !slices.Equal(sp.s.Files, sp.want) {
			t.Fatalf("split files %v, want %v", sp.s.Files, sp.want)
		}
		for i, name := range sp.s.Files {
			b, err := os.ReadFile(filepath.Join(c.Root, filepath.FromSlash(name)))
			if err != nil {
				t.Fatal(err)
			}
			end := sp.s.Len()
			if i+1 < len(sp.s.Starts) {
				end = sp.s.Starts[i+1]
			}
			if !bytes.Equal(sp.s.Data[sp.s.Starts[i]:end], b) {
				t.Fatalf("%s: the split's bytes at %d differ from the file's", name, sp.s.Starts[i])
			}
		}
	}
}

func TestOpenTree(t *testing.T) {
	c := open(t, tree, text.Options{ValidFraction: 0.3})
	var paths []string
	for _, f := range c.Files {
		paths = append(paths, f.Path)
	}
	if !slices.Equal(paths, treeFiles) {
		t.Fatalf("files %v, want %v", paths, treeFiles)
	}
	if !slices.Equal(c.Skipped, []string{"b/blob.bin"}) {
		t.Errorf("skipped %v, want [b/blob.bin] (it holds a NUL byte)", c.Skipped)
	}
	for _, f := range c.Files {
		h := fnv.New64a()
		h.Write([]byte(f.Path))
		if want := float64(h.Sum64()) < 0.3*(1<<64); f.Valid != want {
			t.Errorf("%s: valid %v, want %v", f.Path, f.Valid, want)
		}
	}
	if !slices.Equal(c.Valid.Files, []string{"notes.md", "z/deep/f.txt"}) {
		t.Errorf("validation files %v", c.Valid.Files)
	}
	checkSplits(t, c)

	again := open(t, tree, text.Options{ValidFraction: 0.3})
	if !slices.Equal(again.Files, c.Files) || !bytes.Equal(again.Train.Data, c.Train.Data) || !bytes.Equal(again.Valid.Data, c.Valid.Data) {
		t.Error("opening the tree again gave another corpus")
	}
}

// TestSplitDependsOnTheFileAlone copies part of the tree elsewhere: every
// file keeps its side.
func TestSplitDependsOnTheFileAlone(t *testing.T) {
	full := open(t, tree, text.Options{ValidFraction: 0.3})
	dir := t.TempDir()
	for _, name := range []string{"b/d.go", "notes.md", "z/deep/f.txt", "z/h.txt"} {
		b, err := os.ReadFile(filepath.Join(tree, name))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	part := open(t, dir, text.Options{ValidFraction: 0.3})
	side := map[string]bool{}
	for _, f := range full.Files {
		side[f.Path] = f.Valid
	}
	for _, f := range part.Files {
		if f.Valid != side[f.Path] {
			t.Errorf("%s: valid %v in part of the tree, %v in all of it", f.Path, f.Valid, side[f.Path])
		}
	}
	checkSplits(t, part)
}

// TestDefaultFractionKeepsBothSides: at 5% no file of the small tree
// hashes into validation, and the file of smallest hash moves there.
func TestDefaultFractionKeepsBothSides(t *testing.T) {
	c := open(t, tree, text.Options{})
	if !slices.Equal(c.Valid.Files, []string{"notes.md"}) {
		t.Errorf("validation files %v, want [notes.md] (the smallest hash)", c.Valid.Files)
	}
	if c.Train.Len() == 0 || c.Valid.Len() == 0 {
		t.Error("a side is empty")
	}
	checkSplits(t, c)
}

// TestLargeFractionKeepsBothSides: at 90% every file of the small tree
// hashes into validation, and the file of largest hash moves to training.
func TestLargeFractionKeepsBothSides(t *testing.T) {
	c := open(t, tree, text.Options{ValidFraction: 0.9})
	if !slices.Equal(c.Train.Files, []string{"z/h.txt"}) {
		t.Errorf("training files %v, want [z/h.txt] (the largest hash)", c.Train.Files)
	}
	if len(c.Valid.Files) != len(treeFiles)-1 {
		t.Errorf("validation files %v", c.Valid.Files)
	}
	checkSplits(t, c)
}

func TestExtFilter(t *testing.T) {
	c := open(t, tree, text.Options{Ext: []string{".go"}, ValidFraction: 0.3})
	var paths []string
	for _, f := range c.Files {
		paths = append(paths, f.Path)
	}
	if want := []string{"b/c.go", "b/d.go", "z/deep/e.go", "z/g.go"}; !slices.Equal(paths, want) {
		t.Errorf("files %v, want %v", paths, want)
	}
	if len(c.Skipped) != 0 {
		t.Errorf("skipped %v: files that Ext leaves out are not skipped", c.Skipped)
	}
}

func TestSkipsSymlinks(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("some text\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "a.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	c := open(t, dir, text.Options{})
	if len(c.Files) != 1 || !slices.Equal(c.Skipped, []string{"link.txt"}) {
		t.Errorf("files %v, skipped %v; want a.txt kept, link.txt skipped", c.Files, c.Skipped)
	}
}

func TestOpenFileSplitsByPosition(t *testing.T) {
	path := "testdata/one.txt"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := open(t, path, text.Options{ValidFraction: 0.1})
	nv := (len(b) + 9) / 10
	if c.Valid.Len() != nv || c.Train.Len() != len(b)-nv {
		t.Fatalf("train %d, validation %d bytes of %d; want the last %d for validation", c.Train.Len(), c.Valid.Len(), len(b), nv)
	}
	if !bytes.Equal(append(slices.Clone(c.Train.Data), c.Valid.Data...), b) {
		t.Error("the splits are not the file")
	}
	if len(c.Files) != 1 || c.Files[0].Path != "one.txt" {
		t.Errorf("files %v", c.Files)
	}
}

func TestOpenErrorsNameThePath(t *testing.T) {
	empty := t.TempDir()
	emptyFiles := t.TempDir()
	os.WriteFile(filepath.Join(emptyFiles, "a.txt"), nil, 0o644)
	binary := t.TempDir()
	os.WriteFile(filepath.Join(binary, "a.bin"), []byte{1, 0, 2}, 0o644)
	emptyFile := filepath.Join(t.TempDir(), "e.txt")
	os.WriteFile(emptyFile, nil, 0o644)
	missing := filepath.Join(empty, "no", "such")
	for _, c := range []struct {
		path string
		opt  text.Options
		want string
	}{
		{missing, text.Options{}, "text: stat " + missing + ": no such file or directory"},
		{empty, text.Options{}, "text: " + empty + ": no text: 0 files kept, 0 bytes, 0 skipped"},
		{emptyFiles, text.Options{}, "text: " + emptyFiles + ": no text: 1 files kept, 0 bytes, 0 skipped"},
		{binary, text.Options{}, "text: " + binary + ": no text: 0 files kept, 0 bytes, 1 skipped"},
		{tree, text.Options{Ext: []string{".rs"}}, "text: " + tree + ": no text: 0 files kept"},
		{emptyFile, text.Options{}, "text: " + emptyFile + ": empty file"},
		{tree, text.Options{ValidFraction: 1}, "text: " + tree + ": validation fraction 1 outside (0, 1)"},
	} {
		_, err := text.Open(c.path, c.opt)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Open(%s): error %v, want %q", c.path, err, c.want)
		}
	}
}

func newSampler(t *testing.T, s *text.Split, size, context int, dt tensor.DType, rng *rand.Rand) *text.Sampler {
	t.Helper()
	m, err := text.NewSampler(s, size, context, dt, rng)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRandomWindowsAreSlicesOfTheSplit checks that every window's inputs
// and targets are bytes of the split at one place, the targets shifted by
// one.
func TestRandomWindowsAreSlicesOfTheSplit(t *testing.T) {
	c := open(t, tree, text.Options{ValidFraction: 0.3})
	const size, ctx = 3, 8
	m := newSampler(t, c.Train, size, ctx, tensor.Float32, rand.New(rand.NewPCG(1, 2)))
	if want := (c.Train.Len() - 1) / ctx; m.Windows() != want {
		t.Fatalf("%d windows, want %d", m.Windows(), want)
	}
	batches := 0
	for m.Next() {
		batches++
		x, y := m.Batch()
		in := m.Inputs()
		if x.Dim(1) != ctx || len(y) != x.Dim(0)*ctx || len(in) != len(y) {
			t.Fatalf("batch %v with %d targets, %d inputs", x.Shape(), len(y), len(in))
		}
		for i := range x.Dim(0) {
			w := make([]byte, ctx+1)
			for j := range ctx {
				if v := x.Flat(i*ctx + j); v != float64(in[i*ctx+j]) {
					t.Fatalf("x %g, input %d", v, in[i*ctx+j])
				}
				w[j] = byte(in[i*ctx+j])
				if j > 0 && y[i*ctx+j-1] != in[i*ctx+j] {
					t.Fatalf("target %d is not the next input %d", y[i*ctx+j-1], in[i*ctx+j])
				}
			}
			w[ctx] = byte(y[i*ctx+ctx-1])
			if !bytes.Contains(c.Train.Data, w) {
				t.Fatalf("window %q is not in the split", w)
			}
		}
	}
	if batches != m.Batches() {
		t.Errorf("%d batches, Batches says %d", batches, m.Batches())
	}
}

// TestInOrderCoversEveryByte: without a random source the windows walk
// the split, and every byte but the first is a target once, but for the
// last (Len − 1) mod context.
func TestInOrderCoversEveryByte(t *testing.T) {
	c := open(t, tree, text.Options{ValidFraction: 0.3})
	const size, ctx = 4, 5
	m := newSampler(t, c.Train, size, ctx, tensor.Float64, nil)
	var targets []byte
	for m.Next() {
		_, y := m.Batch()
		for _, v := range y {
			targets = append(targets, byte(v))
		}
	}
	n := m.Windows() * ctx
	if !bytes.Equal(targets, c.Train.Data[1:n+1]) {
		t.Fatal("the targets are not the split's bytes in order")
	}
	if c.Train.Len()-1-n >= ctx {
		t.Errorf("%d bytes left over, a whole window", c.Train.Len()-1-n)
	}
	if m.Windows()%size == 0 {
		t.Fatalf("the test wants a shorter last batch: %d windows", m.Windows())
	}
}

// TestResume stops a run partway through its second epoch, saves the
// position and the random state, and checks that a new sampler restored
// from them serves the same batches, bit for bit, into the next epoch.
func TestResume(t *testing.T) {
	c := open(t, tree, text.Options{ValidFraction: 0.3})
	const size, ctx = 3, 7
	src := rand.NewPCG(5, 9)
	m := newSampler(t, c.Train, size, ctx, tensor.Float32, rand.New(src))
	type batch struct{ x, y []int }
	var rest []batch
	var saved []byte
	var pos int
	for epoch := range 3 {
		m.Reset()
		for k := 0; ; k++ {
			if epoch == 1 && k == 2 {
				saved, _ = src.MarshalBinary()
				pos = m.Position()
			}
			if !m.Next() {
				break
			}
			x, y := m.Batch()
			if saved != nil {
				in := make([]int, x.Len())
				for i := range in {
					in[i] = int(x.Flat(i))
				}
				rest = append(rest, batch{in, slices.Clone(y)})
			}
		}
	}
	src2 := rand.NewPCG(0, 0)
	if err := src2.UnmarshalBinary(saved); err != nil {
		t.Fatal(err)
	}
	m2 := newSampler(t, c.Train, size, ctx, tensor.Float32, rand.New(src2))
	if err := m2.SetPosition(pos); err != nil {
		t.Fatal(err)
	}
	var got []batch
	for epoch := 1; epoch < 3; epoch++ {
		if epoch > 1 {
			m2.Reset()
		}
		for m2.Next() {
			x, y := m2.Batch()
			in := make([]int, x.Len())
			for i := range in {
				in[i] = int(x.Flat(i))
			}
			got = append(got, batch{in, slices.Clone(y)})
		}
	}
	if len(got) != len(rest) || len(got) < 2 {
		t.Fatalf("%d batches after resuming, %d in the run", len(got), len(rest))
	}
	for i := range got {
		if !slices.Equal(got[i].x, rest[i].x) || !slices.Equal(got[i].y, rest[i].y) {
			t.Fatalf("batch %d after resuming differs", i)
		}
	}
	if m2.SetPosition(m2.Windows()+1) == nil || m2.SetPosition(-1) == nil {
		t.Error("SetPosition accepted a position outside the epoch")
	}
}

func TestSamplerShortSplit(t *testing.T) {
	_, err := text.NewSampler(&text.Split{Data: []byte("abc")}, 2, 3, tensor.Float32, nil)
	if err == nil || err.Error() != "text: a split of 3 bytes is shorter than a window of 4" {
		t.Errorf("error %v", err)
	}
}

// TestGoSource opens the default corpus, the Go standard library's
// source, present wherever Go is.
func TestGoSource(t *testing.T) {
	if testing.Short() {
		t.Skip("reads some 100 MB")
	}
	c, err := text.GoSource()
	if err != nil {
		t.Fatal(err)
	}
	total, valid := c.Train.Len()+c.Valid.Len(), 0
	for _, f := range c.Files {
		if !strings.HasSuffix(f.Path, ".go") {
			t.Fatalf("%s is not a .go file", f.Path)
		}
		if f.Valid {
			valid++
		}
	}
	if len(c.Files) < 3000 || total < 30<<20 {
		t.Fatalf("%d files, %d bytes: want the standard library's thousands of files and tens of MB", len(c.Files), total)
	}
	if f := float64(valid) / float64(len(c.Files)); f < 0.03 || f > 0.07 {
		t.Errorf("%d of %d files in validation (%.3f), want about 5%%", valid, len(c.Files), f)
	}
	if !slices.Contains(c.Train.Files, "fmt/print.go") && !slices.Contains(c.Valid.Files, "fmt/print.go") {
		t.Error("fmt/print.go is missing")
	}
	t.Logf("%s: %d files, %d bytes (train %d, validation %d in %d files), %d skipped",
		c.Root, len(c.Files), total, c.Train.Len(), c.Valid.Len(), valid, len(c.Skipped))
}

// TestSetPositionAnyWindow continues an epoch at a position that is not a
// multiple of the batch size, as a run resumed with another batch size
// does: every batch must have as many filled rows as windows it serves.
func TestSetPositionAnyWindow(t *testing.T) {
	const ctx, windows = 10, 99
	data := make([]byte, windows*ctx+1)
	for i := range data {
		data[i] = 'a' + byte(i%26)
	}
	s := &text.Split{Data: data}
	for _, size := range []int{4, 33, 98, 128} {
		for _, random := range []bool{false, true} {
			var rng *rand.Rand
			if random {
				rng = rand.New(rand.NewPCG(3, 4))
			}
			m := newSampler(t, s, size, ctx, tensor.Float32, rng)
			if err := m.SetPosition(1); err != nil {
				t.Fatal(err)
			}
			var targets []byte
			served := 1
			for m.Next() {
				x, y := m.Batch()
				in := m.Inputs()
				n := min(size, windows-served)
				if random {
					n = size
				}
				if x.Dim(0) != n || x.Dim(1) != ctx || len(y) != n*ctx || len(in) != n*ctx {
					t.Fatalf("size %d, random %v, after %d windows: batch %v, %d targets, %d inputs, want %d rows",
						size, random, served, x.Shape(), len(y), len(in), n)
				}
				for i := range n * ctx {
					if x.Flat(i) != float64(in[i]) || in[i] < 'a' {
						t.Fatalf("size %d, random %v: element %d of the batch is %g, input %d", size, random, i, x.Flat(i), in[i])
					}
				}
				for _, v := range y {
					targets = append(targets, byte(v))
				}
				served += n
			}
			if !random && !bytes.Equal(targets, data[ctx+1:]) {
				t.Errorf("size %d: the targets from window 1 on are not the split's bytes in order", size)
			}
		}
	}
}

// TestRandomBatchesAreFull: random batches hold the batch size of windows
// each, even where the split has fewer non-overlapping windows than that
// or the epoch does not divide by it.
func TestRandomBatchesAreFull(t *testing.T) {
	data := make([]byte, 500)
	for i := range data {
		data[i] = byte(i)
	}
	s := &text.Split{Data: data}
	for _, c := range []struct{ size, ctx int }{{32, 128}, {4, 10}, {7, 3}} {
		m := newSampler(t, s, c.size, c.ctx, tensor.Float32, rand.New(rand.NewPCG(1, 1)))
		for epoch := range 3 {
			m.Reset()
			batches := 0
			for m.Next() {
				batches++
				if x, y := m.Batch(); x.Dim(0) != c.size || x.Dim(1) != c.ctx || len(y) != c.size*c.ctx {
					t.Fatalf("size %d, context %d, epoch %d: batch %v with %d targets", c.size, c.ctx, epoch, x.Shape(), len(y))
				}
			}
			if batches != m.Batches() || m.Position() != m.Windows() {
				t.Errorf("size %d, context %d: %d batches, Batches says %d; position %d of %d",
					c.size, c.ctx, batches, m.Batches(), m.Position(), m.Windows())
			}
		}
	}
}

// TestCorpusOrder: the files come in the walk's order, depth-first and by
// name within each directory, which is not the order of sorted paths.
func TestCorpusOrder(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a.txt", "a-c.txt", "a/b.txt", "a/z/y.txt", "a/c.txt", "b.txt"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := open(t, dir, text.Options{ValidFraction: 0.5})
	var got []string
	for _, f := range c.Files {
		got = append(got, f.Path)
	}
	if want := []string{"a/b.txt", "a/c.txt", "a/z/y.txt", "a-c.txt", "a.txt", "b.txt"}; !slices.Equal(got, want) {
		t.Errorf("files in the order %q, want %q", got, want)
	}
}
