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

	// The training view learns the spiral.
	run("train",
		chromedp.Click(chromedp.ID("tab-train")),
		chromedp.WaitVisible(chromedp.ID("boundary")),
		chromedp.Click(chromedp.ID("train-start")),
	)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(document.getElementById("train-status").textContent.match(/^step (\d+)/) || [0, 0])[1] >= 150`, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("training did not reach step 150: %v", err)
	}
	run("pause", chromedp.Click(chromedp.ID("train-pause")), chromedp.Sleep(200*time.Millisecond))
	status := read("training status", chromedp.Text(chromedp.ID("train-status")))
	screenshot("train.png")
	if !strings.Contains(status, "accuracy") {
		t.Errorf("training status %q", status)
	}
	t.Logf("screenshots in %s; training: %s", shots, status)
}
