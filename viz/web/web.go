package web

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"backprop/ag"
	"backprop/expr"
	"backprop/tensor"
	"backprop/viz"
)

//go:embed static
var static embed.FS

// Limits on what a request may ask for.
const (
	MaxBody      = 64 << 10 // bytes of a request body
	MaxExpr      = 500      // bytes of an expression
	MaxVars      = 32       // variables of an expression
	MaxValue     = 4 << 10  // bytes of one value
	MaxElements  = 4096     // elements of one value
	MaxComputed  = 1 << 20  // elements of all the values an expression computes (broadcasting can make far more than its inputs)
	MaxGates     = 200      // gates of a graph drawn in the page
	MaxLayout    = 1000     // layout cost of a graph drawn in the page (viz.Graph.LayoutCost): at most 0.45 s, measured in BENCHMARKS.md
	MaxSessions  = 4        // training sessions kept at once
	MaxSteps     = 50       // training steps per request
	MaxTotal     = 20000    // training steps of one session
	MaxHidden    = 256      // hidden units of the spiral network
	HandlerLimit = 10 * time.Second
)

// Handler serves the page and its API. Requests share nothing but the
// table of training sessions, whose lock is held only to find or add a
// session (each session has a lock of its own for its steps): graphs,
// layouts, training steps and predictions of different requests run at
// once.
type Handler struct {
	mux      *http.ServeMux
	mu       sync.Mutex // guards sessions
	sessions map[string]*session
	predict  *predictor // nil without a model
}

// New returns the handler of the page: / and /static/ for the page,
// POST /api/graph for a graph and its steps, POST /api/train for the
// training view. Every request is answered within HandlerLimit.
func New() http.Handler { return NewWith(Config{}) }

func newHandler() *Handler { return newHandlerWith(Config{}) }

func newHandlerWith(cfg Config) *Handler {
	h := &Handler{mux: http.NewServeMux(), sessions: map[string]*session{}}
	sub, _ := fs.Sub(static, "static")
	files := http.FileServerFS(sub)
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", files))
	h.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		b, _ := fs.ReadFile(sub, "index.html")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
	})
	h.mux.HandleFunc("POST /api/graph", h.graph)
	h.mux.HandleFunc("POST /api/train", h.train)
	h.routePredict(cfg)
	return h
}

// ServeHTTP adds the security headers and serves the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
	hd.Set("Referrer-Policy", "no-referrer")
	h.mux.ServeHTTP(w, r)
}

// Serve serves New() on l with timeouts on every phase of a request, and
// shuts down gracefully when ctx is done.
func Serve(ctx context.Context, l net.Listener) error { return ServeWith(ctx, l, Config{}) }

// ServeWith serves NewWith(cfg) on l with timeouts on every phase of a
// request. When ctx is done it stops accepting connections, lets the
// requests in flight finish (each is bounded by HandlerLimit) and returns.
func ServeWith(ctx context.Context, l net.Listener, cfg Config) error {
	srv := &http.Server{
		Handler:           NewWith(cfg),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      HandlerLimit + 5*time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), HandlerLimit+5*time.Second)
		defer cancel()
		done <- srv.Shutdown(sctx)
	}()
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return <-done
	}
	return err
}

// readJSON decodes the body of r into v, refusing bodies over MaxBody,
// unknown fields and trailing data.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("content type %q, want application/json", ct)
	}
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return fmt.Errorf("request body over %d bytes", MaxBody)
		}
		return fmt.Errorf("bad JSON: %v", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("bad JSON: data after the object")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// GraphRequest is the body of POST /api/graph.
type GraphRequest struct {
	Expr string `json:"expr"`
	// Values maps each variable to its value as text: a number or a
	// nested list.
	Values map[string]string `json:"values"`
}

// GraphNode is one Var of the graph, in topological order.
type GraphNode struct {
	ID      string   `json:"id"`   // the SVG group of the node
	Wire    string   `json:"wire"` // the SVG group of its wire, "" for a constant
	Kind    string   `json:"kind"` // "input", "const" or "gate"
	Label   string   `json:"label"`
	Gate    string   `json:"gate,omitempty"`
	Pattern string   `json:"pattern,omitempty"`
	Inputs  []string `json:"inputs,omitempty"` // IDs of the inputs
	Value   string   `json:"value"`
	Grad    string   `json:"grad"`
}

// Step is one gate of the forward or the backward pass.
type Step struct {
	Pass string `json:"pass"` // "forward" or "backward"
	Node string `json:"node"` // the gate's ID
	// Forward: the output's value. Backward: the upstream gradient
	// ∂L/∂out, and for each input the local gradient ∂out/∂in (the
	// gate's backward pass applied to ones), the product sent back, the
	// input's gradient summed before this step ("" for the first
	// contribution; where a value fans out, the later ones add to it)
	// and summed so far.
	Value      string   `json:"value,omitempty"`
	Upstream   string   `json:"upstream,omitempty"`
	Local      []string `json:"local,omitempty"`
	Product    []string `json:"product,omitempty"`
	GradBefore []string `json:"grad_before,omitempty"`
	GradSoFar  []string `json:"grad_so_far,omitempty"`
}

// GraphResponse is the answer to POST /api/graph.
type GraphResponse struct {
	SVG   string            `json:"svg"`
	Value string            `json:"value"`
	Grads map[string]string `json:"grads"`
	Names []string          `json:"names"` // the variables, sorted
	Nodes []GraphNode       `json:"nodes"`
	Steps []Step            `json:"steps"`
}

func (h *Handler) graph(w http.ResponseWriter, r *http.Request) {
	var req GraphRequest
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	resp, err := h.buildGraph(r.Context(), &req)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// buildGraph evaluates the request's expression, runs the backward pass
// and collects the picture and the steps.
func (h *Handler) buildGraph(ctx context.Context, req *GraphRequest) (resp *GraphResponse, err error) {
	if len(req.Expr) > MaxExpr {
		return nil, fmt.Errorf("expression of %d bytes, more than %d", len(req.Expr), MaxExpr)
	}
	if len(req.Values) > MaxVars {
		return nil, fmt.Errorf("%d variables, more than %d", len(req.Values), MaxVars)
	}
	node, err := expr.Parse(req.Expr)
	if err != nil {
		return nil, fmt.Errorf("expression: %v", err)
	}
	used := expr.Names(node)
	for _, name := range used {
		if _, ok := req.Values[name]; !ok {
			return nil, fmt.Errorf("no value for %s", name)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			if te, ok := r.(*tensor.Error); ok {
				resp, err = nil, te
				return
			}
			panic(r)
		}
	}()
	env := map[string]*ag.Var{}
	names := map[*ag.Var]string{}
	var sorted []string
	for _, name := range used {
		text := req.Values[name]
		if len(text) > MaxValue {
			return nil, fmt.Errorf("value of %s: %d bytes, more than %d", name, len(text), MaxValue)
		}
		t, err := expr.ParseValue(text, tensor.Float64)
		if err != nil {
			return nil, fmt.Errorf("value of %s: %v", name, err)
		}
		if t.Len() > MaxElements {
			return nil, fmt.Errorf("value of %s: %d elements, more than %d", name, t.Len(), MaxElements)
		}
		v := ag.Param(t)
		env[name], names[v] = v, name
		sorted = append(sorted, name)
	}
	sort.Strings(sorted)
	for name := range req.Values {
		if env[name] == nil {
			return nil, fmt.Errorf("variable %s is not used in the expression", name)
		}
	}
	shapes := make(map[string][]int, len(env))
	for name, v := range env {
		shapes[name] = v.Value.Shape()
	}
	if c := expr.Measure(node, shapes); c.Elements > MaxComputed {
		return nil, fmt.Errorf("the expression computes %d elements (%v at column %d), more than %d", c.Elements, c.Shape, c.Largest.Pos(), MaxComputed)
	}
	y, err := expr.Eval(node, env, tensor.Float64)
	if err != nil {
		return nil, err
	}
	if y.Value.Len() != 1 {
		return nil, fmt.Errorf("output has shape %v, not a scalar; wrap it in sum(...)", y.Shape())
	}
	// The engine runs the backward pass and reports every gate it runs;
	// the page steps through these reports in the same order.
	var visits []visit
	if y.RequiresGrad() {
		sums := map[*ag.Var]*tensor.Tensor{}
		ag.Backward(y, ag.KeepGraph(), ag.Trace(func(v ag.Visit) { visits = append(visits, record(v, sums)) }))
	}
	// The layout's cost is bounded before it starts (see
	// viz.Graph.LayoutCost), and it runs in a worker process that is
	// killed if the request times out (viz.Graph.SVGApart).
	g, err := viz.Build(y, &viz.Options{Names: names, MaxGates: MaxGates, MaxLayout: MaxLayout})
	if err != nil {
		return nil, err
	}
	svg, err := g.SVGApart(ctx)
	if err != nil {
		return nil, err
	}
	resp = &GraphResponse{SVG: string(svg), Value: viz.Number(y.Item()), Grads: map[string]string{}, Names: sorted}
	for _, name := range sorted {
		resp.Grads[name] = viz.Format(gradOf(env[name]))
	}
	kinds := map[viz.Kind]string{viz.Input: "input", viz.Const: "const", viz.Op: "gate"}
	for i, n := range g.Nodes {
		gn := GraphNode{ID: n.ID, Wire: "w" + n.ID[1:], Kind: kinds[n.Kind], Label: n.Label,
			Gate: n.Gate, Pattern: n.Pattern, Value: viz.Format(n.Var.Value), Grad: viz.Format(gradOf(n.Var))}
		if n.Kind == viz.Const && i != g.Output {
			gn.Wire = ""
		}
		for _, in := range n.Inputs {
			gn.Inputs = append(gn.Inputs, g.Nodes[in].ID)
		}
		resp.Nodes = append(resp.Nodes, gn)
	}
	resp.Steps = steps(g, visits)
	return resp, nil
}

// gradOf returns v's gradient, or zeros where none reached a Var that
// requires one.
func gradOf(v *ag.Var) *tensor.Tensor {
	if v.Grad == nil && v.RequiresGrad() {
		return tensor.New(v.DType(), v.Shape()...)
	}
	return v.Grad
}

// A visit is what the page shows of one gate of the backward pass, as the
// engine reported it (ag.Trace).
type visit struct {
	v                                     *ag.Var
	upstream                              string
	local, product, gradBefore, gradSoFar []string
}

// record formats a gate the engine has just run backward: the upstream
// gradient, what it sent to each input, the gate's local gradients (its
// backward pass applied to ones) and each input's gradient summed so far,
// one contribution after the other (sums holds the running sums), so that
// a fan-out shows the second contribution adding to the first.
func record(v ag.Visit, sums map[*ag.Var]*tensor.Tensor) visit {
	r := visit{v: v.Var, upstream: viz.Format(v.Var.Grad)}
	for i, in := range v.Var.Inputs() {
		var p *tensor.Tensor
		before := ""
		if i < len(v.Grads) && v.Grads[i] != nil {
			p = v.Grads[i]
			before = viz.Format(sums[in])
			if sums[in] == nil {
				sums[in] = p.Clone()
			} else {
				sums[in] = tensor.Add(sums[in], p)
			}
		}
		r.product = append(r.product, viz.Format(p))
		r.gradBefore = append(r.gradBefore, before)
		sofar := sums[in]
		if p == nil {
			sofar = nil
		}
		r.gradSoFar = append(r.gradSoFar, viz.Format(sofar))
	}
	// After the formatting: running the gate again may reuse the storage
	// its gradients came in.
	for i, l := range ag.LocalGradients(v.Var) {
		if i < len(v.Grads) && v.Grads[i] == nil {
			l = nil
		}
		r.local = append(r.local, viz.Format(l))
	}
	return r
}

// steps lists the forward pass, gate by gate in topological order, then
// the backward pass in the order the engine ran it.
func steps(g *viz.Graph, visits []visit) []Step {
	var out []Step
	id := map[*ag.Var]string{}
	for _, n := range g.Nodes {
		id[n.Var] = n.ID
		if n.Kind == viz.Op {
			out = append(out, Step{Pass: "forward", Node: n.ID, Value: viz.Format(n.Var.Value)})
		}
	}
	for _, v := range visits {
		out = append(out, Step{Pass: "backward", Node: id[v.v], Upstream: v.upstream,
			Local: v.local, Product: v.product, GradBefore: v.gradBefore, GradSoFar: v.gradSoFar})
	}
	return out
}

// newID returns a random session identifier.
func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
