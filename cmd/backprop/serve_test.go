package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestServeErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "extra"}, "backprop serve: unexpected argument \"extra\"; usage: " + serveSynopsis + "\n"},
		{[]string{"serve", "--port", "1"}, "backprop serve: unknown flag --port; run 'backprop help serve' for the flags\n"},
		{[]string{"serve", "--addr", "256.0.0.1:-1"}, "backprop serve: listen tcp: "},
	} {
		code, stdout, stderr := runArgs(c.args...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q, want prefix %q", c.args, code, stdout, stderr, c.want)
		}
	}
	code, stdout, _ := runArgs("help", "serve")
	if code != 0 || !strings.HasPrefix(stdout, "usage: backprop serve [--addr 127.0.0.1:8080]") {
		t.Errorf("help serve: %d %q", code, stdout)
	}
}

func TestServe(t *testing.T) {
	got := make(chan string, 1)
	serveListening = func(addr string, stop func()) {
		go func() {
			defer stop()
			resp, err := http.Post("http://"+addr+"/api/graph", "application/json",
				strings.NewReader(`{"expr": "(x+y)*z", "values": {"x": "-2", "y": "5", "z": "-4"}}`))
			if err != nil {
				got <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got <- string(b)
		}()
	}
	defer func() { serveListening = nil }()
	var out, errOut bytes.Buffer
	code := run([]string{"serve", "--addr", "127.0.0.1:0"}, &out, &errOut)
	if code != 0 || errOut.Len() != 0 || !strings.HasPrefix(out.String(), "backprop serve: open http://127.0.0.1:") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	if body := <-got; !strings.Contains(body, `"grads":{"x":"-4","y":"-4","z":"3"}`) {
		t.Errorf("POST /api/graph: %.300s", body)
	}
}
