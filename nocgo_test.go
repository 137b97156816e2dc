package backprop_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// goList runs go list over the module's packages and their dependencies
// with the environment env added, printing format for each.
func goList(t *testing.T, env []string, format string, flags ...string) []string {
	t.Helper()
	args := append(append([]string{"list", "-e", "-deps"}, flags...), "-f", format, "./...")
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestDefaultBuildHasNoCgo checks that without build tags no package of
// the module or of its dependencies outside the standard library uses
// cgo (the standard library's net and os/user use it only when it is
// there), that every package builds with CGO_ENABLED=0, and — so that the
// check is seen to work — that -tags mpi does bring in cgo, in dist.
func TestDefaultBuildHasNoCgo(t *testing.T) {
	const cgo = `{{if and (not .Standard) (or .CgoFiles (eq .ImportPath "C"))}}{{.ImportPath}}{{end}}`
	if pkgs := goList(t, nil, cgo); len(pkgs) > 0 {
		t.Errorf("packages that use cgo in the default build: %v", pkgs)
	}
	if pkgs := goList(t, nil, cgo, "-tags", "mpi"); !slices.Equal(pkgs, []string{"backprop/dist"}) {
		t.Errorf("packages that use cgo with -tags mpi: %v, want [backprop/dist]", pkgs)
	}
	const errs = `{{if or .Error .DepsErrors}}{{.ImportPath}}: {{.Error}} {{.DepsErrors}}{{end}}`
	if bad := goList(t, []string{"CGO_ENABLED=0"}, errs); len(bad) > 0 {
		t.Errorf("with CGO_ENABLED=0: %v", bad)
	}
}
