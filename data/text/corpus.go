package text

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Vocab is the size of the byte-level vocabulary: every byte is a symbol.
const Vocab = 256

// DefaultValidFraction is the share of the hash space, and so about the
// share of files, that goes to validation: 5%.
const DefaultValidFraction = 0.05

// Options says which files of a directory make a corpus and how it splits.
type Options struct {
	// Ext, if not empty, keeps only the files whose names end in one of
	// these suffixes, such as ".go". Empty keeps every regular file.
	Ext []string
	// ValidFraction, in (0, 1), is the share of the hash space whose
	// files go to validation; 0 means DefaultValidFraction.
	ValidFraction float64
}

// File is a file of a Corpus.
type File struct {
	// Path is the file's path relative to the corpus root, with forward
	// slashes; a corpus of one file names it by its base name.
	Path string
	// Size is its length in bytes.
	Size int
	// Valid says whether it belongs to the validation split.
	Valid bool
}

// Corpus is the text of a file or of a directory tree, split into
// training and validation data by file.
type Corpus struct {
	// Root is the directory or file the corpus was read from.
	Root string
	// Files lists the files kept, in the corpus order: the walk's,
	// depth-first and by name within each directory, so that a/b.txt
	// comes before a-c.txt and a.txt (not the order of sorted Paths).
	Files []File
	// Skipped lists, by relative path, what the walk left out although
	// Ext did not: files holding a NUL byte (binary, not text) and
	// entries that are not regular files (symbolic links, devices).
	Skipped []string
	// Train and Valid are the two splits.
	Train, Valid *Split
}

// Split is the text of some files of a Corpus, concatenated in the corpus
// order.
type Split struct {
	// Data holds the bytes.
	Data []byte
	// Files names the files, and Starts gives the offset in Data where
	// each begins.
	Files  []string
	Starts []int
}

// Len returns the number of bytes of s.
func (s *Split) Len() int { return len(s.Data) }

// Open reads the corpus at path: a directory, whose tree is walked
// depth-first, by name within each directory (filepath.WalkDir; symbolic
// links are not followed), or a single file.
//
// A directory's files are split by the FNV-1a 64-bit hash of their
// relative paths: a file goes to validation when hash mod 2⁶⁴ is below
// ValidFraction · 2⁶⁴. Should that leave a side empty, the non-empty file
// with the smallest hash moves to validation, or the one with the largest
// to training. A single file is split by position instead: its last
// ValidFraction of bytes (rounded up) are the validation data.
//
// The errors name the path: one that cannot be read, and a corpus without
// a byte of text (no files kept, or only empty ones).
func Open(path string, opt Options) (*Corpus, error) {
	frac := opt.ValidFraction
	if frac == 0 {
		frac = DefaultValidFraction
	}
	if !(frac > 0 && frac < 1) {
		return nil, fmt.Errorf("text: %s: validation fraction %g outside (0, 1)", path, frac)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("text: %w", err)
	}
	if !info.IsDir() {
		return openFile(path, frac)
	}
	// Each file goes straight to its side as it is read, so that the
	// corpus is in memory once (with the slack of appending), not once as
	// files and again as splits.
	c := &Corpus{Root: path, Train: &Split{}, Valid: &Split{}}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(path, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if len(opt.Ext) > 0 && !slices.ContainsFunc(opt.Ext, func(e string) bool { return strings.HasSuffix(rel, e) }) {
			return nil
		}
		if !d.Type().IsRegular() {
			c.Skipped = append(c.Skipped, rel)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.IndexByte(b, 0) >= 0 {
			c.Skipped = append(c.Skipped, rel)
			return nil
		}
		f := File{Path: rel, Size: len(b), Valid: validByHash(rel, frac)}
		c.Files = append(c.Files, f)
		c.side(f.Valid).add(rel, b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("text: %w", err)
	}
	if total := c.Train.Len() + c.Valid.Len(); total == 0 {
		return nil, fmt.Errorf("text: %s: no text: %d files kept, %d bytes, %d skipped", path, len(c.Files), total, len(c.Skipped))
	}
	c.balance()
	return c, nil
}

// side returns the validation split if valid, else the training split.
func (c *Corpus) side(valid bool) *Split {
	if valid {
		return c.Valid
	}
	return c.Train
}

// add appends the file name with the bytes b to s.
func (s *Split) add(name string, b []byte) {
	s.Files = append(s.Files, name)
	s.Starts = append(s.Starts, len(s.Data))
	s.Data = append(s.Data, b...)
}

// openFile reads a corpus of one file, split by position.
func openFile(path string, frac float64) (*Corpus, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("text: %w", err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("text: %s: empty file", path)
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return nil, fmt.Errorf("text: %s: a NUL byte at offset %d: not a text file", path, bytes.IndexByte(b, 0))
	}
	name := filepath.Base(path)
	nv := int(float64(len(b))*frac + 0.999999)
	nv = min(max(nv, 1), len(b))
	cut := len(b) - nv
	return &Corpus{
		Root:  path,
		Files: []File{{Path: name, Size: len(b)}},
		Train: &Split{Data: b[:cut:cut], Files: []string{name}, Starts: []int{0}},
		Valid: &Split{Data: b[cut:], Files: []string{name}, Starts: []int{0}},
	}, nil
}

// pathHash is the FNV-1a 64-bit hash of a relative path.
func pathHash(rel string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(rel))
	return h.Sum64()
}

// validByHash reports whether the file at rel belongs to validation.
func validByHash(rel string, frac float64) bool {
	return float64(pathHash(rel)) < frac*(1<<64)
}

// balance moves one file across when the hash left a side without a
// byte: the non-empty file of smallest hash to validation, or of largest
// hash to training. Nothing moves when only one file has bytes.
func (c *Corpus) balance() {
	var nonEmpty []int
	for i, f := range c.Files {
		if f.Size > 0 {
			nonEmpty = append(nonEmpty, i)
		}
	}
	if len(nonEmpty) < 2 {
		return
	}
	byHash := func(a, b int) int { return cmp.Compare(pathHash(c.Files[a].Path), pathHash(c.Files[b].Path)) }
	var i int
	switch {
	case c.Valid.Len() == 0:
		i = slices.MinFunc(nonEmpty, byHash)
	case c.Train.Len() == 0:
		i = slices.MaxFunc(nonEmpty, byHash)
	default:
		return
	}
	f := &c.Files[i]
	from, to := c.side(f.Valid), c.side(!f.Valid)
	k := slices.Index(from.Files, f.Path)
	start := from.Starts[k]
	// The side it joins holds no bytes, only empty files: keep the corpus
	// order among them.
	var moved Split
	for _, g := range c.Files {
		switch {
		case g.Path == f.Path:
			moved.add(g.Path, from.Data[start:start+f.Size])
		case g.Valid == !f.Valid:
			moved.add(g.Path, nil)
		}
	}
	moved.Data = slices.Clone(moved.Data)
	*to = moved
	from.Data = append(from.Data[:start], from.Data[start+f.Size:]...)
	from.Files = slices.Delete(from.Files, k, k+1)
	from.Starts = slices.Delete(from.Starts, k, k+1)
	for j := k; j < len(from.Starts); j++ {
		from.Starts[j] -= f.Size
	}
	f.Valid = !f.Valid
}

// GoRoot returns the Go installation's root, as `go env GOROOT` prints it
// (so that GOROOT in the environment and the go command on PATH decide,
// as for the go command itself).
func GoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return "", fmt.Errorf("text: go env GOROOT: %v: %s", err, bytes.TrimSpace(ee.Stderr))
		}
		return "", fmt.Errorf("text: go env GOROOT: %v", err)
	}
	root := string(bytes.TrimSpace(out))
	if root == "" {
		return "", errors.New("text: go env GOROOT: empty")
	}
	return root, nil
}

// GoSource opens the default corpus: the .go files of the Go standard
// library's source, GoRoot()/src, about 90 MB in some 7,700 files for Go
// 1.26, split with DefaultValidFraction. Only .go files: the tree also
// holds test data (archives, images, object files) that is not the text a
// model of Go code should learn, and assembly and scripts that are few.
func GoSource() (*Corpus, error) {
	root, err := GoRoot()
	if err != nil {
		return nil, err
	}
	return Open(filepath.Join(root, "src"), Options{Ext: []string{".go"}})
}
