//go:build browser

package web

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"backprop/viz"

	"github.com/chromedp/chromedp"
)

// chromium is Debian's Chromium, which the browser test drives.
const chromium = "/usr/bin/chromium"

// TestBrowser loads the page in headless Chromium, draws the lecture's
// first circuit, steps through the forward and the backward pass, reads
// the gradients the page shows, and saves screenshots to a temporary
// folder (and to $BACKPROP_SCREENSHOTS if set).
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("the browser test needs Chromium at %s: install it with `apt-get update && apt-get install -y chromium` (test.sh does this)", chromium)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stopServer := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(sctx, l) }()
	defer func() {
		stopServer()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	url := "http://" + l.Addr().String() + "/"

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	shots := t.TempDir()
	save := func(name string, b []byte) {
		for _, dir := range []string{shots, os.Getenv("BACKPROP_SCREENSHOTS")} {
			if dir == "" {
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Error(err)
			}
		}
	}

	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	read := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		s, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return s
	}
	// step presses "Step ▶" and checks the phase the page then shows.
	step := func(want string) {
		t.Helper()
		run("step", chromedp.Click(chromedp.ID("next")))
		if phase := read("phase", chromedp.Text(chromedp.ID("phase"))); phase != want {
			t.Errorf("phase %q, want %q", phase, want)
		}
	}
	// wire reads the value or gradient shown on a wire of the SVG.
	wire := func(id, color string) string {
		t.Helper()
		return read("wire "+id, chromedp.Evaluate[string](`(document.querySelector('#`+id+` text[fill="`+color+`"]') || {textContent: "missing"}).textContent`))
	}
	screenshot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 gives a PNG
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		save(name, b)
	}

	run("load the page",
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.ID("controls")),
		chromedp.SetValue(chromedp.ID("expr"), "(x+y)*z"),
		chromedp.SetValue(chromedp.ID("values"), "x=-2 y=5 z=-4"),
		chromedp.Click(chromedp.ID("draw")),
		chromedp.WaitVisible(chromedp.ID("w4")),
	)
	if phase := read("phase", chromedp.Text(chromedp.ID("phase"))); phase != "ready" {
		t.Errorf("phase %q after drawing, want ready", phase)
	}
	if v := wire("w0", viz.ValueColor); v != "-2" {
		t.Errorf("before the forward pass the x wire shows %q, want -2", v)
	}
	step("forward 1/2")
	step("forward 2/2")
	outValue, outGradBefore := wire("w4", viz.ValueColor), wire("w4", viz.GradColor)
	step("backward 1/2")
	info := read("step panel", chromedp.Text(chromedp.ID("step-info")))
	screenshot("backward-mul.png")
	step("done")
	if outValue != "-12" || outGradBefore != "" {
		t.Errorf("after the forward pass the output wire shows value %q, gradient %q; want -12 and nothing", outValue, outGradBefore)
	}
	if !strings.Contains(info, "mul swaps") || !strings.Contains(info, "upstream gradient ∂L/∂out = 1") || !strings.Contains(info, "local ∂out/∂in = -4") || !strings.Contains(info, "local ∂out/∂in = 3") {
		t.Errorf("step panel at the * gate:\n%s", info)
	}
	gx, gy, gz := wire("w0", viz.GradColor), wire("w1", viz.GradColor), wire("w3", viz.GradColor)
	grads, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#grads td.grad")].map(td => td.dataset.name + "=" + td.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	screenshot("circuit.png")
	if gx != "-4" || gy != "-4" || gz != "3" {
		t.Errorf("wire gradients x %q y %q z %q, want -4 -4 3", gx, gy, gz)
	}
	if got := strings.Join(grads, " "); got != "x=-4 y=-4 z=3" {
		t.Errorf("gradient table %q, want x=-4 y=-4 z=3", got)
	}

	// Fan-out: x feeds two products; stepping to the end, the panel says
	// the gradients add at the branch, −2 + 1 = −1, and the wire shows it.
	poll := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	drawExpr := func(expr, values, wait string) {
		t.Helper()
		run("draw "+expr,
			chromedp.Evaluate[chromedp.Void](`circuit.data = null; document.getElementById("phase").textContent = ""`),
			chromedp.SetValue(chromedp.ID("expr"), expr),
			chromedp.SetValue(chromedp.ID("values"), values),
			chromedp.Click(chromedp.ID("draw")),
			chromedp.WaitVisible(chromedp.ID(wait)),
		)
		poll("draw "+expr, `document.getElementById("phase").textContent === "ready"`)
	}
	// panels steps to the end, returning the step panel after every step.
	panels := func() []string {
		t.Helper()
		var out []string
		for i := 0; i < 40; i++ {
			if done := read("phase", chromedp.Text(chromedp.ID("phase"))); done == "done" {
				return out
			}
			run("step", chromedp.Click(chromedp.ID("next")))
			out = append(out, read("step panel", chromedp.Text(chromedp.ID("step-info"))))
		}
		t.Fatal("stepping never ended")
		return nil
	}
	drawExpr("x*y + x*z", "x=3 y=-2 z=1", "w0")
	var branch string
	for _, p := range panels() {
		if strings.Contains(p, "add at the branch") {
			branch = p
			screenshot("fanout.png")
		}
	}
	if !strings.Contains(branch, "x fans out: the gradients add at the branch: -2 + 1 = -1") || !strings.Contains(branch, "pattern: mul swaps") {
		t.Errorf("no fan-out sum in the step panels; the last with a branch:\n%s", branch)
	}
	if g := wire("w0", viz.GradColor); g != "-1" {
		t.Errorf("the x wire's gradient is %q, want -1", g)
	}

	// Small tensors show their elements on the wire and in the panel; the
	// values box takes a matrix over two lines.
	drawExpr("sum(W@x)", "W=[[1, 2],\n   [3, 4]]\nx=[[1], [-1]]", "w0")
	steps := panels()
	if v := wire("w0", viz.ValueColor); v != "[[1, 2], [3, 4]]" {
		t.Errorf("the W wire shows %q, want its elements", v)
	}
	if len(steps) < 1 || !strings.Contains(steps[0], "out = [[-1], [-1]]") || !strings.Contains(steps[0], "pattern: matmul swaps") {
		t.Errorf("first step panel of W@x:\n%v", steps)
	}
	screenshot("matrix.png")

	// A long expression keeps readable text: the graph scrolls rather
	// than shrinking below three quarters, and the zoom buttons work.
	long := "x" + strings.Repeat("*x+x", 25)
	drawExpr(long, "x=0.5", "w0")
	zoomText := read("zoom", chromedp.Text(chromedp.ID("zoom-level")))
	scrolls, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const g = document.getElementById("graph"); return g.scrollWidth > g.clientWidth; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if zoomText != "75%" || !scrolls {
		t.Errorf("long expression: zoom %s, scrolls %v; want 75%% and a scrolling graph", zoomText, scrolls)
	}
	screenshot("long.png")
	run("zoom in", chromedp.Click(chromedp.ID("zoom-in")))
	if z := read("zoom", chromedp.Text(chromedp.ID("zoom-level"))); z != "94%" {
		t.Errorf("zoom after + is %s, want 94%%", z)
	}

	// The training view: opening it (and resetting it) shows step 0 with
	// no error; with a smaller network and another rate it learns the
	// spiral, and both charts have axes.
	trainStatus := func() string { return read("training status", chromedp.Text(chromedp.ID("train-status"))) }
	run("open the training view",
		chromedp.Click(chromedp.ID("tab-train")),
		chromedp.WaitVisible(chromedp.ID("boundary")),
	)
	poll("the training view", `document.getElementById("train-status").textContent.startsWith("step 0")`)
	if st := trainStatus(); !strings.HasPrefix(st, "step 0 · loss – · accuracy ") || strings.Contains(st, "iterable") {
		t.Errorf("training view on opening: %q", st)
	}
	run("reset", chromedp.Click(chromedp.ID("train-reset")), chromedp.Sleep(300*time.Millisecond))
	if st := trainStatus(); !strings.HasPrefix(st, "step 0 · loss – · accuracy ") || !strings.HasSuffix(st, "2 → 100 → 3, lr 1, reg 0.001") {
		t.Errorf("training view after Reset: %q", st)
	}
	run("settings",
		chromedp.SetValue(chromedp.ID("train-hidden"), "50"),
		chromedp.SetValue(chromedp.ID("train-lr"), "0.5"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("train-lr").dispatchEvent(new Event("change"))`),
	)
	poll("new settings", `document.getElementById("train-status").textContent.endsWith("2 → 50 → 3, lr 0.5, reg 0.001")`)
	run("train", chromedp.Click(chromedp.ID("train-start")))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(document.getElementById("train-status").textContent.match(/^step (\d+)/) || [0, 0])[1] >= 150`, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("training did not reach step 150: %v", err)
	}
	run("pause", chromedp.Click(chromedp.ID("train-pause")), chromedp.Sleep(200*time.Millisecond))
	status := trainStatus()
	screenshot("train.png")
	if !strings.Contains(status, "accuracy") || !strings.HasSuffix(status, "2 → 50 → 3, lr 0.5, reg 0.001") {
		t.Errorf("training status %q", status)
	}
	// The axes are drawn: tick labels on the left of the plane. A
	// canvas keeps no text, so its pixels are read: the margin left of
	// the plane holds dark tick labels.
	dark, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => {
		const c = document.getElementById("loss"), d = c.getContext("2d").getImageData(0, 0, 50, c.height).data;
		let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i+3] > 0 && d[i] < 100) n++; return n; })()`))
	if err != nil || dark < 30 {
		t.Errorf("the loss chart has %d dark pixels in its left margin (%v): no axis labels", dark, err)
	}

	// At 420 pixels wide the page fits: nothing wider than the window.
	// overflow lists the elements that reach past the window's right
	// edge, other than those inside the graph, which scrolls.
	overflow := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const w = document.documentElement.clientWidth, out = [];
			for (const e of document.querySelectorAll("body *")) {
				if (e.closest("#graph svg")) continue;
				const r = e.getBoundingClientRect();
				if (r.width > 0 && r.right > w + 0.5) out.push((e.id || e.tagName) + " to " + Math.round(r.right));
			}
			return "window " + w + (out.length ? ": " + out.join(", ") : "");
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// The scroll bar is hidden, so that the screenshot shows the whole
	// 420 pixels.
	run("narrow", chromedp.EmulateViewport(420, 900),
		chromedp.Evaluate[chromedp.Void](`document.documentElement.style.scrollbarWidth = "none"`),
		chromedp.Sleep(300*time.Millisecond))
	if o := overflow(); o != "window 420" {
		t.Errorf("the training view at 420 px: %s", o)
	}
	screenshot("narrow-train.png")
	run("narrow circuit", chromedp.Click(chromedp.ID("tab-graph")))
	drawExpr("sigmoid(w0*x0 + w1*x1 + w2)", "w0=2 x0=-1 w1=-3 x1=-2 w2=-3", "w0")
	if o := overflow(); o != "window 420" {
		t.Errorf("the circuit view at 420 px: %s", o)
	}
	screenshot("narrow-circuit.png")
	t.Logf("screenshots in %s; training: %s", shots, status)
}
