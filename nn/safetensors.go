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

	"backprop/internal/memory"
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
// WriteSafetensors adds to the metadata the checksums of the header and of
// the data, under ChecksumKey:
//
//	"checksum": "crc32c:header=hhhhhhhh,data=dddddddd"
//
// both CRC-32C (Castagnoli) in hexadecimal: dddddddd of every byte after
// the header, hhhhhhhh of the file's first 8+N bytes (the length and the
// header, padding included) as they are with hhhhhhhh written 00000000.
// ReadSafetensors verifies the header's checksum as soon as it has read
// the header, before any of it is interpreted, and the data's once it has
// read the data. One flipped bit anywhere is refused: in the header it
// breaks the JSON, the checksum or the checksum's own text, and a key
// "checksum" damaged so that the checksum seems absent still leaves a
// value starting with "crc32c" under another key, which is refused too.
//
// Files written before the header had its checksum carry
// "checksum": "crc32c:dddddddd", of the data only. They are still read,
// their data verified and their header, like that of a file without
// the key (such as PyTorch's), not: the size checks apply to every file.
// The two forms differ in length, so no flipped bit turns one into the
// other. The checksums guard against corruption (a torn copy, a flipped
// bit), not against a forger, who can recompute them.

// ChecksumKey is the metadata key of the checksums.
const ChecksumKey = "checksum"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksum formats the CRC-32C c as the old, data-only value of
// ChecksumKey, and as the data's part of the current one.
func checksum(c uint32) string { return fmt.Sprintf("crc32c:%08x", c) }

// The value of ChecksumKey is headerScheme, 8 hexadecimal digits,
// dataScheme and 8 more.
const (
	headerScheme = "crc32c:header="
	dataScheme   = ",data="
	checksumLen  = len(headerScheme) + 8 + len(dataScheme) + 8
)

// checksumAt is where the header's checksum sits in a header that
// WriteSafetensors wrote (encoding/json writes no spaces): its digits
// follow this text.
const checksumAt = `"` + ChecksumKey + `":"` + headerScheme

// headerCRC returns the CRC-32C of the length bytes and the header h with
// the 8 digits at h[at:] taken as 0s.
func headerCRC(lenBytes, h []byte, at int) uint32 {
	c := crc32.Update(0, castagnoli, lenBytes)
	c = crc32.Update(c, castagnoli, h[:at])
	c = crc32.Update(c, castagnoli, []byte("00000000"))
	return crc32.Update(c, castagnoli, h[at+8:])
}

// MaxMemory is an optional last argument of ReadSafetensors and of the
// loaders built on it (Load, ReadModel, train.ReadCheckpoint): the most
// memory, in bytes, that reading the file, and building what it
// describes, may take. A file that needs more is refused before its data
// is read. Without it, or with 0, the limit is the memory the machine has
// available.
type MaxMemory int64

// limitOf returns the limit that the optional arguments limit give: the
// last one, or 0 (the memory available) if there is none.
func limitOf(limit []MaxMemory) int64 {
	if len(limit) == 0 {
		return 0
	}
	return int64(limit[len(limit)-1])
}

type tensorInfo struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// WriteSafetensors writes the tensors of params, in order, with the given
// metadata (which may be nil) and the checksums of the header and the
// data under ChecksumKey.
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
	md[ChecksumKey] = headerScheme + "00000000" + dataScheme + fmt.Sprintf("%08x", crc32.Checksum(data, castagnoli))
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
	// A metadata value holding the same text would have its quotes
	// escaped: the text is there once, as the checksum's key and value.
	at := bytes.Index(buf[8:], []byte(checksumAt)) + len(checksumAt)
	if bytes.Count(buf[8:], []byte(checksumAt)) != 1 {
		panic("nn: WriteSafetensors: the checksum is not once in the header")
	}
	copy(buf[8+at:], fmt.Sprintf("%08x", headerCRC(buf[:8], buf[8:], at)))
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
// or overlaps, and, where the metadata has them, the checksums of the
// header and the data (see ChecksumKey).
//
// A hostile file cannot make it allocate much more than the file's size,
// nor more than the limit (the optional MaxMemory; the memory available
// without it): the header is bounded by MaxHeader and read as it
// arrives, what the tensors need is checked against the limit before any
// data is read, and a tensor's elements are allocated only once its
// bytes have been read. When r knows its size (an *os.File, a
// *bytes.Reader or anything with a Size method), the header length and
// the data are also checked against it up front, and bytes after the
// last tensor are an error.
func ReadSafetensors(r io.Reader, name string, limit ...MaxMemory) (*State, error) {
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
	if (hlen > MaxHeader || size >= 0 && int64(hlen) > size-8) && isText(lenBuf[:]) {
		// A header length of eight printable characters: some text file,
		// such as a README given for a model.
		return fail(0, "not a safetensors file: it starts with the text %q, not a header length", lenBuf[:])
	}
	if hlen > MaxHeader {
		return fail(0, "header length %d exceeds %d", hlen, MaxHeader)
	}
	if size >= 0 && int64(hlen) > size-8 {
		return fail(0, "header length %d exceeds the %d bytes after it in the file", hlen, size-8)
	}
	// The header is held about three times over while it is parsed: its
	// bytes, the raw JSON of every entry and the metadata's strings.
	budget := memory.NewBudget(limitOf(limit))
	if err := budget.Check(fmt.Sprintf("a header of %d bytes", hlen), memory.Mul(3, int64(hlen))); err != nil {
		return fail(0, "%v", err)
	}
	h, err := io.ReadAll(io.LimitReader(r, int64(hlen)))
	if err != nil || uint64(len(h)) < hlen {
		return fail(8+int64(len(h)), "truncated header: %d of %d bytes", len(h), hlen)
	}
	// The header's checksum, where WriteSafetensors put it, is verified
	// before the JSON is even parsed.
	var headerSum string // the checksum value verified, if any
	switch bytes.Count(h, []byte(checksumAt)) {
	case 0:
	case 1:
		at := bytes.Index(h, []byte(checksumAt)) + len(checksumAt)
		if len(h) < at-len(headerScheme)+checksumLen+1 {
			return fail(8+int64(at), "header: __metadata__: checksum: truncated")
		}
		v := string(h[at-len(headerScheme) : at-len(headerScheme)+checksumLen])
		want, ok := parseHex(v[len(headerScheme) : len(headerScheme)+8])
		_, okData := parseHex(v[len(v)-8:])
		if !ok || !okData || v[len(headerScheme)+8:len(v)-8] != dataScheme || h[at-len(headerScheme)+checksumLen] != '"' {
			return fail(8+int64(at), "header: __metadata__: checksum %q: malformed (want %shhhhhhhh%sdddddddd)", v, headerScheme, dataScheme)
		}
		if got := headerCRC(lenBuf[:], h, at); got != want {
			return fail(8, "the header does not match its checksum: %s, the metadata says %s (the file is corrupt)", checksum(got), checksum(want))
		}
		headerSum = v
	default:
		return fail(8, "header: %d checksums of the header, want 1 (the file is corrupt)", bytes.Count(h, []byte(checksumAt)))
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
	if v, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(v, &st.Metadata); err != nil {
			return fail(8, "header: __metadata__: %v", err)
		}
	}
	dataSum, err := dataChecksum(st.Metadata, headerSum)
	if err != nil {
		return fail(8, "header: __metadata__: %v", err)
	}
	type entry struct {
		name string
		info tensorInfo
	}
	var entries []entry
	for k, v := range raw {
		if k == "__metadata__" {
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
	// announces more than the file holds, or than the limit allows, is
	// refused before anything is allocated for it.
	var pos, largest int64
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
		largest = max(largest, end-b)
	}
	if size >= 0 && pos != size-base {
		return fail(base+pos, "%d bytes after the last tensor", size-base-pos)
	}
	// The tensors, the bytes of the one being read, and the header.
	need := memory.Add(pos, largest, memory.Mul(3, int64(hlen)))
	if err := budget.Check(fmt.Sprintf("reading %d tensors of %s", len(entries), memory.Format(pos)), need); err != nil {
		return fail(8, "header: %v", err)
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
	if dataSum != "" {
		if got := checksum(crc.Sum32()); got != dataSum {
			return fail(base, "the data does not match its checksum: %s, the metadata says %s (the file is corrupt)", got, dataSum)
		}
	}
	return st, nil
}

// dataChecksum returns the data's checksum that the metadata md gives, as
// checksum writes it ("" if it has none), and an error where the
// checksum is damaged. headerSum is the value of ChecksumKey whose header
// part was verified, if any.
func dataChecksum(md map[string]string, headerSum string) (string, error) {
	v, ok := md[ChecksumKey]
	switch {
	case !ok && headerSum != "":
		return "", fmt.Errorf("the header's checksum is not the metadata's %q (the file is corrupt)", ChecksumKey)
	case !ok:
		// A checksum under a damaged key would otherwise pass for a file
		// without one.
		for k, v := range md {
			if strings.HasPrefix(v, "crc32c") {
				return "", fmt.Errorf("%q holds a checksum, %q none (the file is corrupt)", k, ChecksumKey)
			}
		}
		return "", nil
	case v == headerSum:
		return "crc32c:" + v[len(v)-8:], nil
	case headerSum != "":
		return "", fmt.Errorf("checksum %q is not the one of the header, %q (the file is corrupt)", v, headerSum)
	case len(v) == len("crc32c:")+8 && strings.HasPrefix(v, "crc32c:"):
		// The checksum of the data alone, from before the header had one.
		if _, ok := parseHex(v[len("crc32c:"):]); ok {
			return v, nil
		}
	case len(v) == checksumLen && strings.HasPrefix(v, headerScheme):
		// The current form, but not where WriteSafetensors puts it.
		return "", fmt.Errorf("checksum %q: not in the header as written (the file was rewritten or is corrupt)", v)
	}
	return "", fmt.Errorf("checksum %q: unknown scheme (want %shhhhhhhh%sdddddddd)", v, headerScheme, dataScheme)
}

// parseHex reads 8 lower-case hexadecimal digits, as %08x writes them.
func parseHex(s string) (uint32, bool) {
	if len(s) != 8 {
		return 0, false
	}
	var v uint32
	for i := 0; i < 8; i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			v = v<<4 | uint32(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | uint32(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// Load copies the tensors of st into m's parameters and buffers (see
// StateDict), matching them by name; every one must be present with its
// shape, and st must hold nothing else. Values are converted to the
// model's dtypes.
func (st *State) Load(m Module) error {
	ps := StateDict(m)
	shapes := make([]ParamShape, len(ps))
	for i, p := range ps {
		shapes[i] = ParamShape{p.Name, p.Var.Value.Shape()}
	}
	if err := st.holds(shapes, "the model"); err != nil {
		return err
	}
	for _, p := range ps {
		tensor.CopyTo(p.Var.Value, st.Tensors[p.Name])
	}
	return nil
}

// Fits reports whether st holds exactly the parameters of MLP(s), with
// their shapes, as Load will want them: it checks a file against its
// architecture before the network, which may be far larger than the file,
// is built. s must pass Check.
func (st *State) Fits(s Spec) error { return st.holds(s.Params(), "the architecture") }

// holds reports whether st holds exactly the tensors ps, by name and
// shape; who names what wants them, in errors.
func (st *State) holds(ps []ParamShape, who string) error {
	for _, p := range ps {
		t, ok := st.Tensors[p.Name]
		if !ok {
			return fmt.Errorf("no tensor %q", p.Name)
		}
		if !tensor.SameShape(t.Shape(), p.Shape) {
			return fmt.Errorf("tensor %q has shape %v, %s wants %v", p.Name, t.Shape(), who, p.Shape)
		}
	}
	if len(ps) != len(st.Tensors) {
		for _, n := range st.Names {
			if !slices.ContainsFunc(ps, func(p ParamShape) bool { return p.Name == n }) {
				return fmt.Errorf("unexpected tensor %q", n)
			}
		}
	}
	return nil
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// isText reports whether b is printable ASCII text (tabs and line breaks
// included), as the start of a text file is and the little-endian length
// of a safetensors header, whose high bytes are zero, never is.
func isText(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 || c > 0x7e) && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}
