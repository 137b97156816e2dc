package nn

import (
	"fmt"
	"math/rand/v2"

	"backprop/ag"
	"backprop/tensor"
)

// Dropout zeroes each input with probability P during training and scales
// the survivors by 1/(1−P) ("inverted" dropout), so that the expected
// value is unchanged and evaluation needs no rescaling: in evaluation mode
// it is the identity. The masks are drawn from Rand.
//
//	forward:  y = x ⊙ m,  mᵢ = 1/(1−P) with probability 1−P, else 0
//	backward: ∂L/∂x = ∂L/∂y ⊙ m   (through ag.Mul with a constant mask)
type Dropout struct {
	P    float64
	Rand *rand.Rand
	eval bool // the zero value is in training mode
}

// NewDropout returns a Dropout layer in training mode.
func NewDropout(p float64, rng *rand.Rand) *Dropout {
	if p < 0 || p >= 1 {
		panic(fmt.Sprintf("nn: NewDropout: probability %v outside [0, 1)", p))
	}
	return &Dropout{P: p, Rand: rng}
}

// Forward applies a fresh random mask in training mode and returns x
// itself in evaluation mode.
func (d *Dropout) Forward(x *ag.Var) *ag.Var {
	if d.eval || d.P == 0 {
		return x
	}
	mask := tensor.NewLike(x.Value, x.Shape()...) // in x's graph's memory
	scale := 1 / (1 - d.P)
	for i := 0; i < mask.Len(); i++ {
		if d.Rand.Float64() >= d.P {
			mask.SetFlat(i, scale)
		}
	}
	return ag.Mul(x, x.Graph().Const(mask))
}

// Parameters returns none.
func (d *Dropout) Parameters() []Parameter { return nil }

// SetTraining switches the dropout on (training) or off (evaluation).
func (d *Dropout) SetTraining(on bool) { d.eval = !on }
