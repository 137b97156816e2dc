package ag

import (
	"fmt"

	"backprop/tensor"
)

// Var is a node of a computational graph: a value, the gradient of the
// last Backward with respect to it, and — for a value computed by a gate —
// the gate and its inputs.
//
// A leaf is a Var made by Param (it requires a gradient: a weight, an input
// you want ∂L/∂x for) or Const (it does not: data, labels, literals). A Var
// made by Apply requires a gradient when any of its inputs does and its
// Graph records gates.
type Var struct {
	// Value is the result of the forward pass.
	Value *tensor.Tensor
	// Grad is ∂L/∂Value after Backward, with Value's shape, or nil when no
	// gradient has reached this Var. Leaves accumulate it across Backward
	// calls until ZeroGrad; intermediate Vars hold the last pass's.
	Grad *tensor.Tensor

	graph  *Graph // the graph v belongs to; nil for ordinary memory
	gate   Gate
	inputs []*Var
	level  uint64 // 1 + the highest level of the inputs; 0 for a leaf
	origin *string
	// spare is a leaf's gradient buffer that ZeroGrad set aside, reused
	// by the next Backward that reaches the leaf.
	spare *tensor.Tensor
	mark  uint32 // the Backward pass that last reached this Var

	requiresGrad bool
	gradOwned    bool // Grad was allocated by the engine and may be updated in place
	freed        bool // the gate and inputs were released after Backward

	// Inline room for the common gates of up to three inputs (Linear), so
	// recording a gate costs no allocation beyond the Var; valBuf also
	// holds the gradient buffers of an accGate's Backward, and needBuf
	// which inputs want a gradient.
	needBuf [3]bool
	inBuf   [3]*Var
	valBuf  [3]*tensor.Tensor
}

// Param returns a leaf Var holding t that requires a gradient.
func Param(t *tensor.Tensor) *Var { return &Var{Value: t, requiresGrad: true} }

// Const returns a leaf Var holding t that needs no gradient.
func Const(t *tensor.Tensor) *Var { return &Var{Value: t} }

// Scalar returns a constant 0-d Var holding v.
func Scalar(dt tensor.DType, v float64) *Var { return Const(tensor.Scalar(dt, v)) }

// Detach returns a constant Var of v's graph sharing v's value: gradients
// do not flow through it back to v.
func Detach(v *Var) *Var {
	d := v.graph.newVar()
	d.Value, d.graph = v.Value, v.graph
	return d
}

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

// Graph returns the Graph v belongs to, or nil for a Var of no graph (a
// leaf made by Param or Const, or a Var computed only from such Vars).
func (v *Var) Graph() *Graph { return v.graph }

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

// ZeroGrad clears the gradients of vs, typically the parameters before a
// training step: each Grad becomes nil, as PyTorch's zero_grad does by
// default, so that a parameter no gradient reaches in the next pass has
// none (and optimizers leave it alone). The engine keeps the buffer it
// had allocated and reuses it for the next gradient of the same Var, so a
// training loop allocates no gradients after its first step; do not keep
// a reference to a gradient across ZeroGrad.
func ZeroGrad(vs ...*Var) {
	for _, v := range vs {
		if v.Grad != nil && v.gradOwned {
			v.spare = v.Grad
		}
		v.Grad, v.gradOwned = nil, false
	}
}
