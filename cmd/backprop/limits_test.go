package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"backprop/nn"
	"backprop/train"
)

// Sizes from outside — flags, the values of grad, the metadata of model
// files and checkpoints — are weighed before anything of their size is
// allocated: every case ends in one line naming the flag or field, what
// it needs and the limit, with status 2, and allocates little before
// refusing. The test runs under an address-space limit, so that a check
// that fails to refuse crashes it at once.
func TestSizesFromOutside(t *testing.T) {
	if !underMemoryLimit(t, 1536<<20) {
		return
	}
	dir := t.TempDir()
	j := func(names ...string) string { return filepath.Join(append([]string{dir}, names...)...) }
	small := nn.MLP(nn.Spec{Sizes: []int{2, 3, 3}}, rand.New(rand.NewPCG(1, 1)))
	// save writes the parameters of small with meta's architecture in
	// their place: a file that lies, its checksums right (SaveModel would
	// describe small as it is).
	save := func(name string, meta train.Meta) string {
		d, _ := json.Marshal(meta.Data)
		md := map[string]string{"architecture": meta.Spec.String(), "preprocessing": `{"mean":0,"std":1}`, "dataset": string(d)}
		err := train.WriteFileAtomic(j(name), func(w io.Writer) error { return nn.WriteSafetensors(w, small.Parameters(), md) })
		if err != nil {
			t.Fatal(err)
		}
		return j(name)
	}
	// A few hundred bytes whose architecture claims 2²⁰-wide layers, and a
	// spiral model claiming 10⁸ points per class.
	huge := save("huge.safetensors", train.Meta{Spec: nn.Spec{Sizes: []int{784, nn.MaxWidth, nn.MaxWidth, 10}, Activation: "relu"}, Std: 1, Data: train.DataInfo{Name: "mnist"}})
	if st, _ := os.Stat(huge); st.Size() > 1024 {
		t.Fatalf("%s has %d bytes", huge, st.Size())
	}
	points := save("points.safetensors", train.Meta{Spec: nn.Spec{Sizes: []int{2, 3, 3}, Activation: "relu"}, Std: 1,
		Data: train.DataInfo{Name: "spiral", Points: 100000000, Classes: 3, Seed: 1}})
	img := j("digit.png")
	if err := os.WriteFile(img, pngBytes(28, 28), 0o644); err != nil {
		t.Fatal(err)
	}
	// A checkpoint with one flipped bit in its header: 2 epochs become 3.
	ck, flipped := j("ck"), j("flipped")
	if code, _, stderr := runArgs("train", "--dataset", "spiral", "--points", "20", "--hidden", "4", "--epochs", "2", "--model", "none", "--checkpoint-dir", ck); code != 0 {
		t.Fatalf("training: %s", stderr)
	}
	b, err := os.ReadFile(filepath.Join(ck, train.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	hlen := int(binary.LittleEndian.Uint64(b))
	at := bytes.Index(b[8:8+hlen], []byte(`epochs\\\":\\\"`)) + 8 + len(`epochs\\\":\\\"`)
	if at < 8+len(`epochs`) || b[at] != '2' {
		t.Fatalf("no epochs in the header %s", b[8:8+hlen])
	}
	bad := bytes.Clone(b)
	bad[at] ^= 1 // '2' → '3'
	os.Mkdir(flipped, 0o755)
	if err := os.WriteFile(filepath.Join(flipped, train.CheckpointFile), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	// Values of grad that broadcast to 30000×60000.
	x := "[" + strings.Repeat("[0],", 29999) + "[0]]"
	y := "[" + strings.Repeat("0,", 59999) + "0]"
	// A gzip file of a few kilobytes that expands to 20000 big images.
	bomb := j("bomb")
	os.Mkdir(bomb, 0o755)
	for name, dims := range map[string][]int{"train-images-idx3-ubyte.gz": {20000, 50, 50}, "train-labels-idx1-ubyte.gz": {20000},
		"t10k-images-idx3-ubyte.gz": {10, 50, 50}, "t10k-labels-idx1-ubyte.gz": {10}} {
		if err := os.WriteFile(filepath.Join(bomb, name), gzipIDX(dims), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	const avail = " (the memory available)"
	for _, c := range []struct {
		args []string
		want string // * stands for any text
	}{
		{[]string{"eval", "--model", huge}, "backprop eval: " + huge + `: architecture {"sizes":[784,1048576,1048576,10],"activation":"relu"}: a network of 1100346294282 parameters needs 8.01 TiB, limit *` + avail},
		{[]string{"eval", "--model", huge, "--max-memory", "1GiB"}, "backprop eval: " + huge + `: architecture {"sizes":[784,1048576,1048576,10],"activation":"relu"}: a network of 1100346294282 parameters needs 8.01 TiB, limit 1.00 GiB`},
		{[]string{"predict", "--model", huge, img}, "backprop predict: " + huge + `: architecture {"sizes":[784,1048576,1048576,10],"activation":"relu"}: a network of 1100346294282 parameters needs 8.01 TiB, limit *` + avail},
		{[]string{"predict", "--max-memory", "1GiB", "--model", huge, img}, "backprop predict: " + huge + `: architecture {"sizes":[784,1048576,1048576,10],"activation":"relu"}: a network of 1100346294282 parameters needs 8.01 TiB, limit 1.00 GiB`},
		{[]string{"eval", "--model", points}, "backprop eval: " + points + ": dataset: the spiral test set of 3×100000000 points needs 4.47 GiB, limit *" + avail},
		{[]string{"eval", "--model", points, "--max-memory", "1GiB"}, "backprop eval: " + points + ": dataset: the spiral test set of 3×100000000 points needs 4.47 GiB, limit 1.00 GiB"},
		{[]string{"train", "--hidden", "100000,100000"}, "backprop train: --hidden 100000,100000: training 784-100000-100000-10 relu with adam on batches of 128 needs 265 GiB, limit *" + avail},
		{[]string{"train", "--hidden", "100000,100000", "--max-memory", "1GiB"}, "backprop train: --hidden 100000,100000: training 784-100000-100000-10 relu with adam on batches of 128 needs 265 GiB, limit 1.00 GiB"},
		{[]string{"train", "--dataset", "spiral", "--hidden", "100000,100000"}, "backprop train: --hidden 100000,100000: training 2-100000-100000-3 relu with adam on batches of 32 needs 262 GiB, limit *" + avail},
		{[]string{"train", "--dataset", "spiral", "--hidden", "100000,100000", "--max-memory", "1GiB"}, "backprop train: --hidden 100000,100000: training 2-100000-100000-3 relu with adam on batches of 32 needs 262 GiB, limit 1.00 GiB"},
		{[]string{"train", "--dataset", "spiral", "--points", "100000000"}, "backprop train: --points 100000000: the spiral of 3×100000000 points, for training, validation and testing needs 17.9 GiB, limit *" + avail},
		{[]string{"train", "--dataset", "spiral", "--points", "100000000", "--max-memory", "1GiB"}, "backprop train: --points 100000000: the spiral of 3×100000000 points, for training, validation and testing needs 17.9 GiB, limit 1.00 GiB"},
		{[]string{"bench", "train", "--hidden", "100000,100000"}, "backprop bench train: --hidden 100000,100000: training 784-100000-100000-10 relu with sgd on batches of 64 needs 189 GiB, limit *" + avail},
		{[]string{"bench", "train", "--hidden", "100000,100000", "--max-memory", "1GiB"}, "backprop bench train: --hidden 100000,100000: training 784-100000-100000-10 relu with sgd on batches of 64 needs 189 GiB, limit 1.00 GiB"},
		{[]string{"bench", "gemm", "--n", "100000"}, "backprop bench gemm: --n 100000: the product of 100000×100000 and 100000×100000 float32 matrices needs 186 GiB, limit *" + avail},
		{[]string{"bench", "gemm", "--n", "100000", "--max-memory", "1GiB"}, "backprop bench gemm: --n 100000: the product of 100000×100000 and 100000×100000 float32 matrices needs 186 GiB, limit 1.00 GiB"},
		{[]string{"bench", "gemm", "--n", "1", "--m", "1", "--k", "100000000"}, "backprop bench gemm: --m 1 --n 1 --k 100000000: the product of 1×100000000 and 100000000×1 float32 matrices needs 12.7 GiB, limit *" + avail},
		{[]string{"bench", "gemm", "--n", "1", "--m", "1", "--k", "100000000", "--max-memory", "1GiB"}, "backprop bench gemm: --m 1 --n 1 --k 100000000: the product of 1×100000000 and 100000000×1 float32 matrices needs 12.7 GiB, limit 1.00 GiB"},
		{[]string{"grad", "sum(x*y)", "x=" + x, "y=" + y}, `backprop grad: the value at column 6 is 30000×60000: evaluating "sum(x*y)" and its gradient needs 40.2 GiB, limit *` + avail},
		{[]string{"grad", "--max-memory", "1GiB", "sum(x*y)", "x=" + x, "y=" + y}, `backprop grad: the value at column 6 is 30000×60000: evaluating "sum(x*y)" and its gradient needs 40.2 GiB, limit 1.00 GiB`},
		{[]string{"grad", "--check", "--dtype", "float32", "--max-memory", "1GiB", "sum(x*y)", "x=" + x, "y=" + y}, `backprop grad: the value at column 6 is 30000×60000: evaluating "sum(x*y)" and its gradient needs 46.9 GiB, limit 1.00 GiB`},
		{[]string{"train", "--resume", flipped}, "backprop train: --resume " + flipped + ": safetensors: " + filepath.Join(flipped, train.CheckpointFile) + ": offset 8: the header does not match its checksum: crc32c:*, the metadata says crc32c:* (the file is corrupt)"},
		{[]string{"train", "--data", bomb, "--max-memory", "256MiB"}, "backprop train: --data " + bomb + ": 20000 training and 10 test images of 2500 pixels needs 382 MiB, limit 256 MiB"},
		{[]string{"train", "--hidden", "2000000"}, "backprop train: --hidden 2000000: width 2000000 is more than 1048576"},
		{[]string{"train", "--dataset", "spiral", "--classes", "100000000"}, "backprop train: --classes 100000000: width 100000000 is more than 1048576"},
		{[]string{"train", "--batch", "100000000", "--max-memory", "1GiB"}, "backprop train: --batch 100000000: training 784-512-256-10 relu with adam on batches of 100000000 needs 1.42 TiB, limit 1.00 GiB"},
		{[]string{"train", "--max-memory", "100MB"}, "backprop train: --max-memory 100MB: 60000 training and 10000 test images of 784 pixels needs 391 MiB, limit 95.4 MiB"},
		{[]string{"train", "--max-memory", "2XB"}, `backprop train: --max-memory 2XB: unknown unit "XB" (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)`},
		{[]string{"eval", "--max-memory", "0", "--model", huge}, `backprop eval: --max-memory 0: must be at least 1 byte`},
		{[]string{"grad", "--max-memory", "-1GB", "x", "x=1"}, `backprop grad: --max-memory -1GB: want a size such as 2GB, 512MiB or 1.5G`},
		{[]string{"bench", "gemm", "--n", "8", "--max-memory", "lots"}, `backprop bench gemm: --max-memory lots: want a size such as 2GB, 512MiB or 1.5G`},
	} {
		var code int
		var stdout, stderr string
		n := allocated(func() { code, stdout, stderr = runArgs(c.args...) })
		name := strings.Join(c.args, " ")
		if len(name) > 120 {
			name = name[:120] + "…"
		}
		if code != 2 || stdout != "" || !match(c.want+"\n", stderr) {
			t.Errorf("%s: exit %d, stdout %q, stderr\n%q\nwant\n%q", name, code, stdout, stderr, c.want+"\n")
		}
		if strings.Contains(stderr, "goroutine ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: not one line: %q", name, stderr)
		}
		if n > 8<<20 {
			t.Errorf("%s: allocated %.1f MB before refusing", name, float64(n)/1e6)
		}
	}
	// The intact checkpoint resumes, and one of the old form, whose
	// checksum covers the data only, too.
	old := j("old")
	os.Mkdir(old, 0o755)
	if err := os.WriteFile(filepath.Join(old, train.CheckpointFile), oldChecksum(t, b), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{ck, old} {
		if code, _, stderr := runArgs("train", "--resume", d, "--epochs", "3", "--max-memory", "1GiB"); code != 0 {
			t.Errorf("resume %s: exit %d: %s", d, code, stderr)
		}
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// gzipIDX returns a gzip-compressed IDX file of zeros of the given
// dimensions.
func gzipIDX(dims []int) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	h := []byte{0, 0, 8, byte(len(dims))}
	n := 1
	for _, d := range dims {
		h = binary.BigEndian.AppendUint32(h, uint32(d))
		n *= d
	}
	w.Write(h)
	zeros := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zeros))
		w.Write(zeros[:k])
		n -= k
	}
	w.Close()
	return buf.Bytes()
}

// oldChecksum rewrites the file b as the previous version wrote it: the
// checksum of the data alone, "crc32c:dddddddd".
func oldChecksum(t *testing.T, b []byte) []byte {
	t.Helper()
	hlen := binary.LittleEndian.Uint64(b)
	var header map[string]any
	if err := json.Unmarshal(b[8:8+hlen], &header); err != nil {
		t.Fatal(err)
	}
	md := header["__metadata__"].(map[string]any)
	sum := md[nn.ChecksumKey].(string)
	md[nn.ChecksumKey] = "crc32c:" + sum[len(sum)-8:]
	h, _ := json.Marshal(header)
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), b[8+hlen:]...)
}
