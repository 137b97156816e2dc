// Command loadgen measures a prediction server (backprop serve --model)
// on this machine: for each number of concurrent clients it sends
// requests until it has sent -requests or -duration has passed, whichever
// comes first, and prints the requests per second and the latency
// percentiles. It talks only to a loopback address. bench/serve.sh runs
// it against a freshly trained MNIST model.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"backprop/data/mnist"
)

func main() {
	target := flag.String("url", "", "the server, such as http://127.0.0.1:8080 (loopback only)")
	levels := flag.String("clients", "1,4,16,64", "numbers of concurrent clients, one measurement each")
	requests := flag.Int("requests", 2000, "requests per measurement, at most")
	duration := flag.Duration("duration", 10*time.Second, "time per measurement, at most")
	image := flag.String("image", "docs/digit-7.png", "the image to classify")
	flag.Parse()
	if err := run(*target, *levels, *requests, *duration, *image); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
}

func run(target, levels string, requests int, duration time.Duration, imagePath string) error {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("-url %q: want http://127.0.0.1:PORT", target)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-url %q: not a loopback address; this load test runs on this machine only", target)
	}
	if requests <= 0 || requests > 1000000 || duration <= 0 || duration > 10*time.Minute {
		return fmt.Errorf("-requests %d, -duration %v: want at most 10⁶ requests and 10 minutes", requests, duration)
	}
	png, err := os.ReadFile(imagePath)
	if err != nil {
		return err
	}
	img, err := mnist.DecodeImage(png, imagePath)
	if err != nil {
		return err
	}
	x, err := mnist.FromImage(img)
	if err != nil {
		return err
	}
	row, _ := json.Marshal(map[string]any{"inputs": [][]float32{x.Float32s()}})
	kinds := []struct {
		name, ctype string
		body        []byte
	}{
		{"json, 1 row of 784", "application/json", row},
		{"png " + strconv.Itoa(len(png)/1024) + " KiB", "image/png", png},
	}
	var ns []int
	for _, f := range strings.Split(levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1024 {
			return fmt.Errorf("-clients %q: want numbers from 1 to 1024", levels)
		}
		ns = append(ns, n)
	}
	fmt.Printf("%-20s %7s %8s %6s %9s %8s %8s %8s %8s\n", "request", "clients", "requests", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms")
	for _, k := range kinds {
		for _, n := range ns {
			r := measure(target+"/v1/predict", k.ctype, k.body, n, requests, duration)
			fmt.Printf("%-20s %7d %8d %6d %9.0f %8.2f %8.2f %8.2f %8.2f\n", k.name, n, len(r.lat), r.errors,
				float64(len(r.lat))/r.wall.Seconds(), ms(r.pct(50)), ms(r.pct(90)), ms(r.pct(99)), ms(r.pct(100)))
		}
	}
	return nil
}

type result struct {
	lat    []time.Duration
	errors int
	wall   time.Duration
}

func (r result) pct(p int) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := (len(r.lat)*p + 99) / 100
	return r.lat[max(0, min(len(r.lat)-1, i-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// measure sends requests from n clients, each with its own connection,
// until total have been sent or d has passed.
func measure(target, ctype string, body []byte, n, total int, d time.Duration) result {
	var sent atomic.Int64
	var mu sync.Mutex
	var r result
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			var lat []time.Duration
			errs := 0
			for sent.Add(1) <= int64(total) && time.Now().Before(deadline) {
				t0 := time.Now()
				resp, err := client.Post(target, ctype, bytes.NewReader(body))
				ok := err == nil
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					ok = resp.StatusCode == 200 && bytes.HasPrefix(b, []byte(`{"predictions":[{"class":7,`))
				}
				if !ok {
					errs++
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			r.lat = append(r.lat, lat...)
			r.errors += errs
			mu.Unlock()
		})
	}
	wg.Wait()
	r.wall = time.Since(start)
	slices.Sort(r.lat)
	return r
}
