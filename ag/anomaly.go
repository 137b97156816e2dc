package ag

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"

	"backprop/tensor"
)

// CatchAnomaly runs f and returns the *AnomalyError that a graph with the
// DetectAnomaly flag raised in it, or nil when f completes. Any other
// panic passes through.
//
// With DetectAnomaly, every gate's output is checked for NaN and ±Inf as
// Apply computes it, and every gradient a gate's Backward returns as the
// engine receives it; the first non-finite value panics with an
// *AnomalyError naming the gate, the shapes, the first offending element
// and where the gate was applied (the file:line of the first caller
// outside this package, captured by Apply only in such a graph).
func CatchAnomaly(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			ae, ok := r.(*AnomalyError)
			if !ok {
				panic(r)
			}
			err = ae
		}
	}()
	f()
	return nil
}

// AnomalyError describes the first non-finite value found in a graph with
// the DetectAnomaly flag.
type AnomalyError struct {
	Gate     string  // the gate's name, as GateName gives it
	Backward bool    // found in a gradient (else in the forward output)
	Input    int     // for a gradient, the input it is for
	Shape    []int   // the shape of the offending tensor
	Inputs   [][]int // the shapes of the gate's inputs
	Index    int     // the flat index of the first non-finite element
	Value    float64 // its value: NaN, +Inf or −Inf
	Count    int     // how many elements are not finite
	Where    string  // file:line where the gate was applied, then up to two callers, separated by " ← "; "" if unknown
}

func (e *AnomalyError) Error() string {
	var b strings.Builder
	b.WriteString("ag: anomaly: ")
	if e.Backward {
		fmt.Fprintf(&b, "the gradient %s returned for input %d %v", e.Gate, e.Input, e.Shape)
	} else {
		fmt.Fprintf(&b, "the output of %s %v", e.Gate, e.Shape)
	}
	fmt.Fprintf(&b, " has %d non-finite values, the first %v at index %d; inputs", e.Count, e.Value, e.Index)
	for i, s := range e.Inputs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %v", s)
	}
	if e.Where != "" {
		fmt.Fprintf(&b, "; the gate was applied at %s", e.Where)
	}
	return b.String()
}

// firstNonFinite returns the index and value of t's first NaN or ±Inf
// element and how many there are; i is −1 when all are finite.
func firstNonFinite(t *tensor.Tensor) (i int, v float64, count int) {
	i = -1
	note := func(j int, x float64) {
		if i < 0 {
			i, v = j, x
		}
		count++
	}
	if t.DType() == tensor.Float64 {
		for j, x := range t.Float64s() {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				note(j, x)
			}
		}
		return
	}
	for j, x := range t.Float32s() {
		if x != x || x > math.MaxFloat32 || x < -math.MaxFloat32 {
			note(j, float64(x))
		}
	}
	return
}

func shapesOf(vs []*Var) [][]int {
	s := make([][]int, len(vs))
	for i, v := range vs {
		s[i] = v.Value.Shape()
	}
	return s
}

// origins caches the file:line found for each innermost call stack.
var origins sync.Map // [4]uintptr → *string

// callerOrigin returns the file:line of the first caller outside this
// package (its tests count as outside) and of up to two of its callers,
// innermost first and separated by " ← ".
func callerOrigin() *string {
	var pcs [16]uintptr
	n := runtime.Callers(3, pcs[:])
	if n == 0 {
		return nil
	}
	var key [4]uintptr
	copy(key[:], pcs[:n])
	if s, ok := origins.Load(key); ok {
		return s.(*string)
	}
	frames := runtime.CallersFrames(pcs[:n])
	var where []string
	for len(where) < 3 {
		f, more := frames.Next()
		if f.Function != "" && (!strings.HasPrefix(f.Function, "backprop/ag.") || strings.HasSuffix(f.File, "_test.go")) {
			if strings.HasPrefix(f.Function, "runtime.") || strings.HasPrefix(f.Function, "testing.") {
				break
			}
			where = append(where, fmt.Sprintf("%s:%d", f.File, f.Line))
		}
		if !more {
			break
		}
	}
	s := new(strings.Join(where, " ← "))
	origins.Store(key, s)
	return s
}

// checkForward is Apply's hook in a graph with DetectAnomaly: it records
// where v was created and panics if its value is not finite.
func checkForward(g Gate, v *Var, inputs []*Var) {
	v.origin = callerOrigin()
	if i, x, n := firstNonFinite(v.Value); i >= 0 {
		panic(&AnomalyError{Gate: GateName(g), Input: -1, Shape: v.Value.Shape(), Inputs: shapesOf(inputs),
			Index: i, Value: x, Count: n, Where: originOf(v)})
	}
}

// checkBackward is propagate's hook in a graph with DetectAnomaly: it
// panics at the first gradient of v's gate that is not finite.
func checkBackward(v *Var, grads []*tensor.Tensor) {
	for k, g := range grads {
		if g == nil {
			continue
		}
		if i, x, n := firstNonFinite(g); i >= 0 {
			panic(&AnomalyError{Gate: GateName(v.gate), Backward: true, Input: k, Shape: g.Shape(),
				Inputs: shapesOf(v.inputs), Index: i, Value: x, Count: n, Where: originOf(v)})
		}
	}
}

func originOf(v *Var) string {
	if v.origin == nil {
		return ""
	}
	return *v.origin
}
