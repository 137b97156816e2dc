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
	if c := st.Metadata[ChecksumKey]; !strings.HasPrefix(c, "crc32c:") || len(c) != len("crc32c:")+8 {
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
			!strings.HasSuffix(err.Error(), "(the file is corrupt)") {
			t.Errorf("flipped bit: %v", err)
		}
	}
	// A file without a checksum (an older one, or PyTorch's) is read.
	old := withMetadata(t, b, func(md map[string]string) { delete(md, ChecksumKey) })
	if st, err := ReadSafetensors(bytes.NewReader(old), "m"); err != nil || st.Metadata["architecture"] != "{}" {
		t.Errorf("without a checksum: %v", err)
	}
	// An unknown scheme is refused.
	other := withMetadata(t, b, func(md map[string]string) { md[ChecksumKey] = "md5:00" })
	if _, err := ReadSafetensors(bytes.NewReader(other), "m"); err == nil || err.Error() != `safetensors: m: offset 8: header: __metadata__: checksum "md5:00": unknown scheme (want crc32c:)` {
		t.Errorf("unknown scheme: %v", err)
	}
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
