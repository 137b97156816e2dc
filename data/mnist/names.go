package mnist

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// NamesFile is the optional file of a data folder that names its
// classes: one name per line, in the order of the labels, such as the
// ten of Fashion-MNIST (T-shirt/top, Trouser, Pullover, …).
const NamesFile = "classes.txt"

// ClassNames returns the names of the classes in dir/classes.txt, or nil
// when the folder has no such file (MNIST's classes are its digits). A
// file with other than classes non-empty lines, or a line over 40 bytes,
// is an error naming it.
func ClassNames(dir string, classes int) ([]string, error) {
	path := filepath.Join(dir, NamesFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name := strings.TrimSpace(sc.Text())
		if name == "" {
			continue
		}
		if len(names) == classes {
			return nil, fmt.Errorf("%s: more than %d class names", path, classes)
		}
		if len(name) > 40 {
			return nil, fmt.Errorf("%s: line %d: a class name of %d bytes, more than 40", path, len(names)+1, len(name))
		}
		names = append(names, name)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(names) != classes {
		return nil, fmt.Errorf("%s: %d class names for %d classes", path, len(names), classes)
	}
	return names, nil
}
