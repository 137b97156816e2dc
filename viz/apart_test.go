package viz

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// SVGApart draws what SVG draws, in a worker process, and reuses it.
func TestSVGApart(t *testing.T) {
	g := circuit(t, lecture[1].src, lecture[1].values...)
	want, err := SVG(context.Background(), g.DOT())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		got, err := g.SVGApart(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("SVGApart and SVG differ:\n%.300s\n%.300s", got, want)
		}
	}
	if n := len(idle); n < 1 {
		t.Errorf("%d idle workers after three layouts", n)
	}
	// Graphviz's own errors come back as errors; the worker stays.
	if _, err := svgApart(context.Background(), []byte("digraph {"), 1); err == nil || !strings.Contains(err.Error(), "Graphviz cannot read the DOT") {
		t.Errorf("bad DOT: %v", err)
	}
}

// A layout whose context ends is stopped: its worker is killed, the call
// returns at once, and the next layout gets a fresh worker. In-process
// (SVG) the same layout would run to its end, seconds later.
func TestSVGApartStops(t *testing.T) {
	g, err := graphOf(t, "x"+strings.Repeat("^x", 59)) // cost 3543: many seconds
	if err != nil {
		t.Fatal(err)
	}
	idleMu.Lock()
	before := len(idle)
	idleMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = g.SVGApart(ctx)
	if d := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || d > 2*time.Second {
		t.Fatalf("a layout given 300 ms: %v after %v", err, d)
	}
	idleMu.Lock()
	after := len(idle)
	idleMu.Unlock()
	if after > before {
		t.Errorf("the killed worker was kept (%d idle, %d before)", after, before)
	}
	small := circuit(t, lecture[0].src, lecture[0].values...)
	if _, err := small.SVGApart(context.Background()); err != nil {
		t.Errorf("after a stopped layout: %v", err)
	}
	if _, err := small.SVGApart(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("with a context already done: %v", err)
	}
}

// Heavy layouts leave a slot to light ones; the cheapest waiter goes
// first among those that fit.
func TestLayoutQueueHeavy(t *testing.T) {
	q := layoutQueue{slots: 2, heavy: 10}
	bg := context.Background()
	if err := q.acquire(bg, 50); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(bg, 30*time.Millisecond)
	defer cancel()
	if err := q.acquire(short, 60); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a second heavy layout started beside the first: %v", err)
	}
	if err := q.acquire(bg, 5); err != nil {
		t.Fatal(err)
	}
	q.release(5)
	q.release(50)
	if q.busy != 0 || q.big != 0 {
		t.Errorf("busy %d, big %d after every release", q.busy, q.big)
	}
}
