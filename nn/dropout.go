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

	offset, total int // the rows of a larger batch (see SetShard); total 0: whole batches
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
	if d.total == 0 {
		for i := 0; i < mask.Len(); i++ {
			if d.Rand.Float64() >= d.P {
				mask.SetFlat(i, scale)
			}
		}
		return ag.Mul(x, x.Graph().Const(mask))
	}
	// A shard of a larger batch: draw the whole batch's masks in order,
	// keeping those of this shard's rows.
	shape := x.Shape()
	if len(shape) == 0 || d.offset+shape[0] > d.total {
		panic(fmt.Sprintf("nn: Dropout: a batch of shape %v from row %d of %d", shape, d.offset, d.total))
	}
	rows, per := shape[0], 1 // per: the elements of a row, even when there are no rows
	for _, n := range shape[1:] {
		per *= n
	}
	lo, hi := d.offset*per, (d.offset+rows)*per
	for i := 0; i < d.total*per; i++ {
		if d.Rand.Float64() >= d.P && i >= lo && i < hi {
			mask.SetFlat(i-lo, scale)
		}
	}
	return ag.Mul(x, x.Graph().Const(mask))
}

// Parameters returns none.
func (d *Dropout) Parameters() []Parameter { return nil }

// SetTraining switches the dropout on (training) or off (evaluation).
func (d *Dropout) SetTraining(on bool) { d.eval = !on }
