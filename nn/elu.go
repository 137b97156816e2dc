package nn

import (
	"math"

	"backprop/ag"
	"backprop/tensor"
)

// ELU returns the exponential linear unit of x element-wise.
//
//	forward:  y = x if x > 0, else α·(eˣ − 1)
//	backward: ∂L/∂x = ∂L/∂y where x > 0, else ∂L/∂y·(y + α)
//	          (the saved output gives the local gradient α·eˣ = y + α)
//
//go:noinline
func ELU(x *ag.Var, alpha float64) *ag.Var { return ag.Apply(&eluGate{alpha: alpha}, x) }

type eluGate struct {
	alpha float64
	x, y  *tensor.Tensor
}

func (g *eluGate) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	g.x = in[0]
	g.y = tensor.ZerosLike(in[0])
	for i := 0; i < g.x.Len(); i++ {
		v := g.x.Flat(i)
		if v <= 0 {
			v = g.alpha * math.Expm1(v)
		}
		g.y.SetFlat(i, v)
	}
	return g.y
}

func (g *eluGate) Backward(dout *tensor.Tensor, need []bool) []*tensor.Tensor {
	dx := tensor.ZerosLike(dout)
	for i := 0; i < dx.Len(); i++ {
		d := dout.Flat(i)
		if g.x.Flat(i) <= 0 {
			d *= g.y.Flat(i) + g.alpha
		}
		dx.SetFlat(i, d)
	}
	return []*tensor.Tensor{dx}
}
