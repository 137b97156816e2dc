package mnist

import (
	"fmt"
	"os"
	"path/filepath"

	"backprop/data"
	"backprop/internal/memory"
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

// openFile opens the IDX file dir/base or, failing that, dir/base.gz.
func openFile(dir, base string) (*os.File, string, error) {
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
	return fh, path, nil
}

// readFile reads the IDX file dir/base or, failing that, dir/base.gz.
func readFile(dir, base string, limit int64) (*IDX, string, error) {
	fh, path, err := openFile(dir, base)
	if err != nil {
		return nil, path, err
	}
	defer fh.Close()
	f, err := ReadIDX(fh, filepath.Base(path), MaxMemory(limit))
	return f, path, err
}

// statFile reads the dimensions of the IDX file dir/base (or .gz) from
// its header alone.
func statFile(dir, base string) ([]int, string, error) {
	fh, path, err := openFile(dir, base)
	if err != nil {
		return nil, path, err
	}
	defer fh.Close()
	cr, done, err := open(fh, filepath.Base(path))
	if err != nil {
		return nil, path, err
	}
	defer done()
	dims, _, err := readHeader(cr, filepath.Base(path))
	return dims, path, err
}

// Stat returns the number of images of one set of a folder, "train" or
// "t10k", and the pixels of each, from the header of its images file
// alone: what a caller needs to size a network and weigh the data before
// reading it.
func Stat(dir, set string) (images, pixels int, err error) {
	images, shape, err := StatShape(dir, set)
	if err != nil {
		return 0, 0, err
	}
	return images, shape[1] * shape[2], nil
}

// StatShape returns what Stat returns, with the pixels as the shape of
// one example, [1, rows, cols], as LoadSet's Dataset gives it.
func StatShape(dir, set string) (images int, shape []int, err error) {
	dims, path, err := statFile(dir, set+"-images-idx3-ubyte")
	if err != nil {
		return 0, nil, err
	}
	if len(dims) != 3 {
		return 0, nil, &Error{filepath.Base(path), 3, fmt.Sprintf("%d dimensions %v, want 3 for images", len(dims), dims)}
	}
	return dims[0], []int{1, dims[1], dims[2]}, nil
}

// LoadSet reads one set of a folder, "train" or "t10k", as a Dataset of
// flat examples whose Shape is [1, rows, cols] (one channel). The
// memory it needs, from the dimensions in the headers of its files, is
// weighed against the limit (the optional MaxMemory; the memory available
// without it) before any data is read.
func LoadSet(dir, set string, limit ...MaxMemory) (*data.Dataset, error) {
	if err := checkSet(dir, set, limitOf(limit)); err != nil {
		return nil, err
	}
	imgs, ipath, err := readFile(dir, set+"-images-idx3-ubyte", limitOf(limit))
	if err != nil {
		return nil, err
	}
	x, err := Images(imgs, filepath.Base(ipath))
	if err != nil {
		return nil, err
	}
	labs, lpath, err := readFile(dir, set+"-labels-idx1-ubyte", limitOf(limit))
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
	return &data.Dataset{X: x, Y: y, Classes: Classes, Shape: []int{1, imgs.Dims[1], imgs.Dims[2]}}, nil
}

// checkSet weighs what LoadSet(dir, set) holds at most against the limit:
// the bytes of the images and labels as read, the float32 pixels and the
// int labels. Files whose headers cannot be read are left to LoadSet to
// report.
func checkSet(dir, set string, limit int64) error {
	idims, ipath, err := statFile(dir, set+"-images-idx3-ubyte")
	if err != nil {
		return nil
	}
	ldims, _, err := statFile(dir, set+"-labels-idx1-ubyte")
	if err != nil {
		return nil
	}
	pixels, labels := memory.Elements(idims), memory.Elements(ldims)
	need := memory.Add(memory.Mul(5, pixels), memory.Mul(9, labels))
	what := fmt.Sprintf("reading %s images and %s labels", dimString(idims), dimString(ldims))
	if err := memory.Check(what, need, limit); err != nil {
		return &Error{filepath.Base(ipath), 4, err.Error()}
	}
	return nil
}

// Load reads the training and test sets from a folder in the MNIST layout
// (see the package documentation). An empty dir means DefaultDir. Each
// set is weighed against the limit (the optional MaxMemory; the memory
// available without it) before it is read.
func Load(dir string, limit ...MaxMemory) (train, test *data.Dataset, err error) {
	if dir == "" {
		if dir, err = DefaultDir(); err != nil {
			return nil, nil, err
		}
	}
	if train, err = LoadSet(dir, "train", limit...); err != nil {
		return nil, nil, err
	}
	if test, err = LoadSet(dir, "t10k", limit...); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}
