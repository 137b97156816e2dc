package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"backprop/ag"
	"backprop/viz"
)

// pictureFlags are the files "backprop grad" draws the graph to.
type pictureFlags struct{ svg, png, dot string }

func (p *pictureFlags) any() bool { return p.svg != "" || p.png != "" || p.dot != "" }

// write draws the graph of y, kept after the backward pass, to every file
// asked for.
func (p *pictureFlags) write(y *ag.Var, names map[*ag.Var]string) error {
	g, err := viz.Build(y, &viz.Options{Names: names})
	if err != nil {
		return err
	}
	dot := g.DOT()
	ctx := context.Background()
	if p.dot != "" {
		if err := writeAtomic(p.dot, dot); err != nil {
			return fmt.Errorf("--dot: %v", err)
		}
	}
	if p.svg != "" {
		b, err := viz.SVG(ctx, dot)
		if err == nil {
			err = writeAtomic(p.svg, b)
		}
		if err != nil {
			return fmt.Errorf("--svg: %v", err)
		}
	}
	if p.png != "" {
		b, err := viz.PNG(ctx, dot, 2)
		if err == nil {
			err = writeAtomic(p.png, b)
		}
		if err != nil {
			return fmt.Errorf("--png: %v", err)
		}
	}
	return nil
}

// writeAtomic writes b to path through a temporary file in the same
// folder renamed over it, so that path never holds a partial picture.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
