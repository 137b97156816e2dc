package nn

import (
	"fmt"
	"math"

	"backprop/ag"
	"backprop/tensor"
)

// Standardization is the input preprocessing of a model: every input x
// becomes (x − Mean)/Std before the network sees it, with the statistics
// of the training set (data.Dataset.Stats). The zero value is the
// identity.
type Standardization struct {
	Mean, Std float64
}

// normal returns s with the zero value's Std of 0 read as 1, or an error
// if s cannot be applied: Mean must be finite and Std finite and positive.
func (s Standardization) normal() (Standardization, error) {
	if s.Mean == 0 && s.Std == 0 {
		s.Std = 1
	}
	if math.IsNaN(s.Mean) || math.IsInf(s.Mean, 0) || !(s.Std > 0) || math.IsInf(s.Std, 0) {
		return s, fmt.Errorf("preprocessing: mean %v, std %v: want a finite mean and a finite positive std", s.Mean, s.Std)
	}
	return s, nil
}

// identity reports whether s changes nothing.
func (s Standardization) identity() bool { return s.Mean == 0 && (s.Std == 1 || s.Std == 0) }

// Standardize returns (x − mean)/std element-wise, computed as
// data.Dataset.Standardize computes it, so that a model that applies its
// preprocessing itself gives, bit for bit, the numbers of one fed
// standardised data. std must be positive.
//
//	forward:  y = (x − mean) · (1/std)
//	backward: ∂L/∂x = ∂L/∂y · (1/std)
//
//go:noinline
func Standardize(x *ag.Var, mean, std float64) *ag.Var {
	if !(std > 0) {
		panic(fmt.Sprintf("nn: Standardize: std %v", std))
	}
	return ag.Apply(&standardizeGate{mean: mean, std: std}, x)
}

type standardizeGate struct{ mean, std float64 }

func (g *standardizeGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	y := tensor.NewLike(in[0], in[0].Shape()...)
	return tensor.ScaleTo(y, tensor.AddScalarTo(y, in[0], -g.mean), 1/g.std)
}

func (g *standardizeGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	return []*tensor.Tensor{tensor.ScaleTo(tensor.NewLike(dout, dout.Shape()...), dout, 1/g.std)}
}
