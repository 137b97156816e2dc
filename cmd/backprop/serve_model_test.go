package main

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// exampleModel is nn's example model: 784-32-10, trained on MNIST.
const exampleModel = "../../nn/testdata/mnist-784-32-10.safetensors"

// imageForm is the multipart body curl -F image=@path sends.
func imageForm(t *testing.T, path string) (*bytes.Buffer, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	w, _ := mw.CreateFormFile("image", filepath.Base(path))
	w.Write(b)
	mw.Close()
	return &body, mw.FormDataContentType()
}

// serve --model answers curl -F image=@docs/digit-7.png with class 7 and
// describes its model; SIGTERM lets the request in flight finish, then
// serve exits with status 0.
func TestServeModel(t *testing.T) {
	type answer struct {
		what, body string
		code       int
	}
	got := make(chan answer, 4)
	serveListening = func(addr string, stop func()) {
		go func() {
			defer close(got) // the client's last answer is in
			url := "http://" + addr
			body, ctype := imageForm(t, "../../docs/digit-7.png")
			resp, err := http.Post(url+"/v1/predict", ctype, body)
			if err != nil {
				got <- answer{"predict", err.Error(), 0}
				stop()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got <- answer{"predict", string(b), resp.StatusCode}
			resp, err = http.Get(url + "/v1/model")
			if err == nil {
				b, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				got <- answer{"model", string(b), resp.StatusCode}
			}
			// A request in flight when SIGTERM arrives.
			body, ctype = imageForm(t, "../../docs/digit-7.png")
			pr, pw := io.Pipe()
			size := int64(body.Len())
			done := make(chan answer, 1)
			go func() {
				req, _ := http.NewRequest("POST", url+"/v1/predict", pr)
				req.Header.Set("Content-Type", ctype)
				req.ContentLength = size
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					done <- answer{"in flight", err.Error(), 0}
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				done <- answer{"in flight", string(b), resp.StatusCode}
			}()
			half := body.Len() / 2
			pw.Write(body.Next(half))
			time.Sleep(100 * time.Millisecond)
			syscall.Kill(os.Getpid(), syscall.SIGTERM)
			time.Sleep(100 * time.Millisecond)
			pw.Write(body.Bytes())
			pw.Close()
			got <- <-done
		}()
	}
	defer func() { serveListening = nil }()
	var out, errOut bytes.Buffer
	code := run([]string{"serve", "--addr", "127.0.0.1:0", "--model", exampleModel}, &out, &errOut)
	if code != 0 || errOut.Len() != 0 || !strings.HasPrefix(out.String(), "backprop serve: model "+exampleModel+" (784-32-10 relu, 25450 parameters): POST http://127.0.0.1:") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	var seen []string
	for a := range got {
		seen = append(seen, a.what)
		switch {
		case a.what == "predict" || a.what == "in flight":
			if a.code != 200 || !strings.HasPrefix(a.body, `{"predictions":[{"class":7,"label":"7","probabilities":[`) {
				t.Errorf("%s: %d %s", a.what, a.code, a.body)
			}
		case a.what == "model":
			if a.code != 200 || !strings.Contains(a.body, `"architecture":{"sizes":[784,32,10],"activation":"relu"}`) || !strings.Contains(a.body, `"image_shape":[28,28]`) {
				t.Errorf("model: %d %s", a.code, a.body)
			}
		}
	}
	if strings.Join(seen, ",") != "predict,model,in flight" {
		t.Errorf("answers %v", seen)
	}
}

func TestServeModelErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.safetensors")
	os.WriteFile(junk, []byte("junk"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--model", filepath.Join(dir, "none")}, "backprop serve: open " + filepath.Join(dir, "none") + ": no such file or directory\n"},
		{[]string{"serve", "--model", junk}, "backprop serve: safetensors: " + junk + ": offset 4: truncated header length\n"},
		{[]string{"serve", "--model", exampleModel, "--max-memory", "10KB"}, "backprop serve: safetensors: " + exampleModel + ": offset 8: header: reading 4 tensors of 99.4 KiB needs "},
		{[]string{"serve", "--max-memory", "lots"}, "backprop serve: --max-memory lots: want a size such as 2GB, 512MiB or 1.5G\n"},
	} {
		code, stdout, stderr := runArgs(c.args...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q, want %q", c.args, code, stdout, stderr, c.want)
		}
	}
}
