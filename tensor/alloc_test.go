package tensor_test

import (
	"testing"

	"backprop/tensor"
)

// TestToAllocatesNothing checks the destination-first functions that
// allocate nothing for same-shape float32 operands, as a training loop
// needs. Functions that still allocate (index bookkeeping in the general
// broadcasting loop and shape checks) are in TestToAllocationsKnown.
func TestToAllocatesNothing(t *testing.T) {
	f := tensor.Float32
	a := tensor.Uniform(newRNG(1), f, 0.5, 2, 8, 16)
	b := tensor.Uniform(newRNG(2), f, 0.5, 2, 8, 16)
	d := tensor.Zeros(f, 8, 16)

	cases := map[string]func(){
		"CopyTo":       func() { tensor.CopyTo(d, a) },
		"Fill":         func() { d.Fill(1) },
		"Zero":         func() { d.Zero() },
		"ReduceTo":     func() { tensor.ReduceTo(d, a) }, // same shape: a copy
		"SoftmaxTo":    func() { tensor.SoftmaxTo(d, a, 1) },
		"LogSoftmaxTo": func() { tensor.LogSoftmaxTo(d, a, 0) },
	}
	for _, tc := range unaryCases() {
		cases[tc.name+"To"] = func() { tc.to(d, a) }
		cases[tc.name+"To in place"] = func() { tc.to(d, d) }
	}
	for _, tc := range binaryCases() {
		cases[tc.name+"To"] = func() { tc.to(d, a, b) }
		cases[tc.name+"To in place"] = func() { tc.to(d, d, b) }
	}
	for name, fn := range cases {
		if n := testing.AllocsPerRun(20, fn); n != 0 {
			t.Errorf("%s allocates %v times per call", name, n)
		}
	}
}

// TestToAllocationsKnown logs the allocations of the destination-first
// functions that still allocate, so that a faster implementation can see
// what it has to remove. It asserts nothing.
func TestToAllocationsKnown(t *testing.T) {
	f := tensor.Float32
	a, b := tensor.Ones(f, 8, 16), tensor.Ones(f, 8, 16)
	d := tensor.Zeros(f, 8, 16)
	row, rowd := tensor.Ones(f, 16), tensor.Zeros(f, 16)
	sq, sqd := tensor.Ones(f, 16, 16), tensor.Zeros(f, 16, 16)
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7}
	col := tensor.Zeros(f, 8)
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"AddTo (broadcast [8 16]+[16])", func() { tensor.AddTo(d, a, row) }},
		{"WhereTo (same shapes)", func() { tensor.WhereTo(d, a, a, b) }},
		{"BroadcastTo", func() { tensor.BroadcastTo(d, row) }},
		{"ReduceTo (broadcast)", func() { tensor.ReduceTo(rowd, a) }},
		{"SumTo axis 0", func() { tensor.SumTo(rowd, a, 0) }},
		{"MeanTo axis 0", func() { tensor.MeanTo(rowd, a, 0) }},
		{"MaxTo axis 0", func() { tensor.MaxTo(rowd, a, 0) }},
		{"MatMulTo 16×16×16", func() { tensor.MatMulTo(sqd, sq, sq, false, false) }},
		{"PermuteTo", func() { tensor.PermuteTo(sqd, sq, 1, 0) }},
		{"SliceTo", func() { tensor.SliceTo(d, a, 0, 0, 8) }},
		{"SetSlice", func() { tensor.SetSlice(d, a, 0, 0) }},
		{"IndexSelectTo", func() { tensor.IndexSelectTo(d, a, 0, idx) }},
		{"IndexAdd", func() { tensor.IndexAdd(d, 0, idx, a) }},
		{"ConcatTo", func() { tensor.ConcatTo(d, 0, a) }},
		{"PickTo", func() { tensor.PickTo(col, a, idx) }},
	} {
		t.Logf("%-30s %v allocations per call", tc.name, testing.AllocsPerRun(20, tc.fn))
	}
}
