package mnist

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// A gzip file of a few kilobytes that expands to a hundred thousand
// images is refused from its header, before its data is read.
func TestLoadSetWeighsTheHeaders(t *testing.T) {
	dir := t.TempDir()
	const n = 20000
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("train-images-idx3-ubyte.gz", gz(idxBytes([]int{n, 28, 28}, make([]byte, n*28*28))))
	write("train-labels-idx1-ubyte.gz", gz(idxBytes([]int{n}, make([]byte, n))))
	if st, _ := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz")); st.Size() > 1<<20 {
		t.Fatalf("the compressed file has %d bytes", st.Size())
	}
	images, pixels, err := Stat(dir, "train")
	if err != nil || images != n || pixels != 784 {
		t.Fatalf("Stat: %d images of %d pixels, %v", images, pixels, err)
	}
	var m1, m2 runtime.MemStats
	runtime.ReadMemStats(&m1)
	_, err = LoadSet(dir, "train", MaxMemory(16<<20))
	runtime.ReadMemStats(&m2)
	want := "mnist: train-images-idx3-ubyte.gz: offset 4: reading 20000×28×28 images and 20000 labels needs 74.9 MiB, limit 16.0 MiB"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	if d := m2.TotalAlloc - m1.TotalAlloc; d > 1<<20 {
		t.Errorf("allocated %d bytes before refusing", d)
	}
	if _, _, err := Load(dir, MaxMemory(16<<20)); err == nil || err.Error() != want {
		t.Errorf("Load: %v", err)
	}
	write("t10k-images-idx3-ubyte", idxBytes([]int{10, 28, 28}, make([]byte, 10*28*28)))
	write("t10k-labels-idx1-ubyte", idxBytes([]int{10}, make([]byte, 10)))
	if ds, err := LoadSet(dir, "t10k", MaxMemory(5*7840+90)); err != nil || ds.Len() != 10 {
		t.Errorf("a set that fits: %v", err)
	}
	if _, err := LoadSet(dir, "t10k", MaxMemory(5*7840+89)); err == nil {
		t.Errorf("a set one byte over the limit: no error")
	}
	// ReadIDX weighs its own data.
	_, err = ReadIDX(bytes.NewReader(idxBytes([]int{10, 10}, make([]byte, 100))), "f", MaxMemory(99))
	if want := "mnist: f: offset 4: data of 10×10 bytes needs 100 B, limit 99 B"; err == nil || err.Error() != want {
		t.Errorf("ReadIDX: %v", err)
	}
	if _, _, err := Stat(dir, "none"); err == nil {
		t.Error("Stat of a missing set: no error")
	}
}
