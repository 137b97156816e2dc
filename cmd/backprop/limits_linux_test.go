package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// limitedEnv names the test that a child process of the test binary runs
// under an address-space limit.
const limitedEnv = "BACKPROP_TEST_UNDER_LIMIT"

// underMemoryLimit runs the calling test again in a child process of the
// test binary whose address space is limited (RLIMIT_AS, as ulimit -v) to
// what it holds at the start plus extra bytes, so that a size check that
// fails to refuse makes the child die at once of "out of memory" rather
// than thrash a shared machine. It returns true in the child, where the
// test goes on, and false in the parent, once it has reported the child's
// result.
func underMemoryLimit(t *testing.T, extra int64) bool {
	t.Helper()
	if os.Getenv(limitedEnv) == t.Name() {
		size := vmSize(t)
		lim := &syscall.Rlimit{Cur: uint64(size + extra), Max: uint64(size + extra)}
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, lim); err != nil {
			t.Fatalf("setrlimit: %v", err)
		}
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), limitedEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("under an address-space limit: %v\n%s", err, out)
	}
	return false
}

// vmSize returns the process's address space, VmSize of /proc/self/status.
func vmSize(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmSize:"); ok {
			f := strings.Fields(rest)
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil || len(f) != 2 || f[1] != "kB" {
				t.Fatalf("VmSize: %q", line)
			}
			return n << 10
		}
	}
	t.Fatal("no VmSize in /proc/self/status")
	return 0
}
