package main

import (
	"context"
	"fmt"

	"backprop/ag"
	"backprop/internal/atomicfile"
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
		if err := atomicfile.WriteBytes(p.dot, dot); err != nil {
			return fmt.Errorf("--dot: %v", err)
		}
	}
	if p.svg != "" {
		b, err := viz.SVG(ctx, dot)
		if err == nil {
			err = atomicfile.WriteBytes(p.svg, b)
		}
		if err != nil {
			return fmt.Errorf("--svg: %v", err)
		}
	}
	if p.png != "" {
		b, err := viz.PNG(ctx, dot, 2)
		if err == nil {
			err = atomicfile.WriteBytes(p.png, b)
		}
		if err != nil {
			return fmt.Errorf("--png: %v", err)
		}
	}
	return nil
}
