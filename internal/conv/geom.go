package conv

import "fmt"

// Float is the element type of the tensors.
type Float interface{ ~float32 | ~float64 }

// Geom is the geometry of a batch of 2-d convolutions: an input of N
// images of C channels of H×W, K output channels, an R×S kernel, strides,
// zero padding on both sides and dilations per axis, and C and K split
// into Groups groups, each output channel seeing the C/Groups input
// channels of its group.
type Geom struct {
	N, C, H, W       int
	K, R, S          int
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
	Groups           int
}

// OutH returns the height of the output, ⌊(H + 2·PadH − DilH·(R−1) − 1)/StrideH⌋ + 1.
func (g *Geom) OutH() int { return (g.H+2*g.PadH-g.DilH*(g.R-1)-1)/g.StrideH + 1 }

// OutW returns the width of the output, ⌊(W + 2·PadW − DilW·(S−1) − 1)/StrideW⌋ + 1.
func (g *Geom) OutW() int { return (g.W+2*g.PadW-g.DilW*(g.S-1)-1)/g.StrideW + 1 }

// Check returns an error naming the first field that makes g invalid:
// negative sizes, strides or dilations below 1, negative padding, channels
// that Groups does not divide, or a dilated kernel larger than the padded
// input.
func (g *Geom) Check() error {
	switch {
	case g.N < 0 || g.C < 1 || g.H < 0 || g.W < 0:
		return fmt.Errorf("input N=%d C=%d H=%d W=%d", g.N, g.C, g.H, g.W)
	case g.K < 1 || g.R < 1 || g.S < 1:
		return fmt.Errorf("weights K=%d R=%d S=%d", g.K, g.R, g.S)
	case g.StrideH < 1 || g.StrideW < 1:
		return fmt.Errorf("stride %d×%d", g.StrideH, g.StrideW)
	case g.DilH < 1 || g.DilW < 1:
		return fmt.Errorf("dilation %d×%d", g.DilH, g.DilW)
	case g.PadH < 0 || g.PadW < 0:
		return fmt.Errorf("padding %d×%d", g.PadH, g.PadW)
	case g.Groups < 1 || g.C%g.Groups != 0 || g.K%g.Groups != 0:
		return fmt.Errorf("groups %d for %d input and %d output channels", g.Groups, g.C, g.K)
	case g.H+2*g.PadH < g.DilH*(g.R-1)+1 || g.W+2*g.PadW < g.DilW*(g.S-1)+1:
		return fmt.Errorf("kernel %d×%d (dilation %d×%d) larger than the padded input %d×%d",
			g.R, g.S, g.DilH, g.DilW, g.H+2*g.PadH, g.W+2*g.PadW)
	}
	return nil
}

// Sizes of the tensors, in elements.
func (g *Geom) inLen() int  { return g.N * g.C * g.H * g.W }
func (g *Geom) outLen() int { return g.N * g.K * g.OutH() * g.OutW() }
func (g *Geom) wLen() int   { return g.K * g.C / g.Groups * g.R * g.S }

// FLOPs returns the floating-point operations of one of the three
// products (forward, backward-data or backward-weight):
// 2·N·K·OutH·OutW·(C/Groups)·R·S.
func (g *Geom) FLOPs() float64 {
	return 2 * float64(g.N) * float64(g.K) * float64(g.OutH()) * float64(g.OutW()) * float64(g.C/g.Groups) * float64(g.R) * float64(g.S)
}

func (g *Geom) mustCheck(op string, lens ...[2]int) {
	if err := g.Check(); err != nil {
		panic("conv: " + op + ": " + err.Error())
	}
	for i, l := range lens {
		if l[0] < l[1] {
			panic(fmt.Sprintf("conv: %s: operand %d has %d elements, need %d", op, i, l[0], l[1]))
		}
	}
}

// floorDiv and ceilDiv divide by a positive b, rounding down and up for
// any sign of a.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int) int { return -floorDiv(-a, b) }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }
