//go:build browser

package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// TestBrowserDraw serves the MNIST model, opens the "Draw a digit" tab in
// headless Chromium, draws a 7 with the mouse, and reads the class and
// the ten probabilities the page shows, which update while the stroke is
// drawn; it saves a screenshot (draw.png, also to $BACKPROP_SCREENSHOTS if
// set). Without a model the tab is absent.
func TestBrowserDraw(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("the browser test needs Chromium at %s: install it with `apt-get update && apt-get install -y chromium` (test.sh does this)", chromium)
	}
	url, stop := serveLoopback(t, Config{Model: mnistModel(t)})
	defer stop()
	bare, stopBare := serveLoopback(t, Config{})
	defer stopBare()

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
	ctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// Without a model there is no drawing tab.
	run("load the page without a model", chromedp.Navigate(bare+"/"), chromedp.WaitVisible(chromedp.ID("tab-train")), chromedp.Sleep(500*time.Millisecond))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#tab-draw").length`)); err != nil || n != 0 {
		t.Errorf("a page without a model has %d drawing tabs (%v)", n, err)
	}

	run("open the drawing tab",
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.ID("tab-draw")),
		chromedp.Click(chromedp.ID("tab-draw")),
		chromedp.WaitVisible(chromedp.ID("draw-canvas")),
	)
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("view-graph").hidden && document.getElementById("view-train").hidden`)); err != nil || !hidden {
		t.Errorf("the other views are still shown (%v)", err)
	}
	box, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.getElementById("draw-canvas").getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`))
	if err != nil || len(box) != 4 {
		t.Fatalf("canvas box %v: %v", box, err)
	}
	// A 7: a bar along the top, then a stroke down to the left, in
	// fractions of the canvas, as a hand draws it: many small moves.
	pt := func(fx, fy float64) (float64, float64) { return box[0] + fx*box[2], box[1] + fy*box[3] }
	stroke := [][2]float64{{0.25, 0.22}, {0.75, 0.22}, {0.68, 0.35}, {0.45, 0.82}}
	x, y := pt(stroke[0][0], stroke[0][1])
	actions := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, chromedp.ButtonLeft)}
	for i := 1; i < len(stroke); i++ {
		for k := 1; k <= 12; k++ {
			f := float64(k) / 12
			x, y = pt(stroke[i-1][0]+f*(stroke[i][0]-stroke[i-1][0]), stroke[i-1][1]+f*(stroke[i][1]-stroke[i-1][1]))
			actions = append(actions, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y, chromedp.ButtonLeft), chromedp.Sleep(15*time.Millisecond))
		}
	}
	run("draw a 7", actions...)
	// The page has predicted while the button was still down.
	during, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("view-draw").dataset.predictions || "0"`))
	if err != nil || during == "0" || during == "1" {
		t.Errorf("%s predictions while drawing (%v); want them to update as the stroke goes", during, err)
	}
	run("lift the pen", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x, y, chromedp.ButtonLeft))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("draw-class").textContent === "7"`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		shown, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("view-draw")))
		t.Fatalf("the page does not read the drawing as 7: %v\n%s", err, shown)
	}
	chromedp.Do(ctx, chromedp.Sleep(300*time.Millisecond)) // the last answer
	probs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#draw-probs td.p")].map(td => td.textContent)`))
	if err != nil || len(probs) != 10 {
		t.Fatalf("probabilities %v: %v", probs, err)
	}
	best, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#draw-probs tr.best th").textContent`))
	if err != nil || best != "7" {
		t.Errorf("the highlighted class is %q (%v), want 7", best, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{t.TempDir(), os.Getenv("BACKPROP_SCREENSHOTS")} {
		if dir != "" {
			if err := os.WriteFile(filepath.Join(dir, "draw.png"), shot, 0o644); err != nil {
				t.Error(err)
			}
		}
	}
	// Clear empties the drawing and the answer.
	run("clear", chromedp.Click(chromedp.ID("draw-clear")))
	if c, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("draw-class"))); err != nil || c != "–" {
		t.Errorf("after Clear the class shows %q (%v)", c, err)
	}
	t.Logf("probabilities of 0…9: %s (%s predictions while drawing)", strings.Join(probs, " "), during)
}
