package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"slices"
	"sort"
	"strings"

	"backprop/tensor"
)

// MaxHeader bounds the JSON header ReadSafetensors accepts (100 MB, as the
// reference implementation does).
const MaxHeader = 100 << 20

// This file reads and writes the safetensors format:
//
//	8 bytes    N, the length of the header, little-endian uint64
//	N bytes    a JSON object: for every tensor, its name mapped to
//	           {"dtype": "F32"|"F64", "shape": [...], "data_offsets": [begin, end]},
//	           and optionally "__metadata__", a map of strings to strings;
//	           padded with spaces to a multiple of 8 bytes
//	the data   every tensor's elements, little-endian, row-major, at
//	           [begin, end) counted from the end of the header, with no gaps
//
// WriteSafetensors adds to the metadata a checksum of the data,
// "checksum": "crc32c:xxxxxxxx" (CRC-32C, Castagnoli, of every byte after
// the header, in hexadecimal), and ReadSafetensors verifies it. A file
// without the key — written by an older version of this package or by
// another program, such as PyTorch's safetensors — is read without the
// check: the tiling and size checks still apply. The checksum guards
// against corruption (a torn copy, a flipped bit), not against a forger,
// who can recompute it.

// ChecksumKey is the metadata key of the data checksum.
const ChecksumKey = "checksum"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksum formats the CRC-32C c as the value of ChecksumKey.
func checksum(c uint32) string { return fmt.Sprintf("crc32c:%08x", c) }

type tensorInfo struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// WriteSafetensors writes the tensors of params, in order, with the given
// metadata (which may be nil) and the checksum of the data under
// ChecksumKey.
func WriteSafetensors(w io.Writer, params []Parameter, meta map[string]string) error {
	header := map[string]any{}
	var off int64
	for _, p := range params {
		t := p.Var.Value
		dt := "F32"
		if t.DType() == tensor.Float64 {
			dt = "F64"
		}
		if _, dup := header[p.Name]; dup || p.Name == "__metadata__" {
			panic(fmt.Sprintf("nn: WriteSafetensors: duplicate or reserved name %q", p.Name))
		}
		n := int64(t.Len() * t.DType().Size())
		shape := t.Shape()
		if shape == nil {
			shape = []int{}
		}
		header[p.Name] = tensorInfo{DType: dt, Shape: shape, Offsets: [2]int64{off, off + n}}
		off += n
	}
	data := make([]byte, 0, int(off))
	for _, p := range params {
		t := p.Var.Value
		if t.DType() == tensor.Float64 {
			for _, v := range t.Float64s() {
				data = binary.LittleEndian.AppendUint64(data, math.Float64bits(v))
			}
		} else {
			for _, v := range t.Float32s() {
				data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
			}
		}
	}
	md := make(map[string]string, len(meta)+1)
	for k, v := range meta {
		md[k] = v
	}
	md[ChecksumKey] = checksum(crc32.Checksum(data, castagnoli))
	header["__metadata__"] = md
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	buf := make([]byte, 8, 8+len(h))
	binary.LittleEndian.PutUint64(buf, uint64(len(h)))
	buf = append(buf, h...)
	if _, err := w.Write(buf); err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// State is the content of a safetensors file.
type State struct {
	// Names lists the tensors in the order of their data in the file.
	Names    []string
	Tensors  map[string]*tensor.Tensor
	Metadata map[string]string
}

// SafetensorsError is a problem in a safetensors file: its name, the byte
// offset from the start of the file, and what is wrong there.
type SafetensorsError struct {
	Name   string
	Offset int64
	Msg    string
}

func (e *SafetensorsError) Error() string {
	return fmt.Sprintf("safetensors: %s: offset %d: %s", e.Name, e.Offset, e.Msg)
}

// ReadSafetensors reads a safetensors file holding F32 or F64 tensors;
// name is used in errors only. It checks that every tensor's byte range
// matches its shape and dtype, that the ranges tile the data without gaps
// or overlaps, and, where the metadata has one, the checksum of the data
// (see ChecksumKey).
//
// A hostile file cannot make it allocate much more than the file's size:
// the header is bounded by MaxHeader and read as it arrives, and a
// tensor's elements are allocated only once its bytes have been read.
// When r knows its size (an *os.File, a *bytes.Reader or anything with a
// Size method), the header length and the data are also checked against
// it up front, and bytes after the last tensor are an error.
func ReadSafetensors(r io.Reader, name string) (*State, error) {
	fail := func(off int64, format string, args ...any) (*State, error) {
		return nil, &SafetensorsError{name, off, fmt.Sprintf(format, args...)}
	}
	size := int64(-1) // the file's size, when r can tell
	switch f := r.(type) {
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	case interface{ Size() int64 }:
		size = f.Size()
	}
	if size >= 0 {
		// Only what is left from the current position counts.
		if s, ok := r.(io.Seeker); ok {
			if cur, err := s.Seek(0, io.SeekCurrent); err == nil && cur <= size {
				size -= cur
			}
		}
	}
	var lenBuf [8]byte
	if n, err := io.ReadFull(r, lenBuf[:]); err != nil {
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			return fail(int64(n), "%v", err)
		}
		return fail(int64(n), "truncated header length")
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen > MaxHeader {
		return fail(0, "header length %d exceeds %d", hlen, MaxHeader)
	}
	if size >= 0 && int64(hlen) > size-8 {
		return fail(0, "header length %d exceeds the %d bytes after it in the file", hlen, size-8)
	}
	h, err := io.ReadAll(io.LimitReader(r, int64(hlen)))
	if err != nil || uint64(len(h)) < hlen {
		return fail(8+int64(len(h)), "truncated header: %d of %d bytes", len(h), hlen)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(h, &raw); err != nil {
		off := int64(8)
		if se, ok := err.(*json.SyntaxError); ok {
			off += se.Offset
		}
		return fail(off, "header: %v", err)
	}
	st := &State{Tensors: map[string]*tensor.Tensor{}}
	type entry struct {
		name string
		info tensorInfo
	}
	var entries []entry
	for k, v := range raw {
		if k == "__metadata__" {
			if err := json.Unmarshal(v, &st.Metadata); err != nil {
				return fail(8, "header: __metadata__: %v", err)
			}
			continue
		}
		var info tensorInfo
		d := json.NewDecoder(bytesReader(v))
		d.DisallowUnknownFields()
		if err := d.Decode(&info); err != nil {
			return fail(8, "header: tensor %q: %v", k, err)
		}
		entries = append(entries, entry{k, info})
	}
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i].info.Offsets, entries[j].info.Offsets
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		return entries[i].name < entries[j].name
	})
	base := 8 + int64(hlen)
	// Check every entry before reading any data, so that a header that
	// announces more than the file holds is refused before anything is
	// allocated for it.
	var pos int64
	sizes := make([]int64, len(entries))
	for i, e := range entries {
		var esize int64
		switch e.info.DType {
		case "F32":
			esize = 4
		case "F64":
			esize = 8
		default:
			return fail(8, "header: tensor %q: dtype %q, want F32 or F64", e.name, e.info.DType)
		}
		n := int64(1)
		for _, d := range e.info.Shape {
			if d < 0 || (d > 0 && n > math.MaxInt32/int64(d)) {
				return fail(8, "header: tensor %q: bad shape %v", e.name, e.info.Shape)
			}
			n *= int64(d)
		}
		b, end := e.info.Offsets[0], e.info.Offsets[1]
		if b != pos || end-b != n*esize {
			return fail(8, "header: tensor %q: data_offsets [%d, %d] for %s%v, want [%d, %d]", e.name, b, end, e.info.DType, e.info.Shape, pos, pos+n*esize)
		}
		if size >= 0 && end > size-base {
			have := max(0, size-base-b)
			return fail(base+b+have, "truncated data of tensor %q: %d of %d bytes", e.name, have, end-b)
		}
		sizes[i] = esize
		pos = end
	}
	if size >= 0 && pos != size-base {
		return fail(base+pos, "%d bytes after the last tensor", size-base-pos)
	}
	crc := crc32.New(castagnoli)
	for i, e := range entries {
		b, end := e.info.Offsets[0], e.info.Offsets[1]
		data, err := io.ReadAll(io.LimitReader(r, end-b))
		if err != nil || int64(len(data)) < end-b {
			return fail(base+b+int64(len(data)), "truncated data of tensor %q: %d of %d bytes", e.name, len(data), end-b)
		}
		crc.Write(data)
		n := (end - b) / sizes[i]
		var t *tensor.Tensor
		if sizes[i] == 4 {
			v := make([]float32, n)
			for i := range v {
				v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
			}
			t = tensor.FromSlice(v, e.info.Shape...)
		} else {
			v := make([]float64, n)
			for i := range v {
				v[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
			}
			t = tensor.FromSlice(v, e.info.Shape...)
		}
		if len(e.info.Shape) == 0 {
			t = t.Reshape()
		}
		st.Names = append(st.Names, e.name)
		st.Tensors[e.name] = t
	}
	if want, ok := st.Metadata[ChecksumKey]; ok {
		if !strings.HasPrefix(want, "crc32c:") {
			return fail(8, "header: __metadata__: checksum %q: unknown scheme (want crc32c:)", want)
		}
		if got := checksum(crc.Sum32()); got != want {
			return fail(base, "the data does not match its checksum: %s, the metadata says %s (the file is corrupt)", got, want)
		}
	}
	return st, nil
}

// Load copies the tensors of st into m's parameters, matching them by
// name; every parameter must be present with its shape, and st must hold
// nothing else. Values are converted to the parameters' dtype.
func (st *State) Load(m Module) error {
	ps := m.Parameters()
	for _, p := range ps {
		t, ok := st.Tensors[p.Name]
		if !ok {
			return fmt.Errorf("no tensor %q", p.Name)
		}
		if !tensor.SameShape(t.Shape(), p.Var.Value.Shape()) {
			return fmt.Errorf("tensor %q has shape %v, the model wants %v", p.Name, t.Shape(), p.Var.Value.Shape())
		}
	}
	if len(ps) != len(st.Tensors) {
		for _, n := range st.Names {
			if !slices.ContainsFunc(ps, func(p Parameter) bool { return p.Name == n }) {
				return fmt.Errorf("unexpected tensor %q", n)
			}
		}
	}
	for _, p := range ps {
		tensor.CopyTo(p.Var.Value, st.Tensors[p.Name])
	}
	return nil
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
