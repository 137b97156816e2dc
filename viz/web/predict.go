package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"runtime"
	"strings"
	"sync"

	"backprop/ag"
	"backprop/data/mnist"
	"backprop/nn"
	"backprop/tensor"
	"backprop/train"
)

// Limits of the prediction API. A batch of MaxBatch MNIST rows written
// with 8 significant digits is about 2 MB of JSON; images are decoded
// one at a time, and their size is read from their header before any
// pixel is.
const (
	MaxPredictBody = 8 << 20 // bytes of a POST /v1/predict body, JSON or images
	MaxBatch       = 256     // rows of one JSON request
	MaxImages      = 16      // images of one multipart request
	MaxImageSide   = 4096    // pixels along either side of an uploaded image
	MaxImagePixels = 4 << 20 // pixels of an uploaded image in all
)

// Config configures the server of NewWith and ServeWith.
type Config struct {
	// Model, if not nil, is served by POST /v1/predict and described by
	// GET /v1/model; with a model of 28×28 images the page has a "Draw a
	// digit" tab. It must not be trained while the server runs.
	Model *nn.Model
	// ModelFile names the model's file in GET /v1/model.
	ModelFile string
}

// NewWith returns the handler of the page with the API of cfg: New's
// routes, and
//
//	POST /v1/predict  class probabilities of a JSON batch {"inputs": [[…], …]}
//	                  of raw feature vectors, or of images (PNG, JPEG, GIF)
//	                  uploaded as multipart fields "image" or as the body
//	GET  /v1/model    the model: architecture, input shape, classes,
//	                  parameters, preprocessing, limits
//	GET  /healthz     {"status": "ok"}
//
// Errors are JSON objects {"error": "…"} with a 4xx status naming what
// was wrong (5xx only for a server busy or out of time). Predictions run
// in parallel on the shared model, each in a graph of its own, at most a
// few per core at once; a request that cannot start before its deadline
// is answered 503. Every request is answered within HandlerLimit.
func NewWith(cfg Config) http.Handler {
	return http.TimeoutHandler(newHandlerWith(cfg), HandlerLimit, `{"error": "the request took too long"}`)
}

// predictor runs the model for the API.
type predictor struct {
	model  *nn.Model
	file   string
	image  bool          // the model takes MNIST's 28×28 images
	data   string        // the data set it was trained on, which says how to read images
	slots  chan struct{} // one per prediction running
	graphs sync.Pool     // of *ag.Graph made with ag.NoGrad
	info   []byte        // the body of GET /v1/model
}

// Prediction is one row of the answer to POST /v1/predict.
type Prediction struct {
	Class         int       `json:"class"`
	Label         string    `json:"label"`
	Probabilities []float32 `json:"probabilities"`
}

// PredictResponse is the answer to POST /v1/predict.
type PredictResponse struct {
	Predictions []Prediction `json:"predictions"`
}

// ModelInfo is the answer to GET /v1/model.
type ModelInfo struct {
	File          string   `json:"file,omitempty"`
	Architecture  string   `json:"architecture"`
	InputShape    []int    `json:"input_shape"`
	ImageShape    []int    `json:"image_shape,omitempty"` // [28, 28] for a model of MNIST's images
	Classes       int      `json:"classes"`
	Labels        []string `json:"labels"`
	Parameters    int64    `json:"parameters"`
	Preprocessing struct {
		Mean float64 `json:"mean"`
		Std  float64 `json:"std"`
	} `json:"preprocessing"` // inputs become (x − mean)/std
	Dataset string `json:"dataset,omitempty"`
	Limits  struct {
		Body      int `json:"max_body_bytes"`
		Batch     int `json:"max_batch"`
		Images    int `json:"max_images"`
		ImageSide int `json:"max_image_side"`
	} `json:"limits"`
}

func newPredictor(cfg Config) *predictor {
	m := cfg.Model
	p := &predictor{model: m, file: cfg.ModelFile, image: m.Inputs() == mnist.Side*mnist.Side,
		slots: make(chan struct{}, 2*runtime.GOMAXPROCS(0))}
	p.graphs.New = func() any { return ag.NewGraph(ag.NoGrad) }
	info := ModelInfo{File: cfg.ModelFile, Architecture: m.Arch, InputShape: append([]int(nil), m.Shape...), Classes: m.Classes(),
		Parameters: m.Plan().NumParams()}
	info.Preprocessing.Mean, info.Preprocessing.Std = m.Input.Mean, m.Input.Std
	if p.image {
		info.ImageShape = []int{mnist.Side, mnist.Side}
	}
	for k := range m.Classes() {
		info.Labels = append(info.Labels, m.Label(k))
	}
	if d, err := train.DataOf(m); err == nil {
		info.Dataset, p.data = d.Name, d.Name
	}
	info.Limits.Body, info.Limits.Batch, info.Limits.Images, info.Limits.ImageSide = MaxPredictBody, MaxBatch, MaxImages, MaxImageSide
	p.info, _ = json.Marshal(info)
	return p
}

// routePredict adds the API of cfg to h.
func (h *Handler) routePredict(cfg Config) {
	if cfg.Model != nil {
		h.predict = newPredictor(cfg)
	}
	h.mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if !allow(w, r, "GET", "HEAD") {
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "model": h.predict != nil})
	})
	h.mux.HandleFunc("/v1/model", func(w http.ResponseWriter, r *http.Request) {
		if !allow(w, r, "GET", "HEAD") || !h.hasModel(w) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(h.predict.info)
	})
	h.mux.HandleFunc("/v1/predict", func(w http.ResponseWriter, r *http.Request) {
		if !allow(w, r, "POST") || !h.hasModel(w) {
			return
		}
		h.predict.serve(w, r)
	})
	h.mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no such endpoint %s: the API has POST /v1/predict and GET /v1/model", r.URL.Path))
	})
}

// allow answers 405 unless r's method is one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("method %s: %s takes %s", r.Method, r.URL.Path, strings.Join(methods, " or ")))
	return false
}

func (h *Handler) hasModel(w http.ResponseWriter) bool {
	if h.predict == nil {
		writeError(w, http.StatusNotFound, errors.New("no model is served: start the server with backprop serve --model FILE"))
		return false
	}
	return true
}

// requestError is a bad request: its status and what was wrong.
type requestError struct {
	status int
	err    error
}

func (e *requestError) Error() string { return e.err.Error() }

// badRequest formats the error of a bad request, unless one of a is the
// error of a body over its limit, which it returns as it is.
func badRequest(status int, format string, a ...any) error {
	for _, v := range a {
		var mb *http.MaxBytesError
		if err, ok := v.(error); ok && errors.As(err, &mb) {
			return mb
		}
	}
	return &requestError{status, fmt.Errorf(format, a...)}
}

// serve answers POST /v1/predict.
func (p *predictor) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) {
		var re *requestError
		if errors.As(err, &re) {
			writeError(w, re.status, re.err)
			return
		}
		writeError(w, http.StatusBadRequest, err)
	}
	if r.ContentLength > MaxPredictBody {
		fail(badRequest(http.StatusRequestEntityTooLarge, "request body of %d bytes, more than %d", r.ContentLength, MaxPredictBody))
		return
	}
	body := http.MaxBytesReader(w, r.Body, MaxPredictBody)
	x, err := p.decode(r.Header.Get("Content-Type"), body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			err = badRequest(http.StatusRequestEntityTooLarge, "request body over %d bytes", MaxPredictBody)
		}
		fail(err)
		return
	}
	probs, err := p.run(r.Context(), x)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	writeJSON(w, http.StatusOK, probs)
}

// decode reads the inputs of a request body of the given content type:
// a JSON batch, a multipart form of images or one image. The rows are raw
// inputs: the model applies its preprocessing itself.
func (p *predictor) decode(contentType string, body io.Reader) (*tensor.Tensor, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil && contentType != "" {
		return nil, badRequest(http.StatusUnsupportedMediaType, "content type %q: %v", contentType, err)
	}
	switch mt {
	case "application/json":
		return decodeInputs(body, p.model.Inputs())
	case "multipart/form-data":
		if !p.image {
			return nil, p.notImages()
		}
		return p.decodeMultipart(multipart.NewReader(body, params["boundary"]))
	case "image/png", "image/jpeg", "image/gif", "application/octet-stream":
		if !p.image {
			return nil, p.notImages()
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		x, err := p.decodeImage(b, "the image")
		if err != nil {
			return nil, err
		}
		return x, nil
	}
	return nil, badRequest(http.StatusUnsupportedMediaType,
		"content type %q: want application/json ({\"inputs\": [[...], ...]}), multipart/form-data with a field \"image\", or image/png, image/jpeg or image/gif", contentType)
}

func (p *predictor) notImages() error {
	return badRequest(http.StatusUnprocessableEntity, "the model takes %d inputs, not a %d×%d image: send JSON {\"inputs\": [[...], ...]}", p.model.Inputs(), mnist.Side, mnist.Side)
}

// decodeInputs reads {"inputs": [[…], …]}: one to MaxBatch rows of exactly
// features numbers each. Every row is checked as it is read, so that what
// it allocates is bounded by the body's size.
func decodeInputs(body io.Reader, features int) (*tensor.Tensor, error) {
	d := json.NewDecoder(body)
	bad := func(format string, a ...any) error {
		for i, v := range a {
			if v == io.EOF || v == io.ErrUnexpectedEOF {
				a[i] = errors.New("the body ends inside the object")
			}
		}
		return badRequest(http.StatusBadRequest, "bad JSON: "+format, a...)
	}
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, bad("want an object {\"inputs\": [[...], ...]}%s", tokenErr(err))
	}
	var rows []float32
	n, seen := 0, false
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, bad("%v", err)
		}
		if t != "inputs" || seen {
			return nil, bad("unexpected field %q: the object has one field, \"inputs\"", fmt.Sprint(t))
		}
		seen = true
		if t, err := d.Token(); err != nil || t != json.Delim('[') {
			return nil, bad("\"inputs\" must be a list of rows%s", tokenErr(err))
		}
		for d.More() {
			if n == MaxBatch {
				return nil, badRequest(http.StatusUnprocessableEntity, "more than %d rows: send at most %d per request", MaxBatch, MaxBatch)
			}
			var row []float32
			if err := d.Decode(&row); err != nil {
				return nil, bad("row %d: %v", n, err)
			}
			if len(row) != features {
				return nil, badRequest(http.StatusUnprocessableEntity, "row %d has %d numbers, the model takes %d", n, len(row), features)
			}
			rows = append(rows, row...)
			n++
		}
		if _, err := d.Token(); err != nil {
			return nil, bad("%v", err)
		}
	}
	if _, err := d.Token(); err != nil {
		return nil, bad("%v", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, bad("data after the object")
	}
	if n == 0 {
		return nil, badRequest(http.StatusUnprocessableEntity, "no inputs: want {\"inputs\": [[...], ...]} with at least one row")
	}
	return tensor.FromSlice(rows, n, features), nil
}

func tokenErr(err error) string {
	if err == nil || err == io.EOF {
		return ""
	}
	return ": " + err.Error()
}

// decodeMultipart reads the fields "image" of a multipart form, one to
// MaxImages, each an image read as the model's data set made its images.
func (p *predictor) decodeMultipart(mr *multipart.Reader) (*tensor.Tensor, error) {
	var rows []*tensor.Tensor
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, badRequest(http.StatusBadRequest, "multipart body: %v", err)
		}
		if part.FormName() != "image" {
			return nil, badRequest(http.StatusBadRequest, "unexpected field %q: send the images as fields named \"image\"", part.FormName())
		}
		if len(rows) == MaxImages {
			return nil, badRequest(http.StatusUnprocessableEntity, "more than %d images: send at most %d per request", MaxImages, MaxImages)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("image %d", len(rows)+1)
		if fn := part.FileName(); fn != "" {
			name = fmt.Sprintf("image %d (%.64q)", len(rows)+1, fn)
		}
		x, err := p.decodeImage(b, name)
		if err != nil {
			return nil, err
		}
		rows = append(rows, x)
	}
	if len(rows) == 0 {
		return nil, badRequest(http.StatusBadRequest, "no field \"image\" in the form")
	}
	return tensor.Concat(0, rows...), nil
}

// decodeImage decodes an uploaded PNG, JPEG or GIF of at most
// MaxImageSide pixels a side and MaxImagePixels in all (read from its
// header first) and turns it into a [1, 784] row as the model's data set
// made its images (mnist.FromImageFor: MNIST's digits, Fashion-MNIST's
// clothes); name is for errors.
func (p *predictor) decodeImage(b []byte, name string) (*tensor.Tensor, error) {
	if len(b) == 0 {
		return nil, badRequest(http.StatusBadRequest, "%s is empty: want a PNG, JPEG or GIF image", name)
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(b)); err == nil &&
		(cfg.Width > MaxImageSide || cfg.Height > MaxImageSide || cfg.Width*cfg.Height > MaxImagePixels) {
		return nil, badRequest(http.StatusRequestEntityTooLarge, "%s: %d×%d pixels: too large (at most %d a side and %d in all)",
			name, cfg.Width, cfg.Height, MaxImageSide, MaxImagePixels)
	}
	img, err := mnist.DecodeImage(b, name)
	if err != nil {
		return nil, badRequest(http.StatusBadRequest, "%v", err)
	}
	x, err := mnist.FromImageFor(p.data, img)
	if err != nil {
		return nil, badRequest(http.StatusUnprocessableEntity, "%s: %v", name, err)
	}
	return x, nil
}

// run classifies the raw rows x in a graph of its own once a slot is
// free, or returns an error when ctx ends first.
func (p *predictor) run(ctx context.Context, x *tensor.Tensor) (*PredictResponse, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, errors.New("the server is busy: try again")
	}
	defer func() { <-p.slots }()
	if ctx.Err() != nil {
		return nil, errors.New("the request took too long")
	}
	g := p.graphs.Get().(*ag.Graph)
	defer func() {
		g.Reset()
		p.graphs.Put(g)
	}()
	probs := tensor.Softmax(p.model.Forward(g.Const(x)).Value, 1)
	resp := &PredictResponse{Predictions: make([]Prediction, x.Dim(0))}
	classes := probs.Dim(1)
	for i, best := range tensor.ArgMax(probs, 1) {
		row := make([]float32, classes)
		for k := range row {
			row[k] = float32(probs.At(i, k))
		}
		resp.Predictions[i] = Prediction{Class: best, Label: p.model.Label(best), Probabilities: row}
	}
	return resp, nil
}
