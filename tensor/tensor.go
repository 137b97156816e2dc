package tensor

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unsafe"
)

// DType is the element type of a tensor, chosen at run time.
type DType uint8

const (
	// Float32 is the default element type: the zero value of DType.
	Float32 DType = iota
	// Float64 is double precision, used for gradient checking.
	Float64
)

// String returns "float32" or "float64".
func (dt DType) String() string {
	switch dt {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	}
	return fmt.Sprintf("DType(%d)", uint8(dt))
}

// Size returns the size of one element in bytes.
func (dt DType) Size() int {
	if dt == Float64 {
		return 8
	}
	return 4
}

// ParseDType returns the DType named s ("float32" or "float64").
func ParseDType(s string) (DType, error) {
	switch s {
	case "float32":
		return Float32, nil
	case "float64":
		return Float64, nil
	}
	return 0, fmt.Errorf("unknown dtype %q (want float32 or float64)", s)
}

// Tensor is a dense n-dimensional array stored contiguously in row-major
// order. A tensor with no dimensions is a scalar holding one element.
//
// Tensors returned by Reshape share storage with their source; every other
// operation writes a destination that the caller either passes in (XxxTo) or
// receives freshly allocated.
type Tensor struct {
	// data points at n elements of dtype; s32 and s64 view them as a
	// slice. One untyped pointer instead of a slice per dtype keeps the
	// header at 64 bytes, which matters when a graph holds millions of
	// scalars.
	data  unsafe.Pointer
	n     int
	shape []int // nil for a scalar
	dtype DType
	// arena is the Arena that made t and recycles it, nil for ordinary
	// memory; results computed from t are made there too.
	arena *Arena
	// one holds the element of a one-element tensor, so that a scalar
	// costs one allocation.
	one float64
}

// s32 returns the storage of a Float32 tensor.
func (t *Tensor) s32() []float32 { return unsafe.Slice((*float32)(t.data), t.n) }

// s64 returns the storage of a Float64 tensor.
func (t *Tensor) s64() []float64 { return unsafe.Slice((*float64)(t.data), t.n) }

// Error is the value this package panics with on a programming error such
// as a shape mismatch. Its message names the operation and the shapes.
type Error struct {
	Op  string
	Msg string
}

func (e *Error) Error() string { return "tensor: " + e.Op + ": " + e.Msg }

func panicf(op, format string, args ...any) {
	panic(&Error{Op: op, Msg: fmt.Sprintf(format, args...)})
}

// numel returns the number of elements of shape, panicking on a negative
// dimension or on a shape whose size, in elements or in bytes of Float64,
// does not fit in an int: refused here, rather than wrapped around into a
// small allocation.
func numel(op string, shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panicf(op, "negative dimension in shape %v", slices.Clone(shape))
		}
		if d != 0 && n > maxElements/d {
			for _, d := range shape {
				if d == 0 {
					return 0
				}
			}
			panicf(op, "shape %v has more than %d elements", slices.Clone(shape), maxElements)
		}
		n *= d
	}
	return n
}

// maxElements bounds the size of a tensor: its bytes must be countable in
// an int.
const maxElements = math.MaxInt / 8

// alloc returns a zeroed tensor of the given dtype and shape in ordinary
// memory: the constructors' allocation.
func alloc(op string, dt DType, shape []int) *Tensor { return allocIn(nil, op, dt, shape, true) }

// allocIn returns a tensor of the given dtype and shape made in a (in
// ordinary memory if a is nil). A recycled tensor is zeroed only if zero
// is set: results that overwrite every element pass false.
func allocIn(a *Arena, op string, dt DType, shape []int, zero bool) *Tensor {
	if dt != Float32 && dt != Float64 {
		panicf(op, "invalid dtype %v", dt)
	}
	n := numel(op, shape)
	if a != nil {
		return a.get(dt, n, shape, zero)
	}
	return newTensor(dt, n, shape)
}

// New returns a zero-filled tensor; it is the same as Zeros.
func New(dt DType, shape ...int) *Tensor { return alloc("New", dt, shape) }

// Zeros returns a tensor of the given shape filled with zeros.
func Zeros(dt DType, shape ...int) *Tensor { return alloc("Zeros", dt, shape) }

// Ones returns a tensor of the given shape filled with ones.
func Ones(dt DType, shape ...int) *Tensor { return Full(dt, 1, shape...) }

// Full returns a tensor of the given shape with every element set to v.
func Full(dt DType, v float64, shape ...int) *Tensor {
	t := alloc("Full", dt, shape)
	t.Fill(v)
	return t
}

// Scalar returns a 0-dimensional tensor holding v.
func Scalar(dt DType, v float64) *Tensor {
	t := alloc("Scalar", dt, nil)
	t.Fill(v)
	return t
}

// ZerosLike returns a zero tensor with the dtype and shape of t, made where
// t was (in t's Arena, if it has one).
func ZerosLike(t *Tensor) *Tensor { return allocIn(t.arena, "ZerosLike", t.dtype, t.shape, true) }

// NewLike returns a zero tensor of the given shape with t's dtype, made
// where t was (in t's Arena, if it has one): the scratch or result of a
// computation on t.
func NewLike(t *Tensor, shape ...int) *Tensor {
	return allocIn(t.arena, "NewLike", t.dtype, shape, true)
}

// ScalarLike returns a 0-d tensor holding v with t's dtype, made where t
// was (in t's Arena, if it has one).
func ScalarLike(t *Tensor, v float64) *Tensor {
	s := allocIn(t.arena, "ScalarLike", t.dtype, nil, false)
	s.set(0, v)
	return s
}

// Float is the set of Go element types a tensor can hold.
type Float interface{ ~float32 | ~float64 }

// FromSlice returns a tensor of the given shape holding a copy of data. The
// dtype follows the element type of data (float32 or float64). With no shape
// the result is 1-d of length len(data); use Scalar for a 0-d tensor.
func FromSlice[T Float](data []T, shape ...int) *Tensor {
	if shape == nil {
		shape = []int{len(data)}
	}
	// The size of T, not a type switch, so that a named float32 type also
	// gives Float32.
	dt := Float64
	if unsafe.Sizeof(T(0)) == 4 {
		dt = Float32
	}
	t := alloc("FromSlice", dt, shape)
	if t.Len() != len(data) {
		panicf("FromSlice", "%d values do not fill shape %v (%d elements)", len(data), shape, t.Len())
	}
	switch d := any(data).(type) {
	case []float32:
		copy(t.s32(), d)
	case []float64:
		copy(t.s64(), d)
	default:
		// Named float types: convert element by element.
		for i, v := range data {
			t.set(i, float64(v))
		}
	}
	return t
}

// Arange returns the 1-d tensor start, start+step, … up to but excluding stop.
func Arange(dt DType, start, stop, step float64) *Tensor {
	if step == 0 || math.IsNaN(step) || math.IsNaN(start) || math.IsNaN(stop) ||
		math.IsInf(start, 0) || math.IsInf(stop, 0) {
		panicf("Arange", "bad range start=%v stop=%v step=%v", start, stop, step)
	}
	n := int(math.Ceil((stop - start) / step))
	if n < 0 {
		n = 0
	}
	t := alloc("Arange", dt, []int{n})
	for i := 0; i < n; i++ {
		t.set(i, start+float64(i)*step)
	}
	return t
}

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Shape returns the dimensions. The slice belongs to the tensor: do not
// modify it.
func (t *Tensor) Shape() []int { return t.shape }

// Dims returns the number of dimensions (0 for a scalar).
func (t *Tensor) Dims() int { return len(t.shape) }

// Dim returns the size of axis i; negative i counts from the end.
func (t *Tensor) Dim(i int) int { return t.shape[normAxis("Dim", i, len(t.shape))] }

// Len returns the number of elements.
func (t *Tensor) Len() int {
	return t.n
}

// Strides returns the row-major strides in elements. Tensors are always
// contiguous, so the last stride is 1.
func (t *Tensor) Strides() []int { return stridesOf(t.shape) }

func stridesOf(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// Float32s returns the underlying storage of a Float32 tensor.
// It panics for another dtype.
func (t *Tensor) Float32s() []float32 {
	if t.dtype != Float32 {
		panicf("Float32s", "tensor is %v", t.dtype)
	}
	return t.s32()
}

// Float64s returns the underlying storage of a Float64 tensor.
// It panics for another dtype.
func (t *Tensor) Float64s() []float64 {
	if t.dtype != Float64 {
		panicf("Float64s", "tensor is %v", t.dtype)
	}
	return t.s64()
}

// Values returns a copy of the elements as float64 in row-major order.
func (t *Tensor) Values() []float64 {
	out := make([]float64, t.Len())
	for i := range out {
		out[i] = t.get(i)
	}
	return out
}

func (t *Tensor) get(i int) float64 {
	if t.dtype == Float32 {
		return float64(t.s32()[i])
	}
	return t.s64()[i]
}

func (t *Tensor) set(i int, v float64) {
	if t.dtype == Float32 {
		t.s32()[i] = float32(v)
	} else {
		t.s64()[i] = v
	}
}

// offset returns the flat index of idx, panicking when it is out of range.
func (t *Tensor) offset(op string, idx []int) int {
	if len(idx) != len(t.shape) {
		panicf(op, "%d indices for shape %v", len(idx), t.shape)
	}
	off := 0
	for i, x := range idx {
		if x < 0 || x >= t.shape[i] {
			panicf(op, "index %v out of range for shape %v", idx, t.shape)
		}
		off = off*t.shape[i] + x
	}
	return off
}

// At returns the element at the given index.
func (t *Tensor) At(idx ...int) float64 { return t.get(t.offset("At", idx)) }

// Set stores v at the given index.
func (t *Tensor) Set(v float64, idx ...int) { t.set(t.offset("Set", idx), v) }

// Flat returns element i of the row-major storage.
func (t *Tensor) Flat(i int) float64 { return t.get(i) }

// SetFlat stores v as element i of the row-major storage.
func (t *Tensor) SetFlat(i int, v float64) { t.set(i, v) }

// Item returns the only element of a tensor with one element.
func (t *Tensor) Item() float64 {
	if t.Len() != 1 {
		panicf("Item", "tensor of shape %v has %d elements, not 1", t.shape, t.Len())
	}
	return t.get(0)
}

// Fill sets every element to v and returns t.
func (t *Tensor) Fill(v float64) *Tensor {
	if t.dtype == Float32 {
		f := float32(v)
		d := t.s32()
		for i := range d {
			d[i] = f
		}
	} else {
		d := t.s64()
		for i := range d {
			d[i] = v
		}
	}
	return t
}

// Zero sets every element to 0 and returns t.
func (t *Tensor) Zero() *Tensor {
	if t.dtype == Float32 {
		clear(t.s32())
	} else {
		clear(t.s64())
	}
	return t
}

// Clone returns a deep copy in ordinary memory, never in an Arena: the way
// to keep a result past its arena's Release.
func (t *Tensor) Clone() *Tensor {
	c := allocIn(nil, "Clone", t.dtype, t.shape, false)
	copyData(c, t)
	return c
}

// Copy returns a deep copy made where t was (in t's Arena, if it has one).
func (t *Tensor) Copy() *Tensor {
	c := allocIn(t.arena, "Copy", t.dtype, t.shape, false)
	copyData(c, t)
	return c
}

// As returns t converted to dtype dt (t itself when it already is), made
// where t was.
func (t *Tensor) As(dt DType) *Tensor {
	if t.dtype == dt {
		return t
	}
	c := allocIn(t.arena, "As", dt, t.shape, false)
	for i := 0; i < t.Len(); i++ {
		c.set(i, t.get(i))
	}
	return c
}

// CopyTo copies src into dst, which must have the same shape, converting the
// dtype if needed, and returns dst.
func CopyTo(dst, src *Tensor) *Tensor {
	if !SameShape(dst.shape, src.shape) {
		panicf("CopyTo", "shapes %v and %v differ", dst.shape, src.shape)
	}
	if dst.dtype == src.dtype {
		copyData(dst, src)
		return dst
	}
	for i := 0; i < src.Len(); i++ {
		dst.set(i, src.get(i))
	}
	return dst
}

// Reshape returns a view of t with a new shape holding the same number of
// elements; one dimension may be -1 and is then inferred. The view shares
// storage with t, and belongs to t's Arena if t does.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	n := t.Len()
	infer := -1
	known := 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panicf("Reshape", "bad shape %v", slices.Clone(shape))
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			panicf("Reshape", "cannot reshape %v (%d elements) to %v", t.shape, n, slices.Clone(shape))
		}
		s := append([]int(nil), shape...)
		s[infer] = n / known
		shape = s
	} else if known != n {
		panicf("Reshape", "cannot reshape %v (%d elements) to %v", t.shape, n, slices.Clone(shape))
	}
	if t.arena != nil {
		return t.arena.view(t, shape)
	}
	v := new(Tensor)
	v.dtype, v.data, v.n = t.dtype, t.data, t.n
	if len(shape) > 0 {
		v.shape = append(make([]int, 0, len(shape)), shape...)
	}
	return v
}

// SameShape reports whether two shapes are equal.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Equal reports whether a and b have the same dtype, shape and elements.
func Equal(a, b *Tensor) bool {
	if a.dtype != b.dtype || !SameShape(a.shape, b.shape) {
		return false
	}
	for i := 0; i < a.Len(); i++ {
		if a.get(i) != b.get(i) {
			return false
		}
	}
	return true
}

// AllClose reports whether a and b have the same shape and every pair of
// elements satisfies |a−b| ≤ atol + rtol·|b|. Equal infinities are close;
// an infinity is not close to anything else, and NaN to nothing.
func AllClose(a, b *Tensor, rtol, atol float64) bool {
	if !SameShape(a.shape, b.shape) {
		return false
	}
	for i := 0; i < a.Len(); i++ {
		x, y := a.get(i), b.get(i)
		if x == y {
			continue // also equal infinities
		}
		if math.IsInf(x, 0) || math.IsInf(y, 0) || math.IsNaN(x) || math.IsNaN(y) || math.Abs(x-y) > atol+rtol*math.Abs(y) {
			return false
		}
	}
	return true
}

// String formats the tensor as nested brackets, e.g. [[1 2] [3 4]].
func (t *Tensor) String() string {
	var sb strings.Builder
	var rec func(dim, off int)
	rec = func(dim, off int) {
		if dim == len(t.shape) {
			// Shortest representation at the tensor's own precision, so
			// that float32(0.1) prints as 0.1.
			sb.WriteString(strconv.FormatFloat(t.get(off), 'g', -1, 8*t.dtype.Size()))
			return
		}
		stride := 1
		for _, d := range t.shape[dim+1:] {
			stride *= d
		}
		sb.WriteByte('[')
		for i := 0; i < t.shape[dim]; i++ {
			if i > 0 {
				sb.WriteByte(' ')
			}
			rec(dim+1, off+i*stride)
		}
		sb.WriteByte(']')
	}
	rec(0, 0)
	return sb.String()
}

// normAxis turns a possibly negative axis into an index in [0, dims).
func normAxis(op string, axis, dims int) int {
	a := axis
	if a < 0 {
		a += dims
	}
	if a < 0 || a >= dims {
		panicf(op, "axis %d out of range for %d dimensions", axis, dims)
	}
	return a
}

// checkDst panics unless dst has dtype dt and the given shape.
func checkDst(op string, dst *Tensor, dt DType, shape []int) {
	if dst.dtype != dt {
		panicf(op, "destination is %v, operands are %v", dst.dtype, dt)
	}
	if !SameShape(dst.shape, shape) {
		// Clones, so that shape does not escape: callers pass shapes
		// built on their stacks.
		panicf(op, "destination shape %v, want %v", slices.Clone(dst.shape), slices.Clone(shape))
	}
}

// sameDType2 is sameDType for two operands, without the variadic slice
// that the hot binary operations would otherwise build on every call.
func sameDType2(op string, a, b *Tensor) DType {
	if a.dtype != b.dtype {
		panicf(op, "mixed dtypes %v and %v", a.dtype, b.dtype)
	}
	return a.dtype
}

func sameDType(op string, ts ...*Tensor) DType {
	dt := ts[0].dtype
	for _, t := range ts[1:] {
		if t.dtype != dt {
			panicf(op, "mixed dtypes %v and %v", dt, t.dtype)
		}
	}
	return dt
}

// copyData copies the elements of src into dst, which has the same dtype
// and length.
func copyData(dst, src *Tensor) {
	if dst.dtype == Float32 {
		copy(dst.s32(), src.s32())
	} else {
		copy(dst.s64(), src.s64())
	}
}
