package ag

import (
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"

	"backprop/tensor"
)

// Var is a node of a computational graph: a value, the gradient of the
// last Backward with respect to it, and — for a value computed by a gate —
// the gate and its inputs.
//
// A leaf is a Var made by Param (it requires a gradient: a weight, an input
// you want ∂L/∂x for) or Const (it does not: data, labels, literals). A Var
// made by Apply requires a gradient when any of its inputs does.
type Var struct {
	// Value is the result of the forward pass.
	Value *tensor.Tensor
	// Grad is ∂L/∂Value after Backward, with Value's shape, or nil when no
	// gradient has reached this Var. Leaves accumulate it across Backward
	// calls until ZeroGrad; intermediate Vars hold the last pass's.
	Grad *tensor.Tensor

	requiresGrad bool
	gradOwned    bool   // Grad was allocated by the engine and may be updated in place
	freed        bool   // the gate and inputs were released after Backward
	mark         uint32 // the Backward pass that last reached this Var
	seq          uint64 // creation order: every input has a smaller seq
	gate         Gate
	inputs       []*Var
	origin       *string // where Apply created v, under DetectAnomaly only

	// Inline room for the common gates of up to three inputs (Linear), so
	// recording a gate costs one allocation for the Var rather than three;
	// valBuf also holds the gradient buffers of an accGate's Backward, and
	// needBuf which inputs want a gradient.
	inBuf   [3]*Var
	valBuf  [3]*tensor.Tensor
	needBuf [3]bool
}

// Param returns a leaf Var holding t that requires a gradient.
func Param(t *tensor.Tensor) *Var { return &Var{Value: t, requiresGrad: true} }

// Const returns a leaf Var holding t that needs no gradient.
func Const(t *tensor.Tensor) *Var { return &Var{Value: t} }

// Scalar returns a constant 0-d Var holding v.
func Scalar(dt tensor.DType, v float64) *Var { return Const(tensor.Scalar(dt, v)) }

// Detach returns a constant Var sharing v's value: gradients do not flow
// through it back to v.
func Detach(v *Var) *Var { return &Var{Value: v.Value} }

// RequiresGrad reports whether a gradient is computed for v.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// IsLeaf reports whether v was not produced by a recorded gate.
func (v *Var) IsLeaf() bool { return v.gate == nil && !v.freed }

// Gate returns the gate that produced v, or nil for a leaf or a Var whose
// graph has been freed.
func (v *Var) Gate() Gate { return v.gate }

// Inputs returns the Vars the gate that produced v was applied to (nil for
// a leaf or after the graph was freed). The slice belongs to v.
func (v *Var) Inputs() []*Var { return v.inputs }

// Shape returns the shape of v's value.
func (v *Var) Shape() []int { return v.Value.Shape() }

// DType returns the dtype of v's value.
func (v *Var) DType() tensor.DType { return v.Value.DType() }

// Item returns the value of a one-element Var.
func (v *Var) Item() float64 { return v.Value.Item() }

// String describes v by its gate (or "leaf") and shape.
func (v *Var) String() string {
	label := "leaf"
	if v.gate != nil {
		label = GateName(v.gate)
	}
	return fmt.Sprintf("%s%v", label, v.Value.Shape())
}

// GateName returns a short name for g: its Name method's result if it has
// one, else its type name without the package and a trailing "Gate".
func GateName(g Gate) string {
	if n, ok := g.(interface{ Name() string }); ok {
		return n.Name()
	}
	t := reflect.TypeOf(g)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return strings.TrimSuffix(t.Name(), "Gate")
}

var noGrad atomic.Int32

// NoGrad runs f with gradient recording switched off: gates still compute
// their values, but no graph is kept, as for inference. The switch is
// process-wide — it applies to every goroutine while f runs — so do not
// train on one goroutine while another runs under NoGrad.
func NoGrad(f func()) {
	noGrad.Add(1)
	defer noGrad.Add(-1)
	f()
}

// GradEnabled reports whether gates are being recorded (false inside NoGrad).
func GradEnabled() bool { return noGrad.Load() == 0 }

// ZeroGrad clears the gradients of vs, typically the parameters before a
// training step. A gradient buffer the engine owns is zeroed in place and
// reused by the next Backward; any other is dropped.
func ZeroGrad(vs ...*Var) {
	for _, v := range vs {
		if v.Grad != nil && v.gradOwned {
			v.Grad.Zero()
		} else {
			v.Grad = nil
			v.gradOwned = false
		}
	}
}
