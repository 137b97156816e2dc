package memory

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"1": 1, "4096": 4096, "100B": 100, "2GB": 2e9, "2gb": 2e9, "2 GB": 2e9, "512MiB": 512 << 20,
		"1.5G": 3 << 29, "1k": 1024, "1K": 1024, "1KB": 1000, "3TiB": 3 << 40, "0.5KiB": 512, " 7m ": 7 << 20,
	} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":             "want a size such as 2GB, 512MiB or 1.5G",
		"GB":           "want a size such as 2GB, 512MiB or 1.5G",
		"-1GB":         "want a size such as 2GB, 512MiB or 1.5G",
		"2XB":          `unknown unit "XB" (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)`,
		"2 GB 3":       `unknown unit "GB 3" (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)`,
		"1.2.3":        "want a size such as 2GB, 512MiB or 1.5G",
		"0":            "must be at least 1 byte",
		"0.1B":         "must be at least 1 byte",
		"9000PB":       `unknown unit "PB" (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)`,
		"9e9TB":        `unknown unit "e9TB" (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)`,
		"9000000000TB": "too large",
	} {
		if got, err := ParseSize(in); err == nil || err.Error() != want {
			t.Errorf("ParseSize(%q) = %d, %v; want error %q", in, got, err, want)
		}
	}
}

func TestFormat(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.00 KiB", 1536: "1.50 KiB", 10 << 20: "10.0 MiB",
		2e9: "1.86 GiB", 160e9: "149 GiB", 1<<40 - 1: "1024 GiB", 1 << 40: "1.00 TiB", 7 << 60: "7.00 EiB",
		math.MaxInt64: "more than 8 EiB",
	} {
		if got := Format(n); got != want {
			t.Errorf("Format(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSaturating(t *testing.T) {
	for _, c := range []struct {
		got, want int64
	}{
		{Mul(3, 4, 5), 60},
		{Mul(1<<32, 1<<30), 1 << 62},
		{Mul(1<<32, 1<<31), math.MaxInt64},
		{Mul(1<<32, 1<<32), math.MaxInt64},
		{Mul(1<<40, 0, 1<<40, 1<<40), 0},
		{Mul(-1, 2), math.MaxInt64},
		{Mul(), 1},
		{Add(1, 2, 3), 6},
		{Add(math.MaxInt64-1, 1), math.MaxInt64},
		{Add(math.MaxInt64, 1, 1), math.MaxInt64},
		{Add(5, -1), math.MaxInt64},
		{Elements(nil), 1},
		{Elements([]int{3, 0, 1 << 62}), 0},
		{Elements([]int{1 << 31, 1 << 31, 1 << 31}), math.MaxInt64},
		{Elements([]int{2, -3}), math.MaxInt64},
	} {
		if c.got != c.want {
			t.Errorf("got %d, want %d", c.got, c.want)
		}
	}
}

func TestCheck(t *testing.T) {
	if err := Check("x", 1<<20, 1<<20); err != nil {
		t.Errorf("a need equal to the limit: %v", err)
	}
	err := Check("the matrices 100000×100000", 120e9, 1<<30)
	if err == nil || err.Error() != "the matrices 100000×100000 needs 112 GiB, limit 1.00 GiB" {
		t.Errorf("explicit limit: %v", err)
	}
	e, ok := Check("x", math.MaxInt64, 0).(*Error)
	if !ok || !e.Available || e.Limit != Available() && e.Limit <= 0 || e.Error() != "x needs more than 8 EiB, limit "+Format(e.Limit)+" (the memory available)" {
		t.Errorf("default limit: %#v", e)
	}
}

// Go's memory limit, where it is lower than what the system offers,
// lowers what Available reports.
func TestAvailableFollowsGoLimit(t *testing.T) {
	sys := Available()
	if sys <= 0 {
		t.Fatalf("Available() = %d", sys)
	}
	if runtime.GOOS == "linux" {
		if n, ok := systemAvailable(); !ok || n <= 0 {
			t.Errorf("systemAvailable() = %d, %v on Linux", n, ok)
		}
	}
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	limit := goInUse() + 64<<20
	debug.SetMemoryLimit(limit)
	if got := Available(); got > 64<<20 || got < 32<<20 {
		t.Errorf("with a Go limit 64 MiB above the memory in use, Available() = %s", Format(got))
	}
	debug.SetMemoryLimit(1)
	if got := Available(); got != 1 {
		t.Errorf("with a Go limit below the memory in use, Available() = %d, want 1", got)
	}
}
