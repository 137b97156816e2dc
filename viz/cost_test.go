package viz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"backprop/ag"
	"backprop/expr"
	"backprop/tensor"
)

// graphOf builds the graph of src over the variables a and b (x is a)
// with no limit on its layout cost.
func graphOf(t testing.TB, src string) (*Graph, error) {
	t.Helper()
	node, err := expr.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	a := ag.Param(tensor.Scalar(tensor.Float64, 1.01))
	b := ag.Param(tensor.Scalar(tensor.Float64, 0.99))
	env := map[string]*ag.Var{"x": a, "a": a, "b": b}
	y, err := expr.Eval(node, env, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	ag.Backward(y, ag.KeepGraph())
	return Build(y, &Options{Names: map[*ag.Var]string{a: "x", b: "b"}, MaxGates: 1 << 20, MaxLayout: -1})
}

// The families of graphs the layout was measured on (BenchmarkLayout):
// an expression of n terms for each.
var families = []struct {
	name string
	expr func(n int) string
}{
	// x^(x^(…^x)): x feeds every gate, from the first rank to the last.
	{"pow-fanout", func(n int) string { return "x" + strings.Repeat("^x", n-1) }},
	// ((x*x)*x)*…: the same fan-out through products.
	{"mul-fanout", func(n int) string { return "x" + strings.Repeat("*x", n-1) }},
	// x*b*x*b…: two variables fanning out.
	{"two-fanout", func(n int) string { return "x" + strings.Repeat("*b*x", n/2) }},
	// x + x*x + x*x …: fan-out two per term.
	{"sum-of-squares", func(n int) string { return "x" + strings.Repeat("+x*x", n/2) }},
	// x+1+1+…: a chain with a constant per gate, no fan-out.
	{"chain", func(n int) string { return "x" + strings.Repeat("+1", n) }},
	// sin(sin(…(x))): a chain of one-input gates.
	{"nested", func(n int) string { return strings.Repeat("sin(", n) + "x" + strings.Repeat(")", n) }},
}

// LayoutCost counts the nodes of DOT, and the bends of wires that skip
// ranks: none for a chain, about n² for n gates that all read x.
func TestLayoutCost(t *testing.T) {
	cost := func(src string) int {
		g, err := graphOf(t, src)
		if err != nil {
			t.Fatal(err)
		}
		return g.LayoutCost()
	}
	for _, c := range []struct {
		src  string
		want int
	}{
		// x, its wire, the gate, its wire and out.
		{"sin(x)", 5},
		// Two constants placed next to their gates: no bends.
		{"x+1+1", 9},
		{strings.Repeat("sin(", 100) + "x" + strings.Repeat(")", 100), 203},
		// 7 nodes; x's wire reaches the second gate over 3 ranks: two bends.
		{"x*x*x", 9},
	} {
		if got := cost(c.src); got != c.want {
			t.Errorf("LayoutCost(%s) = %d, want %d", c.src, got, c.want)
		}
	}
	// x^…^x with n x's: n−1 gates, 2n+1 nodes, (n−1)(n−2) bends.
	for _, n := range []int{10, 40, 160} {
		if got, want := cost("x"+strings.Repeat("^x", n-1)), 2*n+1+(n-1)*(n-2); got != want {
			t.Errorf("%d powers: cost %d, want %d", n, got, want)
		}
	}
	// The lecture's circuits are cheap.
	for _, c := range lecture {
		if g := circuit(t, c.src, c.values...); g.LayoutCost() > 60 {
			t.Errorf("%s: cost %d", c.src, g.LayoutCost())
		}
	}
}

// Build refuses a graph whose layout would cost more than MaxLayout,
// saying why; x^x^…^x of 160 x's, 319 bytes, used to lay out for over an
// hour.
func TestLayoutLimit(t *testing.T) {
	src := "x" + strings.Repeat("^x", 159)
	node, _ := expr.Parse(src)
	x := ag.Param(tensor.Scalar(tensor.Float64, 1.01))
	y, _ := expr.Eval(node, map[string]*ag.Var{"x": x}, tensor.Float64)
	ag.Backward(y, ag.KeepGraph())
	names := map[*ag.Var]string{x: "x"}
	_, err := Build(y, &Options{Names: names})
	want := "viz: the graph is too tangled to lay out: 25443 nodes with the long wires' bends, more than 2500 (x feeds 159 gates); draw a smaller graph"
	var le *LayoutError
	if err == nil || err.Error() != want || !errors.As(err, &le) || le.Cost != 25443 {
		t.Errorf("160 powers:\n got %v\nwant %s", err, want)
	}
	if _, err := Build(y, &Options{Names: names, MaxLayout: 25443}); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	if _, err := Build(y, &Options{Names: names, MaxLayout: 25442}); err == nil {
		t.Error("one over the limit: no error")
	}
}

// A layout waiting for Graphviz gives up when its context ends, and does
// not start once it has ended; the smallest graph waiting goes first.
func TestLayoutQueue(t *testing.T) {
	dot := circuit(t, lecture[0].src, lecture[0].values...).DOT()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := SVG(done, dot); !errors.Is(err, context.Canceled) {
		t.Errorf("SVG with a done context: %v", err)
	}
	// Hold the instance, queue three waiters, and see the order they get it.
	if err := engine.acquire(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	short, stop := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer stop()
	timedOut := make(chan error, 1)
	go func() { timedOut <- engine.acquire(short, 1) }()
	for _, size := range []int{300, 100, 200} {
		wg.Go(func() {
			if err := engine.acquire(context.Background(), size); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, size)
			mu.Unlock()
			engine.release(size)
		})
	}
	if err := <-timedOut; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a waiter past its deadline: %v", err)
	}
	for {
		engine.mu.Lock()
		n := len(engine.waiting)
		engine.mu.Unlock()
		if n == 3 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	engine.release(0)
	wg.Wait()
	if fmt.Sprint(order) != "[100 200 300]" {
		t.Errorf("granted in the order %v, want the smallest first", order)
	}
	if _, err := SVG(context.Background(), dot); err != nil {
		t.Errorf("after the queue: %v", err)
	}
}

// BenchmarkLayout measures the time of Graphviz's layout (SVG) against
// LayoutCost for every family, at sizes up to a cost of about 2,500 (a
// few seconds each); bench/layout.sh runs it and BENCHMARKS.md holds the
// figures the limits are set from.
func BenchmarkLayout(b *testing.B) {
	ctx := context.Background()
	for _, f := range families {
		for _, n := range []int{10, 20, 30, 40, 50, 60, 80, 100, 150, 200} {
			g, err := graphOf(b, f.expr(n))
			if err != nil {
				b.Fatal(err)
			}
			if g.LayoutCost() > 2600 || n > 200 {
				continue
			}
			dot := g.DOT()
			b.Run(fmt.Sprintf("%s/n=%d", f.name, n), func(b *testing.B) {
				for b.Loop() {
					if _, err := SVG(ctx, dot); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(g.LayoutCost()), "cost")
			})
		}
	}
}
