package conv

// Direct references: the definitions, as nested loops in float64. Each
// also returns, per output element, the sum of the absolute values of its
// terms, which bounds the rounding error of any order of summation.

// at returns x[n][c][iy][ix] of an N×C×H×W tensor, 0 outside H×W.
func at(x []float64, C, H, W, n, c, iy, ix int) float64 {
	if iy < 0 || iy >= H || ix < 0 || ix >= W {
		return 0
	}
	return x[((n*C+c)*H+iy)*W+ix]
}

func refForward(g *Geom, x, w, bias []float64) (y, mag []float64) {
	OH, OW := g.OutH(), g.OutW()
	cg, kg := g.C/g.Groups, g.K/g.Groups
	y = make([]float64, g.N*g.K*OH*OW)
	mag = make([]float64, len(y))
	for n := range g.N {
		for k := range g.K {
			grp := k / kg
			for oy := range OH {
				for ox := range OW {
					var s, m float64
					if bias != nil {
						s, m = bias[k], abs(bias[k])
					}
					for c := range cg {
						for ky := range g.R {
							for kx := range g.S {
								iy := oy*g.StrideH - g.PadH + ky*g.DilH
								ix := ox*g.StrideW - g.PadW + kx*g.DilW
								v := at(x, g.C, g.H, g.W, n, grp*cg+c, iy, ix) * w[((k*cg+c)*g.R+ky)*g.S+kx]
								s += v
								m += abs(v)
							}
						}
					}
					i := ((n*g.K+k)*OH+oy)*OW + ox
					y[i], mag[i] = s, m
				}
			}
		}
	}
	return y, mag
}

// refBackwardData scatters every term of the forward sum back onto the
// input element it read.
func refBackwardData(g *Geom, dy, w []float64) (dx, mag []float64) {
	OH, OW := g.OutH(), g.OutW()
	cg, kg := g.C/g.Groups, g.K/g.Groups
	dx = make([]float64, g.N*g.C*g.H*g.W)
	mag = make([]float64, len(dx))
	for n := range g.N {
		for k := range g.K {
			grp := k / kg
			for oy := range OH {
				for ox := range OW {
					d := dy[((n*g.K+k)*OH+oy)*OW+ox]
					for c := range cg {
						for ky := range g.R {
							for kx := range g.S {
								iy := oy*g.StrideH - g.PadH + ky*g.DilH
								ix := ox*g.StrideW - g.PadW + kx*g.DilW
								if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
									continue
								}
								i := ((n*g.C+grp*cg+c)*g.H+iy)*g.W + ix
								v := d * w[((k*cg+c)*g.R+ky)*g.S+kx]
								dx[i] += v
								mag[i] += abs(v)
							}
						}
					}
				}
			}
		}
	}
	return dx, mag
}

func refBackwardWeight(g *Geom, dy, x []float64) (dw, mag []float64) {
	OH, OW := g.OutH(), g.OutW()
	cg, kg := g.C/g.Groups, g.K/g.Groups
	dw = make([]float64, g.K*cg*g.R*g.S)
	mag = make([]float64, len(dw))
	for k := range g.K {
		grp := k / kg
		for c := range cg {
			for ky := range g.R {
				for kx := range g.S {
					var s, m float64
					for n := range g.N {
						for oy := range OH {
							for ox := range OW {
								iy := oy*g.StrideH - g.PadH + ky*g.DilH
								ix := ox*g.StrideW - g.PadW + kx*g.DilW
								v := dy[((n*g.K+k)*OH+oy)*OW+ox] * at(x, g.C, g.H, g.W, n, grp*cg+c, iy, ix)
								s += v
								m += abs(v)
							}
						}
					}
					i := ((k*cg+c)*g.R+ky)*g.S + kx
					dw[i], mag[i] = s, m
				}
			}
		}
	}
	return dw, mag
}

func refBackwardBias(g *Geom, dy []float64) (db, mag []float64) {
	P := g.OutH() * g.OutW()
	db = make([]float64, g.K)
	mag = make([]float64, g.K)
	for n := range g.N {
		for k := range g.K {
			for _, v := range dy[(n*g.K+k)*P : (n*g.K+k+1)*P] {
				db[k] += v
				mag[k] += abs(v)
			}
		}
	}
	return db, mag
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
