package ag

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"backprop/tensor"
)

// line returns this file's name and the line of its caller, as the
// anomaly report gives it.
func line() string {
	_, file, l, _ := runtime.Caller(1)
	return fmt.Sprintf("%s:%d", file, l+1) // the gate is applied on the next line
}

func TestDetectAnomalyForward(t *testing.T) {
	g := NewGraph(DetectAnomaly)
	x := g.Param(tensor.FromSlice([]float64{1, 0, 2, 0, 3, 4}, 2, 3))
	var where string
	err := CatchAnomaly(func() {
		y := Exp(x)
		where = line()
		z := Log(Sub(y, Const(tensor.Ones(tensor.Float64, 2, 3))))
		Backward(Sum(z, false))
	})
	var ae *AnomalyError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want an *AnomalyError", err)
	}
	if ae.Gate != "log" || ae.Backward || ae.Index != 1 || !math.IsInf(ae.Value, -1) || ae.Count != 2 || !strings.HasPrefix(ae.Where, where) {
		t.Errorf("%+v, want log at %s", ae, where)
	}
	want := "ag: anomaly: the output of log [2 3] has 2 non-finite values, the first -Inf at index 1; inputs [2 3]; the gate was applied at " + where
	if !strings.HasPrefix(err.Error(), want+" ← ") {
		t.Errorf("got  %s\nwant %s", err, want)
	}
}

func TestDetectAnomalyBackward(t *testing.T) {
	g := NewGraph(DetectAnomaly)
	x := g.Param(tensor.FromSlice([]float32{4, 0, 1}, 3))
	var where string
	err := CatchAnomaly(func() {
		where = line()
		y := Sqrt(x) // finite forward, infinite ∂/∂x at 0
		Backward(Sum(y, false))
	})
	var ae *AnomalyError
	if !errors.As(err, &ae) || ae.Gate != "sqrt" || !ae.Backward || ae.Input != 0 || ae.Index != 1 || !math.IsInf(ae.Value, 1) || !strings.HasPrefix(ae.Where, where) {
		t.Fatalf("got %v (%+v)", err, ae)
	}
	if !strings.HasPrefix(err.Error(), "ag: anomaly: the gradient sqrt returned for input 0 [3] has 1 non-finite values, the first +Inf at index 1; inputs [3]") {
		t.Errorf("%s", err)
	}
}

// Without the flag nothing is checked and no location is captured; a
// graph with the flag beside it on another goroutine changes nothing.
func TestAnomalyOff(t *testing.T) {
	done := make(chan error)
	go func() {
		g := NewGraph(DetectAnomaly)
		done <- CatchAnomaly(func() {
			for range 100 {
				Backward(Sum(Log(g.Param(tensor.FromSlice([]float64{0, 1}, 2))), false))
			}
		})
	}()
	for _, g := range []*Graph{nil, NewGraph()} {
		var x *Var
		if g == nil {
			x = Param(tensor.FromSlice([]float64{0, 1}, 2))
		} else {
			x = g.Param(tensor.FromSlice([]float64{0, 1}, 2))
		}
		y := Log(x)
		if y.origin != nil {
			t.Error("a location was captured with the mode off")
		}
		Backward(Sum(y, false))
		if !math.IsInf(x.Grad.Flat(0), 1) {
			t.Errorf("grad %v", x.Grad)
		}
	}
	if err := <-done; err == nil {
		t.Error("the graph with DetectAnomaly found nothing")
	}
	// A finite computation passes, and other panics pass through.
	g := NewGraph(DetectAnomaly)
	x := g.Param(tensor.FromSlice([]float64{0, 1}, 2))
	if err := CatchAnomaly(func() { Backward(Sum(Mul(x, Const(tensor.FromSlice([]float64{2, 3}, 2))), false)) }); err != nil {
		t.Error(err)
	}
	defer func() {
		if r := recover(); r != "other" {
			t.Errorf("recovered %v", r)
		}
	}()
	CatchAnomaly(func() { panic("other") })
}

// The check costs nothing while the flag is off: Apply tests one bit of
// its graph. This benchmark compares the two.
func BenchmarkApplyAnomaly(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprint("on=", on), func(b *testing.B) {
			g := NewGraph()
			if on {
				g = NewGraph(DetectAnomaly)
			}
			b.ReportAllocs()
			for b.Loop() {
				g.Reset()
				Tanh(g.Param(tensor.Ones(tensor.Float32, 16)))
			}
		})
	}
}

// A graph with DetectAnomaly finds the gate that first makes a NaN or an
// infinity; CatchAnomaly turns its panic into the error.
func ExampleCatchAnomaly() {
	g := NewGraph(DetectAnomaly)
	x := g.Param(tensor.FromSlice([]float64{1, 0, 4}, 3))
	err := CatchAnomaly(func() {
		y := Mul(Log(x), Const(tensor.FromSlice([]float64{1, 1, 1}, 3)))
		Backward(Sum(y, false))
	})
	var ae *AnomalyError
	if errors.As(err, &ae) {
		fmt.Println(ae.Gate, ae.Shape, ae.Value, "at index", ae.Index)
	}
	// Output: log [3] -Inf at index 1
}
