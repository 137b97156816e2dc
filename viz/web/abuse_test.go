package web

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// serveLoopback runs ServeWith(cfg) on a port of 127.0.0.1 and returns its
// URL and a function that stops it and reports Serve's error.
func serveLoopback(t *testing.T, cfg Config) (string, func() error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ServeWith(ctx, l, cfg) }()
	return "http://" + l.Addr().String(), func() error {
		cancel()
		return <-served
	}
}

// largePNG is a w×h white image with a digit-like stroke: the largest an
// upload may be, and cheap to send (it compresses well).
func largePNG(w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := h / 4; y < 3*h/4; y++ {
		for x := w/2 - w/40; x < w/2+w/40; x++ {
			img.Pix[y*img.Stride+x] = 0
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// The costliest requests each endpoint allows, and one it refuses, sent
// without pause from several clients for a few seconds, do not starve
// the others: a normal request to every endpoint still answers within a
// second. Before the layout was bounded by its cost, one x^x^…^x of 160
// x's held the page's lock for over an hour and every later request
// timed out.
func TestCostlyRequestsDoNotStarve(t *testing.T) {
	url, stop := serveLoopback(t, Config{Model: mnistModel(t)})
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	client := &http.Client{Timeout: 20 * time.Second}
	post := func(path, ctype, body string) (int, string, time.Duration) {
		start := time.Now()
		resp, err := client.Post(url+path, ctype, strings.NewReader(body))
		if err != nil {
			return 0, err.Error(), time.Since(start)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b), time.Since(start)
	}
	row := "[" + strings.Repeat("0.5,", 783) + "0.5]"
	rows, side := MaxBatch, 2048 // the largest batch, a 4-megapixel image
	if raceDetector {
		rows, side = MaxBatch/8, 512
	}
	batch := `{"inputs": [` + strings.Repeat(row+",", rows-1) + row + `]}`
	big := string(largePNG(side, side))
	// x+1+1+…, 199 gates, layout cost 600, and x+x*x+…+x*x, cost 995:
	// the slowest layouts under MaxLayout (see viz's BenchmarkLayout).
	chain := "x" + strings.Repeat("+1", 199)
	heavy := "x" + strings.Repeat("+x*x", 30)
	costly := []struct {
		name, path, ctype, body string
		code                    int
	}{
		{"160 powers", "/api/graph", "application/json", `{"expr": "x` + strings.Repeat("^x", 159) + `", "values": {"x": "1.01"}}`, 422},
		{"a chain at the limit", "/api/graph", "application/json", `{"expr": "` + chain + `", "values": {"x": "0.5"}}`, 200},
		{"fan-out at the limit", "/api/graph", "application/json", `{"expr": "` + heavy + `", "values": {"x": "0.5"}}`, 200},
		{"50 training steps", "/api/train", "application/json", `{"steps": 50, "hidden": 256}`, 200},
		{"a full batch", "/v1/predict", "application/json", batch, 200},
		{"a large image", "/v1/predict", "image/png", big, 200},
	}
	// A first graph starts a layout worker (a process), which later
	// layouts reuse: the measurement is of a server that has drawn once.
	if code, body, _ := post("/api/graph", "application/json", `{"expr": "x*y", "values": {"x": "1", "y": "2"}}`); code != 200 {
		t.Fatalf("warming up: %d %s", code, body)
	}
	const abuseTime = 4 * time.Second
	deadline := time.Now().Add(abuseTime)
	var wg sync.WaitGroup
	var sent atomic.Int64
	errs := make(chan string, 100)
	for i, c := range costly {
		wg.Go(func() {
			for k := 0; k < 200 && time.Now().Before(deadline); k++ {
				code, body, d := post(c.path, c.ctype, c.body)
				sent.Add(1)
				if code != c.code {
					errs <- fmt.Sprintf("%s: %d %.200s", c.name, code, body)
					return
				}
				if i == 0 && d > time.Second {
					errs <- fmt.Sprintf("%s: refused only after %v", c.name, d)
				}
			}
		})
	}
	normal := []struct {
		name, method, path, ctype, body, want string
	}{
		{"the page", "GET", "/", "", "", "<script"},
		{"a small graph", "POST", "/api/graph", "application/json", `{"expr": "(x+y)*z", "values": {"x": "-2", "y": "5", "z": "-4"}}`, `"value":"-12"`},
		{"a prediction", "POST", "/v1/predict", "application/json", `{"inputs": [` + row + `]}`, `"predictions":[{"class":`},
		{"a training step", "POST", "/api/train", "application/json", `{"steps": 1, "hidden": 10}`, `"step":1`},
		{"the model", "GET", "/v1/model", "", "", `"classes":10`},
	}
	var worst time.Duration
	slowest := ""
	n := 0
	time.Sleep(200 * time.Millisecond) // let the costly requests start
	for time.Now().Before(deadline) {
		c := normal[n%len(normal)]
		var code int
		var body string
		var d time.Duration
		if c.method == "GET" {
			start := time.Now()
			resp, err := client.Get(url + c.path)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, body, d = resp.StatusCode, string(b), time.Since(start)
		} else {
			code, body, d = post(c.path, c.ctype, c.body)
		}
		if code != 200 || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %.200s", c.name, code, body)
		}
		if d > time.Second {
			t.Errorf("%s answered in %v, more than a second, beside the costly requests", c.name, d)
		}
		if d > worst {
			worst, slowest = d, c.name
		}
		n++
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n < 5 || sent.Load() < int64(len(costly)) {
		t.Errorf("%d normal and %d costly requests: the test did not run", n, sent.Load())
	}
	t.Logf("%d normal requests beside %d costly ones: the slowest, %s, answered in %v", n, sent.Load(), slowest, worst)
}

// Shutting down lets the request in flight finish: a client that has
// sent half its body when the server is told to stop still gets its
// answer, and Serve returns once it has.
func TestGracefulShutdown(t *testing.T) {
	url, stop := serveLoopback(t, Config{Model: mnistModel(t)})
	seven := digit7(t)
	pr, pw := io.Pipe()
	type result struct {
		code int
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("POST", url+"/v1/predict", pr)
		req.Header.Set("Content-Type", "image/png")
		req.ContentLength = int64(len(seven))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{resp.StatusCode, string(b), nil}
	}()
	pw.Write(seven[:len(seven)/2])
	time.Sleep(100 * time.Millisecond) // the request is in flight
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned (%v) with a request in flight", err)
	default:
	}
	// New connections are refused while it drains.
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("a new request was accepted during the shutdown")
	}
	pw.Write(seven[len(seven)/2:])
	pw.Close()
	r := <-done
	if r.err != nil || r.code != 200 || !strings.HasPrefix(r.body, `{"predictions":[{"class":7,`) {
		t.Errorf("the request in flight: %d %s %v", r.code, r.body, r.err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// A graph whose layout would cost more than MaxLayout is refused before
// the layout, saying why; one just under it is drawn.
func TestGraphLayoutLimit(t *testing.T) {
	code, body := call(t, "POST", "/api/graph", "application/json", `{"expr": "x`+strings.Repeat("^x", 159)+`", "values": {"x": "1.01"}}`)
	if code != 422 || !strings.Contains(body, "the graph is too tangled to lay out: 25443 nodes with the long wires' bends, more than 1000 (x feeds 159 gates)") {
		t.Errorf("160 powers: %d %s", code, body)
	}
	if code, body := call(t, "POST", "/api/graph", "application/json", `{"expr": "x`+strings.Repeat("+1", 199)+`", "values": {"x": "1"}}`); code != 200 {
		t.Errorf("a chain of 199 gates, cost 600: %d %.200s", code, body)
	}
}
