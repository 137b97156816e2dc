package mnist

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestReadIDXHostile(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want string
	}{
		{idxBytes([]int{2, 2}, []byte{1, 2, 3, 4, 5}), "mnist: f: offset 16: 1 bytes after the 4 bytes of data that the dimensions [2 2] announce"},
		{gz(idxBytes([]int{3}, []byte{1, 2, 3, 0, 0})), "mnist: f: offset 11: 2 bytes after the 3 bytes of data that the dimensions [3] announce"},
		{[]byte{0, 0, 9, 1, 0, 0, 0, 1, 0}, "mnist: f: offset 2: element type 0x09, want 0x08 (unsigned byte)"},
		{[]byte{1, 0, 8, 1, 0, 0, 0, 1, 0}, "mnist: f: offset 0: bad magic 0x01000801"},
		{idxBytes([]int{60000, 28, 28}, make([]byte, 100)), "mnist: f: offset 116: truncated data: 100 of 47040000 bytes [60000 28 28] after the header at offset 16"},
	} {
		_, err := ReadIDX(bytes.NewReader(c.in), "f")
		if err == nil || err.Error() != c.want {
			t.Errorf("got  %v\nwant %s", err, c.want)
		}
	}
}

// A header announcing a gigabyte over a tiny file does not allocate it.
func TestReadIDXNoHugeAllocation(t *testing.T) {
	b := idxBytes([]int{1 << 15, 1 << 15}, make([]byte, 64))
	var m1, m2 runtime.MemStats
	runtime.ReadMemStats(&m1)
	_, err := ReadIDX(bytes.NewReader(b), "f")
	runtime.ReadMemStats(&m2)
	if err == nil {
		t.Fatal("no error")
	}
	if d := m2.TotalAlloc - m1.TotalAlloc; d > 4<<20 {
		t.Errorf("allocated %d bytes for a %d-byte file", d, len(b))
	}
}

func TestLoadSetMismatch(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("train-images-idx3-ubyte", idxBytes([]int{3, 2, 2}, make([]byte, 12)))
	write("train-labels-idx1-ubyte", idxBytes([]int{2}, []byte{1, 2}))
	write("t10k-images-idx3-ubyte", idxBytes([]int{2, 0, 5}, nil))
	write("t10k-labels-idx1-ubyte", idxBytes([]int{2}, []byte{1, 2}))
	images := filepath.Join(dir, "train-images-idx3-ubyte")
	labels := filepath.Join(dir, "train-labels-idx1-ubyte")
	if _, err := LoadSet(dir, "train"); err == nil || err.Error() != "mnist: "+images+" has 3 images but "+labels+" has 2 labels" {
		t.Errorf("count mismatch: %v", err)
	}
	if _, err := LoadSet(dir, "t10k"); err == nil || err.Error() != "mnist: t10k-images-idx3-ubyte: offset 8: images of 0×5 pixels" {
		t.Errorf("empty images: %v", err)
	}
}
