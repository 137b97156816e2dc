package mnist

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes encodes an IDX file of unsigned bytes.
func idxBytes(dims []int, data []byte) []byte {
	b := []byte{0, 0, 8, byte(len(dims))}
	for _, d := range dims {
		b = append(b, byte(d>>24), byte(d>>16), byte(d>>8), byte(d))
	}
	return append(b, data...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestReadIDX(t *testing.T) {
	raw := idxBytes([]int{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255})
	for name, b := range map[string][]byte{"raw": raw, "gzip": gz(raw)} {
		f, err := ReadIDX(bytes.NewReader(b), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(f.Dims) != 3 || f.Dims[0] != 2 || f.Dims[1] != 2 || f.Dims[2] != 3 || len(f.Data) != 12 || f.Data[11] != 255 {
			t.Errorf("%s: got dims %v data %v", name, f.Dims, f.Data)
		}
		x, err := Images(f, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := x.Shape(); got[0] != 2 || got[1] != 6 || x.At(1, 5) != 1 {
			t.Errorf("%s: images %v %v", name, got, x)
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"train-images-idx3-ubyte.gz", []byte{0x1f, 0x8b, 8, 3}, "mnist: train-images-idx3-ubyte.gz: offset 0: gzip: unexpected EOF"},
		{"a", []byte{1, 2, 8, 3, 0, 0}, "mnist: a: offset 0: bad magic 0x01020803"},
		{"a", []byte{0, 0, 8, 0}, "mnist: a: offset 0: bad magic 0x00000800"},
		{"a", []byte{0, 0, 0xd, 1, 0, 0, 0, 1}, "mnist: a: offset 2: element type 0x0d, want 0x08 (unsigned byte)"},
		{"b", []byte{0, 0}, "mnist: b: offset 2: truncated header"},
		{"b", []byte{0, 0, 8, 2, 0, 0, 0, 4, 0, 0}, "mnist: b: offset 10: truncated size of dimension 1"},
		{"c", idxBytes([]int{3}, []byte{1, 2}), "mnist: c: offset 10: truncated data: 2 of 3 bytes [3] after the header at offset 8"},
		{"d", idxBytes([]int{1 << 16, 1 << 16}, nil), "mnist: d: offset 8: dimension 1 of size 65536 makes more than 1073741824 elements"},
	} {
		_, err := ReadIDX(bytes.NewReader(c.in), c.name)
		if err == nil || err.Error() != c.want {
			t.Errorf("ReadIDX(% x):\n got %v\nwant %s", c.in, err, c.want)
		}
	}
	f := &IDX{Dims: []int{2}, Data: []byte{3, 12}}
	if _, err := Labels(f, "l", 10); err == nil || err.Error() != "mnist: l: offset 9: label 12 out of range [0,10)" {
		t.Errorf("Labels: %v", err)
	}
	if _, err := Images(f, "l"); err == nil || err.Error() != "mnist: l: offset 3: 1 dimensions [2], want 3 for images" {
		t.Errorf("Images: %v", err)
	}
}

func FuzzReadIDX(f *testing.F) {
	raw := idxBytes([]int{2, 2, 2}, []byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add(raw)
	f.Add(gz(raw))
	f.Add(idxBytes([]int{5}, []byte{1, 2, 3, 4, 9}))
	f.Add([]byte{0, 0, 8, 3})
	f.Add([]byte{0x1f, 0x8b})
	f.Add(idxBytes([]int{1 << 15, 1 << 15}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := ReadIDX(bytes.NewReader(b), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "mnist: fuzz: offset ") {
				t.Fatalf("error %q does not name the file and offset", err)
			}
			return
		}
		n := 1
		for _, d := range idx.Dims {
			n *= d
		}
		if n != len(idx.Data) {
			t.Fatalf("dims %v but %d bytes", idx.Dims, len(idx.Data))
		}
	})
}

func TestLoadFolder(t *testing.T) {
	dir := t.TempDir()
	imgs := make([]byte, 3*28*28)
	imgs[0] = 255
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("train-images-idx3-ubyte", idxBytes([]int{3, 28, 28}, imgs))
	write("train-labels-idx1-ubyte.gz", gz(idxBytes([]int{3}, []byte{7, 0, 9})))
	ds, err := LoadSet(dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 3 || ds.Features() != 784 || ds.Y[2] != 9 || ds.X.At(0, 0) != 1 {
		t.Errorf("got %d examples of %d features, labels %v", ds.Len(), ds.Features(), ds.Y)
	}
	_, err = LoadSet(dir, "t10k")
	want := "mnist: open " + filepath.Join(dir, "t10k-images-idx3-ubyte") + ": no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("missing set: %v, want %s", err, want)
	}
	write("t10k-images-idx3-ubyte", idxBytes([]int{2, 28, 28}, make([]byte, 2*784)))
	write("t10k-labels-idx1-ubyte", idxBytes([]int{3}, []byte{1, 2, 3}))
	_, err = LoadSet(dir, "t10k")
	if err == nil || !strings.Contains(err.Error(), "has 2 images but") {
		t.Errorf("count mismatch: %v", err)
	}
}

func TestEscape(t *testing.T) {
	if got := escape(Module); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Errorf("escape = %q", got)
	}
}

// The version DefaultDir looks for must be the one go.mod requires.
func TestVersionMatchesGoMod(t *testing.T) {
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), Module+" "+Version) {
		t.Errorf("go.mod does not require %s %s", Module, Version)
	}
}

// The real test set, from the module cache: 10,000 digits.
func TestDefaultTestSet(t *testing.T) {
	dir, err := DefaultDir()
	if err != nil {
		t.Fatal(err) // GoMNIST is a module dependency: go test has fetched it
	}
	ds, err := LoadSet(dir, "t10k")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 10000 || ds.Features() != 784 || ds.Y[0] != 7 {
		t.Errorf("t10k: %d examples of %d features, first label %d", ds.Len(), ds.Features(), ds.Y[0])
	}
	mean, std := ds.Stats()
	if mean < 0.12 || mean > 0.14 || std < 0.29 || std > 0.32 {
		t.Errorf("t10k pixel mean %v std %v, want ≈ 0.13, 0.31", mean, std)
	}
}
