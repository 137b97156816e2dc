package viz

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/fogleman/gg"
	graphviz "github.com/goccy/go-graphviz"
	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Graphviz runs as one WebAssembly instance for the whole process (the
// module go-graphviz instantiates when it is loaded), which is not safe
// for concurrent use, and which does not stop when a context is done:
// wazero checks contexts only in a runtime configured to, and go-graphviz
// does not configure its own so. Layouts therefore run one at a time, and
// a layout, once started, runs to its end. What keeps that from starving
// anyone is the cost bound of Build (see LayoutCost), and this queue:
// a waiting layout gives up when its context is done, and the smallest
// waiting graph goes first, so that a small picture waits for at most
// the one layout already running, never for a line of large ones. (The
// WebAssembly code cannot be preempted either: a garbage collection that
// starts during a layout waits for it to end, and so, for that long,
// does every goroutine of the process. A server lays out in other
// processes instead: see Graph.SVGApart.)
var (
	engine = layoutQueue{slots: 1}
	gv     *graphviz.Graphviz // created on first use and kept
)

// layoutQueue grants layouts up to slots at a time, the waiter of the
// smallest size first. With heavy > 0, layouts of a size above heavy take
// at most slots−1 at once, so that one slot is always left for the light
// ones.
type layoutQueue struct {
	mu      sync.Mutex
	slots   int
	heavy   int
	busy    int
	big     int // heavy layouts running
	waiting []*layoutWaiter
}

// fits reports whether a layout of the given size may start now.
func (q *layoutQueue) fits(size int) bool {
	if q.busy >= q.slots {
		return false
	}
	return q.heavy <= 0 || size <= q.heavy || q.big < q.slots-1
}

// start counts a layout of the given size as running.
func (q *layoutQueue) start(size int) {
	q.busy++
	if q.heavy > 0 && size > q.heavy {
		q.big++
	}
}

type layoutWaiter struct {
	size    int
	granted chan struct{}
}

// acquire waits until a slot is free for a layout of size bytes of DOT,
// or until ctx is done (then it returns ctx's error and holds nothing).
func (q *layoutQueue) acquire(ctx context.Context, size int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q.mu.Lock()
	if q.fits(size) {
		q.start(size)
		q.mu.Unlock()
		return nil
	}
	w := &layoutWaiter{size: size, granted: make(chan struct{})}
	q.waiting = append(q.waiting, w)
	q.mu.Unlock()
	select {
	case <-w.granted:
		return nil
	case <-ctx.Done():
		q.mu.Lock()
		if i := slices.Index(q.waiting, w); i >= 0 {
			q.waiting = slices.Delete(q.waiting, i, i+1)
			q.mu.Unlock()
			return ctx.Err()
		}
		q.mu.Unlock()
		// Granted as ctx ended: pass it on.
		q.release(size)
		return ctx.Err()
	}
}

// release frees the slot of a layout of the given size and hands slots
// to the smallest waiters that fit.
func (q *layoutQueue) release(size int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.busy--
	if q.heavy > 0 && size > q.heavy {
		q.big--
	}
	for {
		best := -1
		for i, w := range q.waiting {
			if q.fits(w.size) && (best < 0 || w.size < q.waiting[best].size) {
				best = i
			}
		}
		if best < 0 {
			return
		}
		w := q.waiting[best]
		q.waiting = slices.Delete(q.waiting, best, best+1)
		q.start(w.size)
		close(w.granted)
	}
}

// layout runs Graphviz's dot layout on src and writes it in format. It
// waits for the Graphviz instance while ctx allows (see layoutQueue) and
// does not start a layout once ctx is done.
func layout(ctx context.Context, src []byte, format graphviz.Format) ([]byte, error) {
	if err := engine.acquire(ctx, len(src)); err != nil {
		return nil, fmt.Errorf("viz: waiting for Graphviz: %w", err)
	}
	defer engine.release(len(src))
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("viz: waiting for Graphviz: %w", err)
	}
	if gv == nil {
		g, err := graphviz.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("viz: starting Graphviz: %v", err)
		}
		gv = g
	}
	graph, err := graphviz.ParseBytes(src)
	if err != nil {
		return nil, fmt.Errorf("viz: Graphviz cannot read the DOT: %v", err)
	}
	defer graph.Close()
	var b bytes.Buffer
	if err := gv.Render(ctx, graph, format, &b); err != nil {
		return nil, fmt.Errorf("viz: Graphviz %s layout: %v", format, err)
	}
	return b.Bytes(), nil
}

// SVG lays out the DOT text src with Graphviz and returns the picture as
// SVG. Every node is an SVG group whose id is its DOT id (see Graph.DOT),
// and gate boxes carry their pattern as a tooltip.
func SVG(ctx context.Context, src []byte) ([]byte, error) {
	return layout(ctx, src, graphviz.SVG)
}

// PNG lays out the DOT text src with Graphviz and draws it as a PNG image
// at scale pixels per point (2 gives about 144 dots per inch; 0 means 2).
// It understands the drawing operations Graph.DOT produces: text, filled
// and outlined polygons, ellipses, B-splines and polylines.
func PNG(ctx context.Context, src []byte, scale float64) ([]byte, error) {
	if scale <= 0 {
		scale = 2
	}
	if scale > 8 {
		return nil, fmt.Errorf("viz: PNG scale %v above 8", scale)
	}
	js, err := layout(ctx, src, graphviz.Format("json"))
	if err != nil {
		return nil, err
	}
	var doc xgraph
	if err := json.Unmarshal(js, &doc); err != nil {
		return nil, fmt.Errorf("viz: reading Graphviz's layout: %v", err)
	}
	var bb [4]float64
	for i, f := range strings.Split(doc.BB, ",") {
		if i < 4 {
			bb[i], _ = strconv.ParseFloat(strings.TrimSpace(f), 64)
		}
	}
	w, h := int(math.Ceil((bb[2]-bb[0])*scale)), int(math.Ceil((bb[3]-bb[1])*scale))
	if w <= 0 || h <= 0 || w*h > 64<<20 {
		return nil, fmt.Errorf("viz: PNG of %d×%d pixels out of range", w, h)
	}
	d := &drawer{dc: gg.NewContext(w, h), scale: scale, x0: bb[0], y1: bb[3], fill: color.White, pen: color.Black, size: 14}
	d.dc.SetColor(color.White)
	d.dc.Clear()
	d.run(doc.Draw)
	for _, e := range doc.Edges {
		d.object(e)
	}
	for _, n := range doc.Objects {
		d.object(n)
	}
	var b bytes.Buffer
	if err := d.dc.EncodePNG(&b); err != nil {
		return nil, fmt.Errorf("viz: encoding PNG: %v", err)
	}
	return b.Bytes(), nil
}

// xgraph is the part of Graphviz's JSON output that PNG reads.
type xgraph struct {
	BB      string    `json:"bb"`
	Draw    []xop     `json:"_draw_"`
	Objects []xobject `json:"objects"`
	Edges   []xobject `json:"edges"`
}

// xobject holds the drawing operations of a node or an edge.
type xobject struct {
	Draw   []xop `json:"_draw_"`
	LDraw  []xop `json:"_ldraw_"`
	HDraw  []xop `json:"_hdraw_"`
	TDraw  []xop `json:"_tdraw_"`
	HLDraw []xop `json:"_hldraw_"`
	TLDraw []xop `json:"_tldraw_"`
}

// xop is one xdot drawing operation.
type xop struct {
	Op     string       `json:"op"`
	Color  string       `json:"color"`
	Points [][2]float64 `json:"points"`
	Rect   []float64    `json:"rect"`
	Pt     []float64    `json:"pt"`
	Align  string       `json:"align"`
	Text   string       `json:"text"`
	Size   float64      `json:"size"`
	Face   string       `json:"face"`
	Fontc  int          `json:"fontchar"`
	Style  string       `json:"style"`
}

// drawer replays xdot operations onto a gg context, flipping Graphviz's
// upward y axis.
type drawer struct {
	dc        *gg.Context
	scale     float64
	x0, y1    float64
	pen, fill color.Color
	size      float64
	bold      bool
	width     float64
}

func (d *drawer) object(o xobject) {
	for _, ops := range [][]xop{o.Draw, o.HDraw, o.TDraw, o.LDraw, o.HLDraw, o.TLDraw} {
		d.pen, d.fill, d.bold, d.width = color.Black, color.White, false, 1
		d.run(ops)
	}
}

func (d *drawer) xy(p [2]float64) (float64, float64) {
	return (p[0] - d.x0) * d.scale, (d.y1 - p[1]) * d.scale
}

func (d *drawer) path(pts [][2]float64, closed bool) {
	for i, p := range pts {
		x, y := d.xy(p)
		if i == 0 {
			d.dc.MoveTo(x, y)
		} else {
			d.dc.LineTo(x, y)
		}
	}
	if closed {
		d.dc.ClosePath()
	}
}

func (d *drawer) finish(filled bool) {
	if filled {
		d.dc.SetColor(d.fill)
		d.dc.FillPreserve()
	}
	d.dc.SetColor(d.pen)
	d.dc.SetLineWidth(d.width * d.scale)
	d.dc.Stroke()
}

func (d *drawer) run(ops []xop) {
	for _, op := range ops {
		switch op.Op {
		case "c":
			d.pen = parseColor(op.Color)
		case "C":
			d.fill = parseColor(op.Color)
		case "F":
			d.size = op.Size
			d.bold = strings.Contains(strings.ToLower(op.Face), "bold")
		case "t":
			d.bold = op.Fontc&1 != 0
		case "S":
			if w, ok := strings.CutPrefix(op.Style, "setlinewidth("); ok {
				d.width, _ = strconv.ParseFloat(strings.TrimSuffix(w, ")"), 64)
			}
		case "P", "p":
			d.path(op.Points, true)
			d.finish(op.Op == "P")
		case "L":
			d.path(op.Points, false)
			d.finish(false)
		case "B", "b":
			if len(op.Points) == 0 {
				continue
			}
			x, y := d.xy(op.Points[0])
			d.dc.MoveTo(x, y)
			for i := 1; i+2 < len(op.Points); i += 3 {
				x1, y1 := d.xy(op.Points[i])
				x2, y2 := d.xy(op.Points[i+1])
				x3, y3 := d.xy(op.Points[i+2])
				d.dc.CubicTo(x1, y1, x2, y2, x3, y3)
			}
			if op.Op == "B" { // filled; "b" is an open curve
				d.dc.ClosePath()
			}
			d.finish(op.Op == "B")
		case "E", "e":
			if len(op.Rect) == 4 {
				x, y := d.xy([2]float64{op.Rect[0], op.Rect[1]})
				d.dc.DrawEllipse(x, y, op.Rect[2]*d.scale, op.Rect[3]*d.scale)
				d.finish(op.Op == "E")
			}
		case "T":
			if len(op.Pt) != 2 {
				continue
			}
			x, y := d.xy([2]float64{op.Pt[0], op.Pt[1]})
			d.dc.SetFontFace(face(d.bold, d.size*d.scale))
			d.dc.SetColor(d.pen)
			ax := 0.5
			switch op.Align {
			case "l":
				ax = 0
			case "r":
				ax = 1
			}
			d.dc.DrawStringAnchored(op.Text, x, y, ax, 0)
		}
	}
}

var (
	fontMu    sync.Mutex
	fontFaces = map[[2]float64]font.Face{}
)

// face returns the Go font, regular or bold, at size pixels; the Go fonts
// are compiled in, so the PNG looks the same on every machine.
func face(bold bool, size float64) font.Face {
	key := [2]float64{0, size}
	if bold {
		key[0] = 1
	}
	fontMu.Lock()
	defer fontMu.Unlock()
	if f, ok := fontFaces[key]; ok {
		return f
	}
	ttf := goregular.TTF
	if bold {
		ttf = gobold.TTF
	}
	ft, err := truetype.Parse(ttf)
	if err != nil {
		panic("viz: the compiled-in Go font does not parse: " + err.Error())
	}
	f := truetype.NewFace(ft, &truetype.Options{Size: size, Hinting: font.HintingFull})
	fontFaces[key] = f
	return f
}

// parseColor reads "#rrggbb" or "#rrggbbaa"; anything else is black.
func parseColor(s string) color.Color {
	s = strings.TrimPrefix(s, "#")
	if len(s) != 6 && len(s) != 8 {
		switch s {
		case "white":
			return color.White
		case "transparent", "none":
			return color.Transparent
		}
		return color.Black
	}
	if len(s) == 6 {
		s += "ff"
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return color.Black
	}
	return color.NRGBA{R: uint8(v >> 24), G: uint8(v >> 16), B: uint8(v >> 8), A: uint8(v)}
}
