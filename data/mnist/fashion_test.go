package mnist

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Without the Debian package, the error names it, on one line.
func TestFashionDirMissing(t *testing.T) {
	dir := t.TempDir()
	_, err := fashionDir(dir)
	want := "mnist: Fashion-MNIST is not installed (no " + filepath.Join(dir, "train-images-idx3-ubyte") + ".gz): install the dataset-fashion-mnist package (apt-get install dataset-fashion-mnist), or pass --data DIR"
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	// Three of the four files are not enough.
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("train-images-idx3-ubyte.gz", gz(idxBytes([]int{3, 2, 2}, make([]byte, 12))))
	write("train-labels-idx1-ubyte.gz", gz(idxBytes([]int{3}, []byte{0, 9, 4})))
	write("t10k-images-idx3-ubyte", idxBytes([]int{1, 2, 2}, make([]byte, 4)))
	if _, err := fashionDir(dir); err == nil || err.Error() != "mnist: Fashion-MNIST is not installed (no "+filepath.Join(dir, "t10k-labels-idx1-ubyte")+".gz): install the dataset-fashion-mnist package (apt-get install dataset-fashion-mnist), or pass --data DIR" {
		t.Errorf("three files: %v", err)
	}
	write("t10k-labels-idx1-ubyte", idxBytes([]int{1}, []byte{7}))
	if got, err := fashionDir(dir); err != nil || got != dir {
		t.Errorf("four files: %q, %v", got, err)
	}
	tr, test, err := LoadFashion(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 3 || test.Len() != 1 || !slices.Equal(tr.Y, []int{0, 9, 4}) || !slices.Equal(tr.ExampleShape(), []int{1, 2, 2}) {
		t.Errorf("loaded %d and %d examples, labels %v, shape %v", tr.Len(), test.Len(), tr.Y, tr.ExampleShape())
	}
}

func TestDatasetNames(t *testing.T) {
	d, ok := DatasetNames("mnist")
	if !ok || len(d) != Classes || d[0] != "0" || d[9] != "9" {
		t.Errorf("mnist: %q %v", d, ok)
	}
	f, ok := DatasetNames("fashion")
	want := []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	if !ok || !slices.Equal(f, want) {
		t.Errorf("fashion: %q %v", f, ok)
	}
	f[0] = "changed"
	if again, _ := DatasetNames("fashion"); again[0] != "T-shirt/top" {
		t.Error("ClassNames returned its own array")
	}
	if n, ok := DatasetNames("spiral"); ok || n != nil {
		t.Errorf("spiral: %q %v", n, ok)
	}
}
