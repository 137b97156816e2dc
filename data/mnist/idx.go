package mnist

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"backprop/internal/memory"
)

// IDX is the content of an IDX file of unsigned bytes: the dimensions and
// the elements in row-major order.
type IDX struct {
	Dims []int
	Data []byte
}

// MaxElements bounds the number of elements ReadIDX accepts, so that a
// corrupt header cannot demand an absurd allocation.
const MaxElements = 1 << 30

// Error is a problem in an IDX file: the file's name, the byte offset in
// its uncompressed content, and what is wrong there.
type Error struct {
	Name   string
	Offset int64
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("mnist: %s: offset %d: %s", e.Name, e.Offset, e.Msg)
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// MaxMemory is an optional last argument of ReadIDX, LoadSet and Load:
// the most memory, in bytes, that reading may take. A file whose
// dimensions need more is refused before its data is read (a gzip file
// of a few kilobytes can expand to a gigabyte). Without it, or with 0,
// the limit is the memory the machine has available.
type MaxMemory int64

// limitOf returns the limit that the optional arguments limit give: the
// last one, or 0 (the memory available).
func limitOf(limit []MaxMemory) int64 {
	if len(limit) == 0 {
		return 0
	}
	return int64(limit[len(limit)-1])
}

// ReadIDX reads an IDX file of unsigned bytes (element type 0x08) from r,
// raw or gzip-compressed (recognized by its magic bytes 1f 8b); name is
// used in errors only. The format is big-endian: two zero bytes, the
// element type, the number of dimensions d, then d 32-bit sizes, then the
// elements. The magic number, the element type and the dimensions are
// checked against the file: a file shorter or longer than its
// dimensions say is an error, and the elements are read as they arrive,
// so that a header claiming more than the file holds allocates little.
// Elements beyond the limit (the optional MaxMemory) are refused before
// any is read.
func ReadIDX(r io.Reader, name string, limit ...MaxMemory) (*IDX, error) {
	cr, done, err := open(r, name)
	if err != nil {
		return nil, err
	}
	defer done()
	dims, total, err := readHeader(cr, name)
	if err != nil {
		return nil, err
	}
	fail := func(off int64, format string, args ...any) (*IDX, error) {
		return nil, &Error{name, off, fmt.Sprintf(format, args...)}
	}
	start := cr.n
	if err := memory.Check(fmt.Sprintf("data of %s bytes", dimString(dims)), total, limitOf(limit)); err != nil {
		return fail(4, "%v", err)
	}
	// Read through a limit rather than into a buffer of the announced
	// size, so that a short file with a huge header allocates little.
	data, err := io.ReadAll(io.LimitReader(cr, total))
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fail(cr.n, "truncated data")
	}
	if err != nil {
		return fail(cr.n, "data: %v", err)
	}
	if int64(len(data)) < total {
		return fail(cr.n, "truncated data: %d of %d bytes %v after the header at offset %d", len(data), total, dims, start)
	}
	// The dimensions must account for the whole file: bytes after the
	// data mean a header that does not describe it.
	if extra, _ := io.Copy(io.Discard, io.LimitReader(cr, 1<<20)); extra > 0 {
		more := ""
		if extra == 1<<20 {
			more = " or more"
		}
		return fail(start+total, "%d bytes%s after the %d bytes of data that the dimensions %v announce", extra, more, total, dims)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// open returns r, uncompressed if it is gzip, counting the bytes read
// through it, and a function that closes the decompressor.
func open(r io.Reader, name string) (*countReader, func(), error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	done := func() {}
	if p, err := br.Peek(2); err == nil && p[0] == 0x1f && p[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, &Error{name, 0, "gzip: " + err.Error()}
		}
		src, done = zr, func() { zr.Close() }
	}
	return &countReader{r: src}, done, nil
}

// readHeader reads the magic number and the dimensions of an IDX file of
// unsigned bytes and returns them with the number of elements.
func readHeader(cr *countReader, name string) (dims []int, total int64, err error) {
	fail := func(off int64, format string, args ...any) ([]int, int64, error) {
		return nil, 0, &Error{name, off, fmt.Sprintf(format, args...)}
	}
	readErr := func(err error, what string) ([]int, int64, error) {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return fail(cr.n, "truncated %s", what)
		}
		return fail(cr.n, "%s: %v", what, err)
	}
	var head [4]byte
	if _, err := io.ReadFull(cr, head[:]); err != nil {
		return readErr(err, "header")
	}
	magic := binary.BigEndian.Uint32(head[:])
	if head[0] != 0 || head[1] != 0 || head[3] == 0 {
		return fail(0, "bad magic 0x%08x", magic)
	}
	if head[2] != 0x08 {
		return fail(2, "element type 0x%02x, want 0x08 (unsigned byte)", head[2])
	}
	nd := int(head[3])
	dims = make([]int, nd)
	total = 1
	for i := range dims {
		off := cr.n
		var b [4]byte
		if _, err := io.ReadFull(cr, b[:]); err != nil {
			return readErr(err, fmt.Sprintf("size of dimension %d", i))
		}
		d := int64(binary.BigEndian.Uint32(b[:]))
		total *= d
		if d > MaxElements || total > MaxElements {
			return fail(off, "dimension %d of size %d makes more than %d elements", i, d, MaxElements)
		}
		dims[i] = int(d)
	}
	return dims, total, nil
}

// dimString writes dimensions as 60000×28×28.
func dimString(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, "×")
}
