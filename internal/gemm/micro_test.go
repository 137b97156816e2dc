package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestMicroTile(t *testing.T) {
	testMicroTile[float32](t)
	testMicroTile[float64](t)
}

// testMicroTile checks Tile of every micro-kernel against a plain product
// over full and partial tiles, A read with row and column strides, and
// both values of β; C around the block, and C itself when β = 0, holds
// the guard NaN, which must stay where it is and not reach the result.
func testMicroTile[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	us := Micros[T]()
	if len(us) == 0 || us[len(us)-1].Name() == "" {
		t.Fatal("no micro-kernels")
	}
	for _, u := range us {
		mr, nr := u.Mr(), u.Nr()
		for _, k := range []int{1, 3, 17, u.Kc() + 5} {
			for _, mb := range []int{1, mr - 1, mr} {
				for _, nb := range []int{1, nr/2 + 1, nr} {
					if mb < 1 {
						continue
					}
					for _, beta := range []T{0, 1, -0.5} {
						// A transposed in memory (rsa = 1, csa = mr+3) or
						// by rows (rsa = k+2, csa = 1).
						for _, byRows := range []bool{false, true} {
							rsa, csa := 1, mr+3
							if byRows {
								rsa, csa = k+2, 1
							}
							a := make([]T, (mr-1)*rsa+(k-1)*csa+1)
							for i := range a {
								a[i] = T(rng.Float64()*2 - 1)
							}
							rsb := nr + 2
							b := make([]T, (k-1)*rsb+nr)
							for i := range b {
								b[i] = T(rng.Float64()*2 - 1)
							}
							ldc := nb + 3
							c := make([]T, mb*ldc+guard)
							for i := range c {
								c[i] = nan[T]()
							}
							c0 := make([]T, len(c))
							for i := range mb {
								for j := range nb {
									if beta != 0 {
										c[i*ldc+j] = T(rng.Float64())
									}
								}
							}
							copy(c0, c)
							alpha := T(1.5)
							u.Tile(k, a, rsa, csa, b, rsb, c, ldc, mb, nb, alpha, beta, make([]T, mr*nr))
							what := fmt.Sprintf("%s k=%d mb=%d nb=%d β=%v byRows=%v", u.Name(), k, mb, nb, beta, byRows)
							for i := range len(c) / ldc {
								for j := range ldc {
									got := c[i*ldc+j]
									if i >= mb || j >= nb {
										if !isSentinel(got) {
											t.Fatalf("%s: C[%d][%d] outside the block written: %v", what, i, j, got)
										}
										continue
									}
									var want float64
									for p := range k {
										want += float64(a[i*rsa+p*csa]) * float64(b[p*rsb+j])
									}
									want *= float64(alpha)
									if beta != 0 {
										want += float64(beta) * float64(c0[i*ldc+j])
									}
									if d := math.Abs(float64(got) - want); !(d <= 1e-4*float64(k)) {
										t.Fatalf("%s: C[%d][%d] = %v, want %v", what, i, j, got, want)
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

func TestMicroForAndPanics(t *testing.T) {
	u := MicroFor[float32](1000)
	if u.Name() != Kernel[float32]() {
		t.Errorf("MicroFor(1000) is %s, Gemm uses %s", u.Name(), Kernel[float32]())
	}
	if n := MicroFor[float64](4); narrow64 != nil && n.Name() != narrow64.name {
		t.Errorf("MicroFor(4) is %s, want the narrow kernel", n.Name())
	}
	mr, nr := u.Mr(), u.Nr()
	a, b, c := make([]float32, mr*4), make([]float32, 4*nr), make([]float32, mr*nr)
	cases := []func(){
		func() { u.Tile(0, a, 1, mr, b, nr, c, nr, mr, nr, 1, 0, c) },     // k = 0
		func() { u.Tile(4, a, 1, mr, b, nr, c, nr, mr+1, nr, 1, 0, c) },   // mb > Mr
		func() { u.Tile(5, a, 1, mr, b, nr, c, nr, mr, nr, 1, 0, c) },     // a too short
		func() { u.Tile(4, a, 1, mr, b[1:], nr, c, nr, mr, nr, 1, 0, c) }, // b too short
		func() { u.Tile(4, a, 1, mr, b, nr, c[1:], nr, mr, nr, 1, 0, c) }, // c too short
	}
	if !u.kr.edges {
		cases = append(cases, func() { u.Tile(4, a, 1, mr, b, nr, c, nr, mr, nr-1, 1, 0, c[:1]) }) // tmp too short
	}
	for i, f := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("case %d: no panic", i)
				}
			}()
			f()
		}()
	}
}
