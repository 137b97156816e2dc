package mnist

import (
	"errors"
	"os"
	"path/filepath"

	"backprop/data"
)

// FashionPackage is the Debian package that installs the Fashion-MNIST
// files, and FashionDir the folder where it puts them.
const (
	FashionPackage = "dataset-fashion-mnist"
	FashionDir     = "/usr/share/datasets/fashion-mnist"
)

// setFiles are the four files of a folder in the MNIST layout.
var setFiles = []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}

// DefaultFashionDir returns FashionDir when it holds the four files (raw
// or .gz), and otherwise an error of one line that names the Debian
// package to install.
func DefaultFashionDir() (string, error) { return fashionDir(FashionDir) }

func fashionDir(dir string) (string, error) {
	for _, f := range setFiles {
		path := filepath.Join(dir, f)
		if _, err := os.Stat(path + ".gz"); err != nil {
			if _, err := os.Stat(path); err != nil {
				return "", errors.New("mnist: Fashion-MNIST is not installed (no " + path + ".gz): install the " + FashionPackage + " package (apt-get install " + FashionPackage + "), or pass --data DIR")
			}
		}
	}
	return dir, nil
}

// LoadFashion reads Fashion-MNIST's training and test sets, as Load
// reads MNIST's (the same layout and format): from dir, or, if dir is
// empty, from where Debian's dataset-fashion-mnist package installs them
// (DefaultFashionDir).
func LoadFashion(dir string, limit ...MaxMemory) (train, test *data.Dataset, err error) {
	if dir == "" {
		if dir, err = DefaultFashionDir(); err != nil {
			return nil, nil, err
		}
	}
	return Load(dir, limit...)
}

// digitNames are MNIST's classes, and fashionNames Fashion-MNIST's, in
// the order of their labels 0 to 9.
var (
	digitNames   = [Classes]string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	fashionNames = [Classes]string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
)

// DatasetNames returns the names of the classes of a data set by the name
// the command line gives it: "mnist" ("0" to "9") or "fashion"
// ("T-shirt/top", "Trouser", …, "Ankle boot"), indexed by label; ok is
// false for another name. The slice is the caller's.
func DatasetNames(dataset string) (names []string, ok bool) {
	switch dataset {
	case "mnist":
		return append([]string(nil), digitNames[:]...), true
	case "fashion", "fashion-mnist":
		return append([]string(nil), fashionNames[:]...), true
	}
	return nil, false
}
