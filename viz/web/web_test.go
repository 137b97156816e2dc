package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// call sends a request to the handler and returns the status and body.
func call(t *testing.T, method, path, contentType, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	New().ServeHTTP(w, req)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b)
}

func TestPage(t *testing.T) {
	for _, c := range []struct{ path, want, ctype string }{
		{"/", `<script src="/static/app.js"`, "text/html"},
		{"/static/app.js", "function render(k)", "javascript"},
		{"/static/style.css", ".graph", "text/css"},
	} {
		req := httptest.NewRequest("GET", c.path, nil)
		w := httptest.NewRecorder()
		New().ServeHTTP(w, req)
		if w.Code != 200 || !strings.Contains(w.Body.String(), c.want) || !strings.Contains(w.Header().Get("Content-Type"), c.ctype) {
			t.Errorf("GET %s: %d %q, body lacks %q", c.path, w.Code, w.Header().Get("Content-Type"), c.want)
		}
		if !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("GET %s: no CSP", c.path)
		}
	}
	if code, _ := call(t, "GET", "/nothing", "", ""); code != 404 {
		t.Errorf("GET /nothing: %d", code)
	}
	if code, _ := call(t, "GET", "/api/graph", "", ""); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/graph: %d", code)
	}
	// The page needs nothing from outside: no http(s) URLs in the assets.
	for _, f := range []string{"index.html", "app.js", "style.css"} {
		b, _ := static.ReadFile("static/" + f)
		if strings.Contains(string(b), "http://") || strings.Contains(string(b), "https://") {
			t.Errorf("%s refers to an outside URL", f)
		}
	}
}

func TestGraph(t *testing.T) {
	code, body := call(t, "POST", "/api/graph", "application/json", `{"expr": "(x+y)*z", "values": {"x": "-2", "y": "5", "z": "-4"}}`)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var r GraphResponse
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if r.Value != "-12" || r.Grads["x"] != "-4" || r.Grads["y"] != "-4" || r.Grads["z"] != "3" {
		t.Errorf("value %s grads %v", r.Value, r.Grads)
	}
	if !strings.Contains(r.SVG, "<svg") || !strings.Contains(r.SVG, `id="w4"`) {
		t.Errorf("SVG: %.200s", r.SVG)
	}
	if len(r.Steps) != 4 {
		t.Fatalf("%d steps, want 2 forward and 2 backward: %+v", len(r.Steps), r.Steps)
	}
	mul := r.Steps[2] // the first backward step: the * gate
	if mul.Pass != "backward" || mul.Upstream != "1" || strings.Join(mul.Local, " ") != "-4 3" || strings.Join(mul.Product, " ") != "-4 3" {
		t.Errorf("backward through *: %+v", mul)
	}
	add := r.Steps[3]
	if strings.Join(add.Local, " ") != "1 1" || add.Upstream != "-4" || strings.Join(add.GradSoFar, " ") != "-4 -4" {
		t.Errorf("backward through +: %+v", add)
	}
	var gate GraphNode
	for _, n := range r.Nodes {
		if n.Label == "+" {
			gate = n
		}
	}
	if !strings.HasPrefix(gate.Pattern, "add distributes") {
		t.Errorf("pattern of +: %q", gate.Pattern)
	}

	// Fan-out: x*x sums two contributions into x.
	_, body = call(t, "POST", "/api/graph", "application/json", `{"expr": "x*x + 1", "values": {"x": "3"}}`)
	json.Unmarshal([]byte(body), &r)
	if r.Grads["x"] != "6" {
		t.Errorf("x*x+1 at 3: grad %q, want 6", r.Grads["x"])
	}
	last := r.Steps[len(r.Steps)-1]
	if strings.Join(last.Product, " ") != "3 3" || strings.Join(last.GradSoFar, " ") != "3 6" || strings.Join(last.GradBefore, "|") != "|3" {
		t.Errorf("fan-out step: %+v", last)
	}
	// Fan-out across gates: x feeds two products, whose gradients −2 and
	// 1 add at the branch to −1.
	_, body = call(t, "POST", "/api/graph", "application/json", `{"expr": "x*y + x*z", "values": {"x": "3", "y": "-2", "z": "1"}}`)
	r = GraphResponse{}
	json.Unmarshal([]byte(body), &r)
	var sums []string
	for _, s := range r.Steps {
		for j, in := range s.GradBefore {
			if in != "" {
				sums = append(sums, in+" + "+s.Product[j]+" = "+s.GradSoFar[j])
			}
		}
	}
	if r.Grads["x"] != "-1" || strings.Join(sums, ", ") != "-2 + 1 = -1" {
		t.Errorf("x*y + x*z: grad %q, sums at branches %q, want -2 + 1 = -1", r.Grads["x"], sums)
	}
	// Small tensors show their elements; larger ones are summarised.
	code, body = call(t, "POST", "/api/graph", "application/json", `{"expr": "sum(W@x)", "values": {"W": "[[1,2],[3,4]]", "x": "[[1],[-1]]"}}`)
	if code != 200 || !strings.Contains(body, `"value":"[[1, 2], [3, 4]]"`) || !strings.Contains(body, `"value":"[[-1], [-1]]"`) {
		t.Errorf("tensor graph: %d %s", code, body)
	}
	code, body = call(t, "POST", "/api/graph", "application/json", `{"expr": "sum(W)", "values": {"W": "[[1,2,3,4,5]]"}}`)
	if code != 200 || !strings.Contains(body, `"value":"1×5 μ=3 [1, 5]"`) {
		t.Errorf("a 1×5 tensor: %d %s", code, body)
	}
}

// Every gate the page can draw states its pattern, which the step panel
// shows.
func TestEveryGateHasAPattern(t *testing.T) {
	exprs := []string{"exp(x) + log(y) - sqrt(y) * abs(x) / sin(x)", "cos(x) ^ 2 + tanh(x) + sigmoid(x) + relu(x) - -x",
		"max(x, y) + min(x, y) + pow(y, x)", "sum(softmax(W)) + mean(W) + sum(transpose(W) @ W) + sum(sum(W, 0)) + sum(mean(W, 1))"}
	values := map[string]string{"x": `"x": "0.5"`, "y": `"y": "2"`, "W": `"W": "[[1, 2], [3, 4]]"`}
	for _, e := range exprs {
		var vs []string
		for _, name := range []string{"x", "y", "W"} {
			if regexp.MustCompile(`\b` + name + `\b`).MatchString(e) {
				vs = append(vs, values[name])
			}
		}
		code, body := call(t, "POST", "/api/graph", "application/json", `{"expr": "`+e+`", "values": {`+strings.Join(vs, ", ")+`}}`)
		var r GraphResponse
		if err := json.Unmarshal([]byte(body), &r); code != 200 || err != nil {
			t.Fatalf("%s: %d %s", e, code, body)
		}
		for _, n := range r.Nodes {
			if n.Kind == "gate" && !strings.Contains(n.Pattern, ":") && !strings.Contains(n.Pattern, " ") {
				t.Errorf("%s: gate %s (%s) has pattern %q", e, n.Label, n.Gate, n.Pattern)
			}
		}
	}
}

func TestGraphErrors(t *testing.T) {
	long := strings.Repeat("x+", 300) + "x"
	cases := []struct {
		ctype, body string
		code        int
		msg         string
	}{
		{"text/plain", `{}`, 400, `content type \"text/plain\", want application/json`},
		{"application/json", `{"expr": 1}`, 400, "bad JSON"},
		{"application/json", `{"expr": "x", "extra": 1}`, 400, "unknown field"},
		{"application/json", `{"expr": "x", "values": {"x": "1"}} {}`, 400, "data after the object"},
		{"application/json", `{"expr": "` + strings.Repeat(" ", MaxBody) + `"}`, 400, "request body over 65536 bytes"},
		{"application/json", `{"expr": "` + long + `", "values": {"x": "1"}}`, 422, "expression of 601 bytes, more than 500"},
		{"application/json", `{"expr": "(x+", "values": {}}`, 422, "expression: col 4"},
		{"application/json", `{"expr": "x*y", "values": {"x": "1"}}`, 422, "no value for y"},
		{"application/json", `{"expr": "x", "values": {"x": "1", "q": "2"}}`, 422, "variable q is not used"},
		{"application/json", `{"expr": "x", "values": {"x": "[1,"}}`, 422, "value of x: col"},
		{"application/json", `{"expr": "x", "values": {"x": "[1, 2]"}}`, 422, "not a scalar"},
		{"application/json", `{"expr": "sum(x)", "values": {"x": "[` + strings.Repeat("1,", MaxElements) + `1]"}}`, 422, "more than 4096"},
		{"application/json", `{"expr": "x+y", "values": {"x": "[1, 2]", "y": "[1, 2, 3]"}}`, 422, "tensor:"},
		{"application/json", `{"expr": "sum(x*y)", "values": {"x": "[` + strings.Repeat("[0],", 999) + `[0]]", "y": "[` + strings.Repeat("0,", 1999) + `0]"}}`, 422,
			"the expression computes 2000001 elements ([1000 2000] at column 6), more than 1048576"},
		{"application/json", `{"expr": "x` + strings.Repeat("+x", 201) + `", "values": {"x": "0"}}`, 422, "more than 200 gates"},
	}
	for _, c := range cases {
		code, body := call(t, "POST", "/api/graph", c.ctype, c.body)
		if code != c.code || !strings.Contains(body, c.msg) {
			t.Errorf("%.60s: %d %s, want %d %q", c.body, code, body, c.code, c.msg)
		}
	}
}

func TestTrain(t *testing.T) {
	h := newHandler()
	post := func(body string) (int, TrainResponse, string) {
		req := httptest.NewRequest("POST", "/api/train", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var r TrainResponse
		json.Unmarshal(w.Body.Bytes(), &r)
		return w.Code, r, w.Body.String()
	}
	code, r, body := post(`{"steps": 0}`)
	if code != 200 || r.Session == "" || r.Step != 0 || len(r.Points) != 300 || len(r.Grid) != gridSize || len(r.Grid[0]) != gridSize {
		t.Fatalf("start: %d %.200s", code, body)
	}
	// No steps yet: the loss is an empty list, not null (the page
	// iterates over it), and the settings are the defaults.
	if !strings.Contains(body, `"loss":[]`) || r.Hidden != 100 || r.LR != 1 || r.Reg != 1e-3 {
		t.Errorf("start: %.300s", body)
	}
	// The page's controls set the network's size, rate and regularisation;
	// reg 0 means none.
	if code, r2, body := post(`{"steps": 1, "hidden": 20, "lr": 0.5, "reg": 0}`); code != 200 || r2.Hidden != 20 || r2.LR != 0.5 || r2.Reg != 0 || len(r2.Loss) != 1 {
		t.Errorf("settings: %d %.300s", code, body)
	}
	id := r.Session
	for range 6 {
		code, r, body = post(`{"session": "` + id + `", "steps": 50}`)
		if code != 200 {
			t.Fatalf("step: %d %s", code, body)
		}
	}
	if r.Session != id || r.Step != 300 || len(r.Loss) != 300 {
		t.Fatalf("after 300 steps: session %s step %d", r.Session, r.Step)
	}
	if !(r.Loss[299] < r.Loss[0]/2) || r.Accuracy < 0.8 {
		t.Errorf("loss %v → %v, accuracy %v: the spiral network is not learning", r.Loss[0], r.Loss[299], r.Accuracy)
	}
	for _, c := range []struct{ body, msg string }{
		{`{"steps": 51}`, "steps 51 outside [0, 50]"},
		{`{"steps": -1}`, "steps -1 outside"},
		{`{"hidden": 100000}`, "hidden 100000 outside"},
		{`{"lr": -1}`, "lr -1 outside"},
		{`{"reg": 2}`, "reg 2 outside"},
		{`{"session": "` + strings.Repeat("a", 40) + `"}`, "session id of 40 bytes"},
	} {
		if code, _, body := post(c.body); code/100 != 4 || !strings.Contains(body, c.msg) {
			t.Errorf("%s: %d %s", c.body, code, body)
		}
	}
	// Sessions are bounded.
	for range MaxSessions + 2 {
		post(`{}`)
	}
	if n := len(h.sessions); n != MaxSessions {
		t.Errorf("%d sessions kept, want %d", n, MaxSessions)
	}
}
