package memory

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestParseMeminfo(t *testing.T) {
	for text, want := range map[string]int64{
		"MemTotal:       24683584 kB\nMemFree:        22000000 kB\nMemAvailable:   24277940 kB\n": 24277940 << 10,
		// Kernels before 3.14 have no MemAvailable.
		"MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n": 420 << 10,
		"": -1, "MemTotal: 1000 kB\n": -1,
	} {
		got, ok := parseMeminfo([]byte(text))
		if want < 0 && ok || want >= 0 && (!ok || got != want) {
			t.Errorf("%q: %d, %v; want %d", text, got, ok, want)
		}
	}
}

func TestCgroupRoom(t *testing.T) {
	write := func(path, text string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// cgroup v2: the process's own group is the tighter.
	v2 := t.TempDir()
	write(filepath.Join(v2, "self"), "0::/app/worker\n")
	write(filepath.Join(v2, "memory.max"), "max\n")
	write(filepath.Join(v2, "app/worker/memory.max"), "1073741824\n")
	write(filepath.Join(v2, "app/worker/memory.current"), "268435456\n")
	if room, ok := cgroupRoom(v2, filepath.Join(v2, "self")); !ok || room != 768<<20 {
		t.Errorf("v2: %d, %v; want 768 MiB", room, ok)
	}
	// cgroup v1: no limit (v1 writes a page-rounded MaxInt64).
	v1 := t.TempDir()
	write(filepath.Join(v1, "self"), "4:memory:/box\n3:cpu:/\n")
	write(filepath.Join(v1, "memory/box/memory.limit_in_bytes"), "9223372036854771712\n")
	write(filepath.Join(v1, "memory/box/memory.usage_in_bytes"), "375214080\n")
	if room, ok := cgroupRoom(v1, filepath.Join(v1, "self")); ok {
		t.Errorf("v1 without a limit: %d", room)
	}
	write(filepath.Join(v1, "memory/box/memory.limit_in_bytes"), "500000000\n")
	if room, ok := cgroupRoom(v1, filepath.Join(v1, "self")); !ok || room != 500000000-375214080 {
		t.Errorf("v1: %d, %v", room, ok)
	}
	// Usage over the limit leaves no room, not a negative one.
	write(filepath.Join(v1, "memory/box/memory.usage_in_bytes"), "600000000\n")
	if room, ok := cgroupRoom(v1, filepath.Join(v1, "self")); !ok || room != 0 {
		t.Errorf("v1 over its limit: %d, %v", room, ok)
	}
	if _, ok := cgroupRoom(t.TempDir(), "/nonexistent"); ok {
		t.Error("no cgroup files: found a limit")
	}
}

// An address-space limit (ulimit -v) lowers the memory available to what
// is left below it.
func TestRlimitRoom(t *testing.T) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &old); err != nil {
		t.Fatal(err)
	}
	size, ok := statusBytes("VmSize")
	if !ok || size <= 0 {
		t.Fatalf("VmSize: %d, %v", size, ok)
	}
	if old.Cur < uint64(size)+8<<30 && old.Cur < 1<<62 {
		t.Skip("an address-space limit is already set")
	}
	lim := syscall.Rlimit{Cur: uint64(size) + 4<<30, Max: old.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, &lim); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_AS, &old)
	room, ok := rlimitRoom()
	if !ok || room > 4<<30 || room < 3<<30 {
		t.Errorf("4 GiB above VmSize: room %s, %v", Format(room), ok)
	}
	if got := Available(); got > 4<<30 {
		t.Errorf("Available() = %s under a limit 4 GiB above VmSize", Format(got))
	}
}
