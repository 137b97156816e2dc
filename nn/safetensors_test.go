package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// saved returns the bytes of a small model file.
func saved(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	m := MLP(Spec{Sizes: []int{3, 4, 2}}, rand.New(rand.NewPCG(1, 2)))
	if err := WriteSafetensors(&buf, m.Parameters(), map[string]string{"architecture": "{}"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSafetensorsChecksum(t *testing.T) {
	b := saved(t)
	st, err := ReadSafetensors(bytes.NewReader(b), "m")
	if err != nil {
		t.Fatal(err)
	}
	c := st.Metadata[ChecksumKey]
	if !strings.HasPrefix(c, "crc32c:header=") || len(c) != len("crc32c:header=12345678,data=12345678") || c[22:28] != ",data=" {
		t.Errorf("checksum %q", c)
	}
	hlen := int64(binary.LittleEndian.Uint64(b))
	// A flipped bit in the data is caught, whether or not the reader knows
	// the file's size.
	bad := bytes.Clone(b)
	bad[len(bad)-3] ^= 0x10
	for _, r := range []io.Reader{bytes.NewReader(bad), io.MultiReader(bytes.NewReader(bad))} {
		_, err = ReadSafetensors(r, "m")
		if err == nil || !strings.HasPrefix(err.Error(), "safetensors: m: offset "+itoa(8+hlen)+": the data does not match its checksum: crc32c:") ||
			!strings.HasSuffix(err.Error(), ", the metadata says crc32c:"+c[28:]+" (the file is corrupt)") {
			t.Errorf("flipped bit: %v", err)
		}
	}
	// So is one in the header, before the data is read.
	bad = bytes.Clone(b)
	bad[bytes.Index(b, []byte(`"F32"`))+1] ^= 0x01 // F32 → G32
	if _, err := ReadSafetensors(bytes.NewReader(bad[:8+hlen]), "m"); err == nil ||
		err.Error() != "safetensors: m: offset 8: the header does not match its checksum: crc32c:"+
			strings.TrimPrefix(err.Error(), "safetensors: m: offset 8: the header does not match its checksum: crc32c:")[:8]+
			", the metadata says crc32c:"+c[14:22]+" (the file is corrupt)" {
		t.Errorf("flipped header bit: %v", err)
	}
	// A file without a checksum (PyTorch's) is read.
	none := withMetadata(t, b, func(md map[string]string) { delete(md, ChecksumKey) })
	if st, err := ReadSafetensors(bytes.NewReader(none), "m"); err != nil || st.Metadata["architecture"] != "{}" {
		t.Errorf("without a checksum: %v", err)
	}
	// An unknown scheme is refused.
	other := withMetadata(t, b, func(md map[string]string) { md[ChecksumKey] = "md5:00" })
	if _, err := ReadSafetensors(bytes.NewReader(other), "m"); err == nil || err.Error() != `safetensors: m: offset 8: header: __metadata__: checksum "md5:00": unknown scheme (want crc32c:header=hhhhhhhh,data=dddddddd)` {
		t.Errorf("unknown scheme: %v", err)
	}
	// The checksum under a damaged key does not pass for a file without one.
	moved := withMetadata(t, b, func(md map[string]string) { md["checksun"] = md[ChecksumKey]; delete(md, ChecksumKey) })
	if _, err := ReadSafetensors(bytes.NewReader(moved), "m"); err == nil || err.Error() != `safetensors: m: offset 8: header: __metadata__: "checksun" holds a checksum, "checksum" none (the file is corrupt)` {
		t.Errorf("damaged key: %v", err)
	}
	// A header rewritten by another program (spaces after the colons) keeps
	// the checksum's text but not its place.
	spaced := withHeader(b, func(h []byte) []byte { return bytes.Replace(h, []byte(`"checksum":"`), []byte(`"checksum": "`), 1) })
	if _, err := ReadSafetensors(bytes.NewReader(spaced), "m"); err == nil || err.Error() != `safetensors: m: offset 8: header: __metadata__: checksum "`+c+`": not in the header as written (the file was rewritten or is corrupt)` {
		t.Errorf("rewritten header: %v", err)
	}
}

// A file written before the header had its checksum, which holds the
// data's only ("crc32c:dddddddd"), is read and its data verified.
func TestSafetensorsOldChecksum(t *testing.T) {
	b := saved(t)
	st, err := ReadSafetensors(bytes.NewReader(b), "m")
	if err != nil {
		t.Fatal(err)
	}
	dataSum := "crc32c:" + st.Metadata[ChecksumKey][28:]
	old := withMetadata(t, b, func(md map[string]string) { md[ChecksumKey] = dataSum })
	if st, err := ReadSafetensors(bytes.NewReader(old), "m"); err != nil || st.Metadata[ChecksumKey] != dataSum || len(st.Names) != 4 {
		t.Errorf("the old form: %v", err)
	}
	old[len(old)-1] ^= 0x80
	if _, err := ReadSafetensors(bytes.NewReader(old), "m"); err == nil || !strings.Contains(err.Error(), "the data does not match its checksum") {
		t.Errorf("the old form with a flipped data bit: %v", err)
	}
}

// Every bit of the header of a small file, flipped alone, is refused;
// so is every bit of the length before it.
func TestSafetensorsHeaderBitFlips(t *testing.T) {
	b := saved(t)
	hlen := int(binary.LittleEndian.Uint64(b))
	for i := 0; i < 8+hlen; i++ {
		for bit := 0; bit < 8; bit++ {
			bad := bytes.Clone(b)
			bad[i] ^= 1 << bit
			if _, err := ReadSafetensors(bytes.NewReader(bad), "m"); err == nil {
				t.Fatalf("byte %d (%q), bit %d flipped: read without error", i, b[i], bit)
			}
		}
	}
}

// What the tensors need is weighed against the limit before any data is
// read.
func TestSafetensorsMaxMemory(t *testing.T) {
	b := saved(t)
	hlen := int64(binary.LittleEndian.Uint64(b))
	if _, err := ReadSafetensors(bytes.NewReader(b), "m", MaxMemory(1<<20)); err != nil {
		t.Errorf("under 1 MiB: %v", err)
	}
	// The tensors hold 26 floats, 104 bytes, the largest 48.
	limit := 3*hlen + 100
	want := "safetensors: m: offset 8: header: reading 4 tensors of 104 B needs " + memoryFormat(104+48+3*hlen) + ", limit " + memoryFormat(limit)
	if _, err := ReadSafetensors(bytes.NewReader(b), "m", MaxMemory(limit)); err == nil || err.Error() != want {
		t.Errorf("under %d bytes:\n got %v\nwant %s", limit, err, want)
	}
	want = "safetensors: m: offset 0: a header of " + itoa(hlen) + " bytes needs " + memoryFormat(3*hlen) + ", limit 100 B"
	if _, err := ReadSafetensors(bytes.NewReader(b), "m", MaxMemory(100)); err == nil || err.Error() != want {
		t.Errorf("under 100 bytes:\n got %v\nwant %s", err, want)
	}
	// Without a size to check it against, a header that announces 8 GB
	// is refused before any of it is read.
	h := `{"a":{"dtype":"F32","shape":[46000,46000],"data_offsets":[0,8464000000]}}`
	for len(h)%8 != 0 {
		h += " "
	}
	huge := append(binary.LittleEndian.AppendUint64(nil, uint64(len(h))), h...)
	_, err := ReadSafetensors(io.MultiReader(bytes.NewReader(huge)), "m", MaxMemory(1<<30))
	if want := "safetensors: m: offset 8: header: reading 1 tensors of 7.88 GiB needs 15.8 GiB, limit 1.00 GiB"; err == nil || err.Error() != want {
		t.Errorf("8 GB announced:\n got %v\nwant %s", err, want)
	}
}

// memoryFormat formats n as package memory does.
func memoryFormat(n int64) string {
	if n < 1024 {
		return itoa(n) + " B"
	}
	return strconv.FormatFloat(float64(n)/1024, 'f', 2, 64) + " KiB"
}

// withHeader rewrites the header of the file b with edit, which gets it
// without its padding, keeping the data.
func withHeader(b []byte, edit func([]byte) []byte) []byte {
	hlen := binary.LittleEndian.Uint64(b)
	h := edit(bytes.TrimRight(bytes.Clone(b[8:8+hlen]), " "))
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), b[8+hlen:]...)
}

// withMetadata rewrites the metadata of the file b with edit, keeping the
// tensors and their data.
func withMetadata(t *testing.T, b []byte, edit func(map[string]string)) []byte {
	t.Helper()
	hlen := binary.LittleEndian.Uint64(b)
	var header map[string]any
	if err := json.Unmarshal(b[8:8+hlen], &header); err != nil {
		t.Fatal(err)
	}
	md := map[string]string{}
	for k, v := range header["__metadata__"].(map[string]any) {
		md[k] = v.(string)
	}
	edit(md)
	header["__metadata__"] = md
	h, _ := json.Marshal(header)
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), b[8+hlen:]...)
}

func TestSafetensorsSizeChecks(t *testing.T) {
	b := saved(t)
	hlen := int64(binary.LittleEndian.Uint64(b))
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"trailing", append(bytes.Clone(b), 0, 0, 0, 0), "offset " + itoa(int64(len(b))) + ": 4 bytes after the last tensor"},
		{"truncated", b[:len(b)-5], "offset " + itoa(int64(len(b)-5)) + `: truncated data of tensor "2.bias": 3 of 8 bytes`},
		{"header", b[:8+hlen-1], "offset 0: header length " + itoa(hlen) + " exceeds the " + itoa(hlen-1) + " bytes after it in the file"},
		{"huge", append(binary.LittleEndian.AppendUint64(nil, 64), []byte(`{"a":{"dtype":"F64","shape":[60000,30000],"data_offsets":[0,14400000000]}}`)...),
			""},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, c.in, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ReadSafetensors(f, "m")
		f.Close()
		if c.want == "" {
			if err == nil {
				t.Errorf("%s: no error", c.name)
			}
			continue
		}
		if err == nil || err.Error() != "safetensors: m: "+c.want {
			t.Errorf("%s:\n got %v\nwant safetensors: m: %s", c.name, err, c.want)
		}
	}
}

// A header that announces far more data than the file holds is refused
// without allocating anything of that size, whether or not the reader
// knows the file's size.
func TestSafetensorsNoHugeAllocation(t *testing.T) {
	h := `{"a":{"dtype":"F32","shape":[46000,46000],"data_offsets":[0,8464000000]}}`
	for len(h)%8 != 0 {
		h += " "
	}
	b := append(binary.LittleEndian.AppendUint64(nil, uint64(len(h))), h...)
	b = append(b, make([]byte, 64)...)
	for i, mk := range []func() io.Reader{
		func() io.Reader { return bytes.NewReader(b) },
		func() io.Reader { return io.MultiReader(bytes.NewReader(b)) },
	} {
		var m1, m2 runtime.MemStats
		runtime.ReadMemStats(&m1)
		_, err := ReadSafetensors(mk(), "m")
		runtime.ReadMemStats(&m2)
		if err == nil {
			t.Fatalf("reader %d: no error", i)
		}
		if d := m2.TotalAlloc - m1.TotalAlloc; d > 1<<20 {
			t.Errorf("reader %d: allocated %d bytes for a %d-byte file", i, d, len(b))
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A text file given as a model is named as such, not read as a header
// length of eight characters.
func TestSafetensorsText(t *testing.T) {
	_, err := ReadSafetensors(strings.NewReader("# backprop\n\nAutomatic differentiation"), "README.md")
	if want := `safetensors: README.md: offset 0: not a safetensors file: it starts with the text "# backpr", not a header length`; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
