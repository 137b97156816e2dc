package expr

import (
	"errors"
	"math"
	"slices"
	"testing"

	"backprop/tensor"
)

func TestParseValue(t *testing.T) {
	tests := []struct {
		src   string
		shape []int
		data  []float64
	}{
		{"-2", nil, []float64{-2}},
		{"+2", nil, []float64{2}},
		{"1e-3", nil, []float64{0.001}},
		{" .5 ", nil, []float64{0.5}},
		{"[3]", []int{1}, []float64{3}},
		{"[1,2,3]", []int{3}, []float64{1, 2, 3}},
		{"[[0.1,0.5],[-0.3,0.8]]", []int{2, 2}, []float64{0.1, 0.5, -0.3, 0.8}},
		{" [ [ 1 , 2 , 3 ] ,\n [ 4 , 5 , 6 ] ] ", []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}},
		{"[[1],[2]]", []int{2, 1}, []float64{1, 2}},
		{"[[[1,2]],[[3,4]]]", []int{2, 1, 2}, []float64{1, 2, 3, 4}},
		{"-Inf", nil, []float64{math.Inf(-1)}},
		{"[inf, +Inf, -infinity]", []int{3}, []float64{math.Inf(1), math.Inf(1), math.Inf(-1)}},
	}
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
		for _, tt := range tests {
			v, err := ParseValue(tt.src, dt)
			if err != nil {
				t.Errorf("ParseValue(%q, %v): %v", tt.src, dt, err)
				continue
			}
			want := tt.data
			if dt == tensor.Float32 {
				want = make([]float64, len(tt.data))
				for i, x := range tt.data {
					want[i] = float64(float32(x))
				}
			}
			if v.DType() != dt || !slices.Equal(v.Shape(), tt.shape) || !slices.Equal(v.Values(), want) {
				t.Errorf("ParseValue(%q, %v) = %v %v %v, want %v %v", tt.src, dt, v.DType(), v.Shape(), v.Values(), tt.shape, want)
			}
		}
	}
	v, err := ParseValue("nan", tensor.Float64)
	if err != nil || v.Dims() != 0 || !math.IsNaN(v.Item()) {
		t.Errorf(`ParseValue("nan") = %v, %v; want NaN`, v, err)
	}
}

func TestParseValueErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", `col 1: expected a number or "[", found end of input`},
		{"abc", `col 1: expected a number or "[", found "abc"`},
		{"1 2", `col 3: unexpected "2" after value`},
		{"[1,2", `col 5: expected "," or "]", found end of input`},
		{"[1 2]", `col 4: expected "," or "]", found "2"`},
		{"[1,,2]", `col 4: expected a number or "[", found ","`},
		{"[1,2,]", `col 6: expected a number or "[", found "]"`},
		{"[]", "col 1: empty list"},
		{"[[1],[]]", "col 6: empty list"},
		{"[[1,2],[3]]", "col 8: ragged list: a list of 1 number where a list of 2 numbers was expected"},
		{"[[1,2],3]", "col 8: ragged list: a number where a list of 2 numbers was expected"},
		{"[1,[2]]", "col 4: ragged list: a list of 1 number where a number was expected"},
		{"[[[1]],[[1],[2]]]", "col 8: ragged list: a list of shape [2 1] where a list of shape [1 1] was expected"},
		{"[1,x]", `col 4: expected a number or "[", found "x"`},
		{"[1,2]]", `col 6: unexpected "]" after value`},
		{"1.2.3", `col 1: malformed number "1.2.3"`},
		{"- 2", `col 2: expected a number or "[", found " "`},
		{"1e999", "col 1: number 1e999 is out of range"},
		{"[é]", `col 2: expected a number or "[", found "é"`},
	}
	for _, tt := range tests {
		v, err := ParseValue(tt.src, tensor.Float64)
		if err == nil {
			t.Errorf("ParseValue(%q) = %v, want error %q", tt.src, v, tt.want)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseValue(%q): error %T, want *SyntaxError", tt.src, err)
		}
		if err.Error() != tt.want {
			t.Errorf("ParseValue(%q): error %q, want %q", tt.src, err, tt.want)
		}
	}
	if _, err := ParseValue("[1, -1e39]", tensor.Float32); err == nil || err.Error() != "col 5: number -1e39 is out of range for float32" {
		t.Errorf("ParseValue(-1e39, float32): error %v", err)
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		t    *tensor.Tensor
		want string
	}{
		{tensor.Scalar(tensor.Float64, 0.7310585786300049), "0.7310585786300049"},
		{tensor.Scalar(tensor.Float32, 0.1), "0.1"},
		{tensor.FromSlice([]float64{1, 2, 3, 4}, 2, 2), "[[1, 2], [3, 4]]"},
		{tensor.FromSlice([]float64{1, 2}, 2, 1), "[[1], [2]]"},
		{tensor.FromSlice([]float64{math.NaN(), math.Inf(1), math.Inf(-1)}), "[NaN, +Inf, -Inf]"},
		{tensor.FromSlice([]float32{0.1, 1e-7}), "[0.1, 1e-07]"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.t); got != tt.want {
			t.Errorf("FormatValue(%v) = %s, want %s", tt.t, got, tt.want)
		}
	}
}

func FuzzParseValue(f *testing.F) {
	for _, s := range []string{
		"-2", "1e-3", ".5", "[1,2,3]", "[[0.1,0.5],[-0.3,0.8]]", " [ [1] , [2] ] ",
		"[[[1,2]],[[3,4]]]", "NaN", "-Inf", "[+inf, 1e308]", "3.4028235e38",
		// invalid
		"", "[", "[]", "[[1,2],[3]]", "[1,,2]", "abc", "1 2", "1e999", "[1,[2]]", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
			v, err := ParseValue(src, dt)
			if err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("ParseValue(%q): error %T, want *SyntaxError", src, err)
				}
				if se.Col < 1 || se.Col > len([]rune(src))+1 {
					t.Fatalf("ParseValue(%q): column %d out of range", src, se.Col)
				}
				continue
			}
			s := FormatValue(v)
			v2, err := ParseValue(s, dt)
			if err != nil {
				t.Fatalf("ParseValue(%q) formats as %q, which does not parse: %v", src, s, err)
			}
			if s2 := FormatValue(v2); s2 != s || !slices.Equal(v2.Shape(), v.Shape()) {
				t.Fatalf("ParseValue(%q) formats as %q, reparsed as %q", src, s, s2)
			}
		}
	})
}
