package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"backprop/data/mnist"
	"backprop/nn"
	"backprop/tensor"
)

// The model of the tests: 784-32-10 trained on MNIST, with its
// standardisation in its file (nn's example model).
const testModel = "../../nn/testdata/mnist-784-32-10.safetensors"

var (
	modelOnce sync.Once
	mnistNet  *nn.Model
)

func mnistModel(t testing.TB) *nn.Model {
	t.Helper()
	modelOnce.Do(func() {
		m, err := nn.Load(testModel)
		if err != nil {
			t.Fatal(err)
		}
		mnistNet = m
	})
	if mnistNet == nil {
		t.Fatal("no model")
	}
	return mnistNet
}

// spiralModel is a model of 2 inputs and 3 classes, which takes no images.
func spiralModel(t testing.TB) *nn.Model {
	m, err := nn.NewModel(nn.MLP(nn.Spec{Sizes: []int{2, 8, 3}}, rand.New(rand.NewPCG(1, 1))), nn.Standardization{}, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// digit7 is the photo of a handwritten 7 in docs/.
func digit7(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../../docs/digit-7.png")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pngOf encodes a w×h white image with a dark vertical stroke.
func pngOf(w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := h / 5; y < 4*h/5; y++ {
		for x := w/2 - max(1, w/30); x <= w/2+max(1, w/30); x++ {
			img.SetGray(x, y, color.Gray{0})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// withSize returns the PNG p with its header claiming w×h pixels, its CRC
// right.
func withSize(p []byte, w, h uint32) []byte {
	p = bytes.Clone(p)
	binary.BigEndian.PutUint32(p[16:], w)
	binary.BigEndian.PutUint32(p[20:], h)
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	return p
}

// form returns a multipart body with the given fields and its content type.
func form(fields ...[2]string) (string, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		w, _ := mw.CreateFormFile(f[0], f[0]+".png")
		w.Write([]byte(f[1]))
	}
	mw.Close()
	return b.String(), mw.FormDataContentType()
}

// send posts body to h and returns the status and body.
func send(h http.Handler, method, path, ctype, body string) (int, string) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

// inputsJSON writes rows as a request body.
func inputsJSON(rows [][]float32) string {
	b, _ := json.Marshal(map[string]any{"inputs": rows})
	return string(b)
}

func predictions(t *testing.T, body string) []Prediction {
	t.Helper()
	var r PredictResponse
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("%v: %.200s", err, body)
	}
	return r.Predictions
}

// A batch of raw feature vectors gets the model's own predictions (its
// standardisation applied), in order, with labels and probabilities.
func TestPredictJSON(t *testing.T) {
	m := mnistModel(t)
	h := NewWith(Config{Model: m})
	img, err := mnist.DecodeImage(digit7(t), "7")
	if err != nil {
		t.Fatal(err)
	}
	seven, _ := mnist.FromImage(img)
	rng := rand.New(rand.NewPCG(1, 2))
	rows := [][]float32{seven.Float32s(), tensor.Rand(rng, tensor.Float32, 784).Float32s(), make([]float32, 784)}
	code, body := send(h, "POST", "/v1/predict", "application/json", inputsJSON(rows))
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	got := predictions(t, body)
	x := tensor.New(tensor.Float32, 3, 784)
	for i, r := range rows {
		copy(x.Float32s()[i*784:], r)
	}
	want := m.Predict(x)
	if len(got) != 3 || got[0].Class != 7 || got[0].Label != "7" {
		t.Fatalf("predictions %+v", got)
	}
	for i, p := range got {
		if p.Class != tensor.ArgMax(want, 1)[i] || len(p.Probabilities) != 10 {
			t.Errorf("row %d: %+v", i, p)
		}
		for k, v := range p.Probabilities {
			if v != float32(want.At(i, k)) {
				t.Errorf("row %d, class %d: probability %v, the model gives %v", i, k, v, want.At(i, k))
			}
		}
	}
	// Labels come from the model; a model of 2 inputs takes 2 numbers.
	code, body = send(NewWith(Config{Model: spiralModel(t)}), "POST", "/v1/predict", "application/json", `{"inputs": [[0.1, -0.5]]}`)
	if code != 200 || len(predictions(t, body)) != 1 || !strings.Contains(body, `"label":"`) {
		t.Errorf("spiral: %d %s", code, body)
	}
}

// Images are read as MNIST made its digits, from a multipart form (one
// or several fields "image") or from the body itself.
func TestPredictImage(t *testing.T) {
	h := NewWith(Config{Model: mnistModel(t)})
	seven := string(digit7(t))
	body, ctype := form([2]string{"image", seven})
	code, resp := send(h, "POST", "/v1/predict", ctype, body)
	if p := predictions(t, resp); code != 200 || len(p) != 1 || p[0].Class != 7 {
		t.Errorf("multipart: %d %s", code, resp)
	}
	body, ctype = form([2]string{"image", seven}, [2]string{"image", string(pngOf(60, 80))}, [2]string{"image", seven})
	code, resp = send(h, "POST", "/v1/predict", ctype, body)
	if p := predictions(t, resp); code != 200 || len(p) != 3 || p[0].Class != 7 || p[2].Class != 7 || p[1].Class != 1 {
		t.Errorf("three images: %d %s", code, resp)
	}
	for _, ct := range []string{"image/png", "application/octet-stream"} {
		code, resp = send(h, "POST", "/v1/predict", ct, seven)
		if p := predictions(t, resp); code != 200 || len(p) != 1 || p[0].Class != 7 || p[0].Label != "7" {
			t.Errorf("raw body as %s: %d %s", ct, code, resp)
		}
	}
}

func TestModelInfoAndHealth(t *testing.T) {
	h := NewWith(Config{Model: mnistModel(t), ModelFile: "m.safetensors"})
	code, body := send(h, "GET", "/v1/model", "", "")
	var info ModelInfo
	if err := json.Unmarshal([]byte(body), &info); err != nil || code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if info.File != "m.safetensors" || info.Architecture.String() != `{"sizes":[784,32,10],"activation":"relu"}` || fmt.Sprint(info.InputShape) != "[784]" ||
		fmt.Sprint(info.ImageShape) != "[28 28]" || info.Classes != 10 || len(info.Labels) != 10 || info.Labels[3] != "3" ||
		info.Parameters != 784*32+32+32*10+10 || info.Preprocessing.Std == 1 || info.Preprocessing.Mean == 0 || info.Dataset != "mnist" || info.Limits.Batch != MaxBatch {
		t.Errorf("model info %s", body)
	}
	if code, body := send(NewWith(Config{Model: spiralModel(t)}), "GET", "/v1/model", "", ""); code != 200 || strings.Contains(body, "image_shape") {
		t.Errorf("a model without images: %d %s", code, body)
	}
	for _, hh := range []http.Handler{h, New()} {
		if code, body := send(hh, "GET", "/healthz", "", ""); code != 200 || !strings.HasPrefix(body, `{"model":`) || !strings.Contains(body, `"status":"ok"`) {
			t.Errorf("healthz: %d %s", code, body)
		}
	}
}

// Every bad request gets a 4xx JSON error that names what was wrong.
func TestPredictErrors(t *testing.T) {
	h := NewWith(Config{Model: mnistModel(t)})
	row := "[" + strings.Repeat("0,", 783) + "0]"
	rows := func(n int) string { return `{"inputs": [` + strings.Repeat(row+",", n-1) + row + `]}` }
	seven := string(digit7(t))
	tooMany := make([][2]string, MaxImages+1)
	for i := range tooMany {
		tooMany[i] = [2]string{"image", string(pngOf(20, 20))}
	}
	manyBody, manyType := form(tooMany...)
	wrongBody, wrongType := form([2]string{"picture", seven})
	badBody, badType := form([2]string{"image", "not an image"})
	huge := withSize(pngOf(28, 28), 5000, 5000)
	wide := withSize(pngOf(28, 28), 3000, 2000)
	hugeBody, hugeType := form([2]string{"image", string(huge)})
	blank := pngOf(1, 1)
	for _, c := range []struct {
		h                   http.Handler
		method, ctype, body string
		code                int
		msg                 string
	}{
		{h, "GET", "", "", 405, "method GET: /v1/predict takes POST"},
		{New(), "POST", "application/json", rows(1), 404, "no model is served: start the server with backprop serve --model FILE"},
		{h, "POST", "text/plain", "hi", 415, `content type "text/plain": want application/json`},
		{h, "POST", "", "hi", 415, `content type "": want application/json`},
		{h, "POST", "application/json; charset", "{}", 415, `content type "application/json; charset": mime: invalid media parameter`},
		{h, "POST", "application/json", `[]`, 400, `bad JSON: want an object {"inputs": [[...], ...]}`},
		{h, "POST", "application/json", `{"rows": []}`, 400, `bad JSON: unexpected field "rows": the object has one field, "inputs"`},
		{h, "POST", "application/json", `{"inputs": [], "inputs": []}`, 400, `unexpected field "inputs"`},
		{h, "POST", "application/json", `{"inputs": 3}`, 400, `bad JSON: "inputs" must be a list of rows`},
		{h, "POST", "application/json", `{"inputs": [[1, "a"]]}`, 400, `bad JSON: row 0: json: cannot unmarshal string`},
		{h, "POST", "application/json", `{"inputs": [[1e400]]}`, 400, `bad JSON: row 0:`},
		{h, "POST", "application/json", `{"inputs": [` + row + `, [1, 2]]}`, 422, "row 1 has 2 numbers, the model takes 784"},
		{h, "POST", "application/json", `{"inputs": []}`, 422, "no inputs: want"},
		{h, "POST", "application/json", `{}`, 422, "no inputs: want"},
		{h, "POST", "application/json", rows(MaxBatch + 1), 422, "more than 256 rows: send at most 256 per request"},
		{h, "POST", "application/json", rows(1) + " {}", 400, "bad JSON: data after the object"},
		{h, "POST", "application/json", `{"inputs": [` + row, 400, "bad JSON: the body ends inside the object"},
		{h, "POST", "application/json", `{"inputs": [` + strings.Repeat(" ", MaxPredictBody) + `]}`, 413, "request body of 8388622 bytes, more than 8388608"},
		{h, "POST", wrongType, wrongBody, 400, `unexpected field "picture": send the images as fields named "image"`},
		{h, "POST", manyType, manyBody, 422, "more than 16 images: send at most 16 per request"},
		{h, "POST", badType, badBody, 400, `image 1 ("image.png"): image: unknown format (want a PNG, JPEG or GIF image)`},
		{h, "POST", hugeType, hugeBody, 413, `image 1 ("image.png"): 5000×5000 pixels: too large (at most 4096 a side and 4194304 in all)`},
		{h, "POST", "image/png", string(wide), 413, "the image: 3000×2000 pixels: too large"},
		{h, "POST", "image/png", string(blank), 422, "the image: no digit in the image: it is all one shade"},
		{h, "POST", "image/png", "", 400, "the image is empty: want a PNG, JPEG or GIF image"},
		{h, "POST", "image/gif", seven[:100], 400, "the image: png: invalid format: not enough pixel data"},
		{h, "POST", "multipart/form-data; boundary=x", "--x\r\nbroken", 400, "multipart body:"},
		{h, "POST", "multipart/form-data; boundary=x", "--x--\r\n", 400, `no field "image" in the form`},
		{NewWith(Config{Model: spiralModel(t)}), "POST", "image/png", seven, 422, "the model takes 2 inputs, not a 28×28 image: send JSON"},
	} {
		code, body := send(c.h, c.method, "/v1/predict", c.ctype, c.body)
		var e struct{ Error string }
		if code != c.code || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, c.msg) {
			t.Errorf("%s %s %.60q:\n got %d %s\nwant %d %q", c.method, c.ctype, c.body, code, body, c.code, c.msg)
		}
	}
	for _, c := range []struct {
		method, path string
		code         int
		msg          string
	}{
		{"POST", "/v1/model", 405, "method POST: /v1/model takes GET or HEAD"},
		{"DELETE", "/healthz", 405, "takes GET or HEAD"},
		{"GET", "/v1/models", 404, "no such endpoint /v1/models"},
		{"GET", "/v1/", 404, "no such endpoint /v1/"},
	} {
		code, body := send(h, c.method, c.path, "", "")
		if code != c.code || !strings.Contains(body, c.msg) || !strings.HasPrefix(body, `{"error":`) {
			t.Errorf("%s %s: %d %s", c.method, c.path, code, body)
		}
	}
	if code, body := send(New(), "GET", "/v1/model", "", ""); code != 404 || !strings.Contains(body, "no model is served") {
		t.Errorf("GET /v1/model without a model: %d %s", code, body)
	}
	bigBody, bigType := form([2]string{"image", strings.Repeat("x", MaxPredictBody)})
	// A body announced larger than the limit is refused before it is read;
	// one of unknown length once it passes the limit.
	req := httptest.NewRequest("POST", "/v1/predict", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = MaxPredictBody + 1
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 413 || !strings.Contains(w.Body.String(), "request body of 8388609 bytes, more than 8388608") {
		t.Errorf("Content-Length over the limit: %d %s", w.Code, w.Body.String())
	}
	for ctype, body := range map[string]string{
		"application/json": `{"inputs": [` + strings.Repeat(" ", MaxPredictBody) + `]}`,
		"image/png":        string(seven) + strings.Repeat("\x00", MaxPredictBody),
		bigType:            bigBody,
	} {
		req := httptest.NewRequest("POST", "/v1/predict", io.MultiReader(strings.NewReader(body)))
		req.Header.Set("Content-Type", ctype)
		req.ContentLength = -1
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 413 || w.Body.String() != `{"error":"request body over 8388608 bytes"}`+"\n" {
			t.Errorf("%s body of unknown length over the limit: %d %s", ctype, w.Code, w.Body.String())
		}
	}
}

// Many clients at once on one model get exactly the answers of one
// client alone; under the race detector they share nothing mutable.
func TestPredictConcurrent(t *testing.T) {
	srv := httptest.NewServer(NewWith(Config{Model: mnistModel(t)}))
	defer srv.Close()
	rng := rand.New(rand.NewPCG(3, 3))
	bodies := make([]string, 8)
	want := make([]string, 8)
	for i := range bodies {
		bodies[i] = inputsJSON([][]float32{tensor.Rand(rng, tensor.Float32, 784).Float32s(), tensor.Rand(rng, tensor.Float32, 784).Float32s()})
		_, want[i] = send(NewWith(Config{Model: mnistModel(t)}), "POST", "/v1/predict", "application/json", bodies[i])
	}
	seven := digit7(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for c := range 16 {
		wg.Go(func() {
			for k := range 10 {
				i := (c + k) % 8
				var resp *http.Response
				var err error
				if c%4 == 3 {
					resp, err = http.Post(srv.URL+"/v1/predict", "image/png", bytes.NewReader(seven))
				} else {
					resp, err = http.Post(srv.URL+"/v1/predict", "application/json", strings.NewReader(bodies[i]))
				}
				if err != nil {
					errs <- err
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if c%4 == 3 {
					if !strings.HasPrefix(string(b), `{"predictions":[{"class":7,`) {
						errs <- fmt.Errorf("image: %s", b)
					}
				} else if string(b) != want[i] {
					errs <- fmt.Errorf("a concurrent answer differs from the serial one:\n%.200s\n%.200s", b, want[i])
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// The request decoders never panic, and what they accept has the shape
// the model takes.
func FuzzDecodeInputs(f *testing.F) {
	for _, s := range []string{`{"inputs": [[1, 2, 3]]}`, `{"inputs": [[1,2,3],[4,5,6]]}`, `{"inputs": []}`, `{"inputs": [[1e400, 0, 0]]}`,
		`{"inputs": [[1, 2]]}`, `{"inputs": [[1,2,3]]}{}`, `{"inputs": [[1,2,3]], "x": 1}`, `{"inputs": [[null, null, null]]}`, `[`, `{"inputs": [[`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := decodeInputs(bytes.NewReader(b), 3)
		if err == nil && (x.Dims() != 2 || x.Dim(1) != 3 || x.Dim(0) < 1 || x.Dim(0) > MaxBatch) {
			t.Fatalf("%q: shape %v", b, x.Shape())
		}
	})
}

// Whatever arrives at POST /v1/predict — any content type, any body — the
// answer is JSON: predictions, or an error with a 4xx status.
func FuzzPredictRequest(f *testing.F) {
	seven, _ := os.ReadFile("../../docs/digit-7.png")
	body, ctype := form([2]string{"image", string(pngOf(30, 30))})
	for _, s := range [][2]string{
		{"application/json", `{"inputs": [[0.5, 0.1]]}`},
		{"application/json", `{"inputs": [[0.5]]}`},
		{"image/png", string(seven)},
		{"image/png", string(withSize(pngOf(28, 28), 1<<30, 1<<30))},
		{"image/gif", "GIF89a"},
		{"image/jpeg", "\xff\xd8\xff"},
		{ctype, body},
		{"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\n\x89PNG\r\n--x--"},
		{"multipart/form-data", ""},
		{"text/plain", ""},
	} {
		f.Add(s[0], []byte(s[1]))
	}
	img := NewWith(Config{Model: mnistModel(f)})
	flat := NewWith(Config{Model: spiralModel(f)})
	f.Fuzz(func(t *testing.T, ctype string, b []byte) {
		for _, h := range []http.Handler{img, flat} {
			req := httptest.NewRequest("POST", "/v1/predict", bytes.NewReader(b))
			req.Header.Set("Content-Type", ctype)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			var r struct {
				Error       *string
				Predictions []Prediction
			}
			if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
				t.Fatalf("%q: not JSON: %d %s", ctype, w.Code, w.Body.String())
			}
			if ok := w.Code == 200 && r.Error == nil && len(r.Predictions) > 0; !ok && (w.Code/100 != 4 || r.Error == nil || *r.Error == "") {
				t.Fatalf("%q: %d %s", ctype, w.Code, w.Body.String())
			}
		}
	})
}

// The drawing tab's assets are served and, like the rest of the page,
// need nothing from outside.
func TestDrawAssets(t *testing.T) {
	for path, want := range map[string]string{"/static/draw.js": `fetch("/v1/predict"`, "/static/draw.css": "#draw-canvas", "/": `<script src="/static/draw.js" defer>`} {
		code, body := send(New(), "GET", path, "", "")
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d, body lacks %q", path, code, want)
		}
	}
	for _, f := range []string{"draw.js", "draw.css"} {
		b, _ := static.ReadFile("static/" + f)
		if strings.Contains(string(b), "http://") || strings.Contains(string(b), "https://") {
			t.Errorf("%s refers to an outside URL", f)
		}
	}
}

// When every prediction slot stays taken until a request's deadline, the
// request is answered 503 "busy" rather than queued without end.
func TestPredictBusy(t *testing.T) {
	h := newHandlerWith(Config{Model: mnistModel(t)})
	for range cap(h.predict.slots) {
		h.predict.slots <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, "POST", "/v1/predict", strings.NewReader(string(digit7(t))))
	req.Header.Set("Content-Type", "image/png")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 503 || w.Body.String() != `{"error":"the server is busy: try again"}`+"\n" {
		t.Errorf("all slots taken: %d %s", w.Code, w.Body.String())
	}
	<-h.predict.slots
	code, body := send(h, "POST", "/v1/predict", "image/png", string(digit7(t)))
	if code != 200 {
		t.Errorf("a slot free again: %d %s", code, body)
	}
}
