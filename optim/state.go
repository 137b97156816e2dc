package optim

import "backprop/tensor"

// Stateful is an optimizer whose state can be saved and restored, so that
// an interrupted training run can continue exactly where it stopped. SGD,
// RMSProp, Adam and AdamW implement it.
type Stateful interface {
	Optimizer
	// StateTensors returns the optimizer's running state, one or two
	// tensors per parameter in a fixed order (the momentum buffers of
	// SGD, the running mean square of RMSProp, Adam's first moments then
	// its second moments, then one tensor of every parameter's step
	// count). They are the optimizer's own: copying saved
	// values into them restores the state.
	StateTensors() []*tensor.Tensor
	// Steps returns the number of steps taken where the update depends on
	// it (Adam's bias correction), else 0; SetSteps restores it.
	Steps() int
	SetSteps(n int)
}

// StateTensors returns the momentum buffers, one per parameter.
func (o *SGD) StateTensors() []*tensor.Tensor { return o.v }

// Steps returns 0: SGD's update does not depend on the step count.
func (o *SGD) Steps() int { return 0 }

// SetSteps does nothing: SGD keeps no step count.
func (o *SGD) SetSteps(int) {}

// StateTensors returns the running mean squares, one per parameter.
func (o *RMSProp) StateTensors() []*tensor.Tensor { return o.s }

// Steps returns 0: RMSProp's update does not depend on the step count.
func (o *RMSProp) Steps() int { return 0 }

// SetSteps does nothing: RMSProp keeps no step count.
func (o *RMSProp) SetSteps(int) {}

// StateTensors returns the first moments of every parameter, then the
// second moments, then the step counts of the parameters (float64, one
// per parameter), which the bias correction uses.
func (o *Adam) StateTensors() []*tensor.Tensor {
	return append(append(append(make([]*tensor.Tensor, 0, len(o.m)+len(o.v)+1), o.m...), o.v...), o.counts)
}

// Steps returns t, the number of steps taken.
func (o *Adam) Steps() int { return o.t }

// SetSteps sets t.
func (o *Adam) SetSteps(n int) { o.t = n }

var (
	_ Stateful = (*SGD)(nil)
	_ Stateful = (*RMSProp)(nil)
	_ Stateful = (*Adam)(nil)
)
