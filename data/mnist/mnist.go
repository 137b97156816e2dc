package mnist

import (
	"fmt"
	"os"
	"path/filepath"

	"backprop/data"
	"backprop/tensor"
)

// Classes is the number of classes of MNIST.
const Classes = 10

// Images converts an IDX file of images, dimensions [N, rows, cols], into
// a Float32 tensor [N, rows·cols] with pixels scaled to [0, 1].
func Images(f *IDX, name string) (*tensor.Tensor, error) {
	if len(f.Dims) != 3 {
		return nil, &Error{name, 3, fmt.Sprintf("%d dimensions %v, want 3 for images", len(f.Dims), f.Dims)}
	}
	if f.Dims[1] <= 0 || f.Dims[2] <= 0 {
		return nil, &Error{name, 8, fmt.Sprintf("images of %d×%d pixels", f.Dims[1], f.Dims[2])}
	}
	n, d := f.Dims[0], f.Dims[1]*f.Dims[2]
	x := tensor.New(tensor.Float32, n, d)
	out := x.Float32s()
	for i, b := range f.Data {
		out[i] = float32(b) / 255
	}
	return x, nil
}

// Labels converts an IDX file of labels, dimensions [N], into ints,
// checking each is below classes.
func Labels(f *IDX, name string, classes int) ([]int, error) {
	if len(f.Dims) != 1 {
		return nil, &Error{name, 3, fmt.Sprintf("%d dimensions %v, want 1 for labels", len(f.Dims), f.Dims)}
	}
	y := make([]int, len(f.Data))
	for i, b := range f.Data {
		if int(b) >= classes {
			return nil, &Error{name, int64(8 + i), fmt.Sprintf("label %d out of range [0,%d)", b, classes)}
		}
		y[i] = int(b)
	}
	return y, nil
}

// readFile reads the IDX file dir/base or, failing that, dir/base.gz.
func readFile(dir, base string) (*IDX, string, error) {
	path := filepath.Join(dir, base)
	fh, err := os.Open(path)
	if os.IsNotExist(err) {
		var err2 error
		fh, err2 = os.Open(path + ".gz")
		if err2 == nil {
			path, err = path+".gz", nil
		}
	}
	if err != nil {
		return nil, path, fmt.Errorf("mnist: %v", err)
	}
	defer fh.Close()
	f, err := ReadIDX(fh, filepath.Base(path))
	return f, path, err
}

// LoadSet reads one set of a folder, "train" or "t10k", as a Dataset.
func LoadSet(dir, set string) (*data.Dataset, error) {
	imgs, ipath, err := readFile(dir, set+"-images-idx3-ubyte")
	if err != nil {
		return nil, err
	}
	x, err := Images(imgs, filepath.Base(ipath))
	if err != nil {
		return nil, err
	}
	labs, lpath, err := readFile(dir, set+"-labels-idx1-ubyte")
	if err != nil {
		return nil, err
	}
	y, err := Labels(labs, filepath.Base(lpath), Classes)
	if err != nil {
		return nil, err
	}
	if len(y) != x.Dim(0) {
		return nil, fmt.Errorf("mnist: %s has %d images but %s has %d labels", ipath, x.Dim(0), lpath, len(y))
	}
	if len(y) == 0 {
		return nil, fmt.Errorf("mnist: %s: no images", ipath)
	}
	return &data.Dataset{X: x, Y: y, Classes: Classes}, nil
}

// Load reads the training and test sets from a folder in the MNIST layout
// (see the package documentation). An empty dir means DefaultDir.
func Load(dir string) (train, test *data.Dataset, err error) {
	if dir == "" {
		if dir, err = DefaultDir(); err != nil {
			return nil, nil, err
		}
	}
	if train, err = LoadSet(dir, "train"); err != nil {
		return nil, nil, err
	}
	if test, err = LoadSet(dir, "t10k"); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}
