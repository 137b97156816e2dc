package web

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"backprop/ag"
	"backprop/data"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
	"backprop/train"
)

// The spiral of the training view and the grid its decision boundary is
// drawn on.
const (
	spiralPoints  = 100 // per class
	spiralClasses = 3
	gridSize      = 60 // cells per side over [-1.1, 1.1]²
	gridExtent    = 1.1
)

// TrainRequest is the body of POST /api/train. An empty or unknown
// Session starts a new network with Hidden units (default 100), learning
// rate LR (default 1) and L2 strength Reg (default 1e-3 when absent; 0
// for none), drawn from Seed; then Steps full-batch gradient steps (at
// most MaxSteps) are taken.
type TrainRequest struct {
	Session string   `json:"session"`
	Steps   int      `json:"steps"`
	Hidden  int      `json:"hidden"`
	LR      float64  `json:"lr"`
	Reg     *float64 `json:"reg"`
	Seed    uint64   `json:"seed"`
}

// TrainResponse is the state of a training session after the request.
type TrainResponse struct {
	Session  string       `json:"session"`
	Step     int          `json:"step"`
	Loss     []float64    `json:"loss"` // one per step since the start: [] before the first
	Hidden   int          `json:"hidden"`
	LR       float64      `json:"lr"`
	Reg      float64      `json:"reg"`
	Accuracy float64      `json:"accuracy"`
	Grid     [][]int      `json:"grid"`   // the class predicted at each cell, rows from y = +extent down
	Extent   float64      `json:"extent"` // the grid covers [-Extent, Extent]²
	Points   [][3]float64 `json:"points"` // x, y, class
}

// session is one network being trained; mu serialises the requests that
// train it.
type session struct {
	mu     sync.Mutex
	model  *nn.Sequential
	hidden int
	opt    *optim.SGD
	reg    float64
	x      *ag.Var
	y      []int
	loss   []float64
	used   time.Time
}

func (h *Handler) train(w http.ResponseWriter, r *http.Request) {
	var req TrainRequest
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if req.Steps < 0 || req.Steps > MaxSteps {
		writeError(w, http.StatusUnprocessableEntity, fmt.Errorf("steps %d outside [0, %d]", req.Steps, MaxSteps))
		return
	}
	if req.Hidden == 0 {
		req.Hidden = 100
	}
	if req.LR == 0 {
		req.LR = 1
	}
	reg := 1e-3
	if req.Reg != nil {
		reg = *req.Reg
	}
	switch {
	case req.Hidden < 1 || req.Hidden > MaxHidden:
		writeError(w, http.StatusUnprocessableEntity, fmt.Errorf("hidden %d outside [1, %d]", req.Hidden, MaxHidden))
		return
	case !(req.LR > 0 && req.LR <= 10):
		writeError(w, http.StatusUnprocessableEntity, fmt.Errorf("lr %v outside (0, 10]", req.LR))
		return
	case !(reg >= 0 && reg <= 1):
		writeError(w, http.StatusUnprocessableEntity, fmt.Errorf("reg %v outside [0, 1]", reg))
		return
	case len(req.Session) > 32:
		writeError(w, http.StatusBadRequest, fmt.Errorf("session id of %d bytes", len(req.Session)))
		return
	}

	// The table's lock only finds or adds the session; its own lock is
	// held for the steps, so that sessions train at once.
	h.mu.Lock()
	s := h.sessions[req.Session]
	if s == nil {
		req.Session = newID()
		s = newSession(req.Hidden, req.LR, reg, req.Seed)
		if len(h.sessions) >= MaxSessions {
			h.evictOldest()
		}
		h.sessions[req.Session] = s
	}
	s.used = time.Now()
	h.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	steps := min(req.Steps, MaxTotal-len(s.loss))
	for range steps {
		if r.Context().Err() != nil {
			break
		}
		s.step()
	}
	resp := &TrainResponse{Session: req.Session, Step: len(s.loss), Loss: s.loss, Extent: gridExtent,
		Hidden: s.hidden, LR: s.opt.LR(), Reg: s.reg}
	resp.Grid, resp.Accuracy = s.predict()
	for i, c := range s.y {
		resp.Points = append(resp.Points, [3]float64{s.x.Value.At(i, 0), s.x.Value.At(i, 1), float64(c)})
	}
	writeJSON(w, http.StatusOK, resp)
}

// evictOldest forgets the least recently used session.
func (h *Handler) evictOldest() {
	var oldest string
	var t time.Time
	for id, s := range h.sessions {
		if oldest == "" || s.used.Before(t) {
			oldest, t = id, s.used
		}
	}
	delete(h.sessions, oldest)
}

// newSession makes the CS231n network for the spiral: 2 → hidden → 3 with
// ReLU, trained by full-batch SGD on softmax cross-entropy plus ½·reg·‖W‖².
func newSession(hidden int, lr, reg float64, seed uint64) *session {
	rng := rand.New(rand.NewPCG(seed, 7))
	ds := data.SpiralSplit(seed, data.SpiralTrain, spiralPoints, spiralClasses)
	m := nn.MLP(nn.Spec{Sizes: []int{2, hidden, spiralClasses}}, rng)
	// loss is never nil, so that a session of no steps answers "loss": [].
	return &session{model: m, hidden: hidden, opt: optim.NewSGD(nn.Vars(m), lr), reg: reg, x: ag.Const(ds.X), y: ds.Y, loss: []float64{}}
}

// step takes one gradient step and records the loss.
func (s *session) step() {
	s.opt.ZeroGrad()
	loss := nn.SoftmaxCrossEntropy(s.model.Forward(s.x), s.y)
	if s.reg > 0 {
		loss = ag.Add(loss, nn.HalfL2(s.reg, nn.Weights(s.model)...))
	}
	ag.Backward(loss)
	s.opt.Step()
	s.loss = append(s.loss, loss.Item())
}

// predict classifies the cells of the grid and the training points.
func (s *session) predict() ([][]int, float64) {
	n := gridSize
	pts := make([]float32, 0, 2*n*n)
	for i := range n {
		y := gridExtent - (float64(i)+0.5)*2*gridExtent/float64(n)
		for j := range n {
			x := -gridExtent + (float64(j)+0.5)*2*gridExtent/float64(n)
			pts = append(pts, float32(x), float32(y))
		}
	}
	// Forward passes that record nothing, in a graph of their own.
	g := ag.NewGraph(ag.NoGrad)
	cls := tensor.ArgMax(s.model.Forward(g.Const(tensor.FromSlice(pts, n*n, 2))).Value, 1)
	grid := make([][]int, n)
	for i := range n {
		grid[i] = cls[i*n : (i+1)*n]
	}
	acc := float64(train.Correct(s.model.Forward(g.Const(s.x.Value)).Value, s.y)) / float64(len(s.y))
	if math.IsNaN(acc) {
		acc = 0
	}
	return grid, acc
}
