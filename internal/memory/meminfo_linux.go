package memory

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// systemAvailable returns MemAvailable of /proc/meminfo, lowered to the
// room left in the process's cgroup and below its resource limits, if it
// can read them.
func systemAvailable() (int64, bool) {
	avail, ok := meminfoAvailable()
	if !ok {
		return 0, false
	}
	if room, ok := cgroupRoom("/sys/fs/cgroup", "/proc/self/cgroup"); ok {
		avail = min(avail, room)
	}
	if room, ok := rlimitRoom(); ok {
		avail = min(avail, room)
	}
	return avail, true
}

// rlimitRoom returns what is left below the process's limits on its
// address space (ulimit -v, counted against VmSize) and its data
// (ulimit -d, against VmData, which Go's heap is part of), where either
// is set.
func rlimitRoom() (int64, bool) {
	room, found := int64(0), false
	for _, l := range []struct {
		resource int
		field    string
	}{{syscall.RLIMIT_AS, "VmSize"}, {syscall.RLIMIT_DATA, "VmData"}} {
		var r syscall.Rlimit
		if syscall.Getrlimit(l.resource, &r) != nil || r.Cur >= 1<<62 { // RLIM_INFINITY is all ones
			continue
		}
		used, ok := statusBytes(l.field)
		if !ok {
			continue
		}
		if rr := max(int64(r.Cur)-used, 0); !found || rr < room {
			room, found = rr, true
		}
	}
	return room, found
}

// statusBytes reads a field in kB of /proc/self/status, such as VmSize.
func statusBytes(field string) (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || name != field {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		return Mul(n, 1024), err == nil
	}
	return 0, false
}

// meminfoAvailable reads MemAvailable from /proc/meminfo; kernels older
// than 3.14 lack it, and then MemFree + Buffers + Cached stands in.
func meminfoAvailable() (int64, bool) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	return parseMeminfo(b)
}

// parseMeminfo reads the memory available from the text of /proc/meminfo.
func parseMeminfo(b []byte) (int64, bool) {
	fields := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		if len(f) > 1 && f[1] == "kB" {
			n = Mul(n, 1024)
		}
		fields[name] = n
	}
	if n, ok := fields["MemAvailable"]; ok {
		return n, true
	}
	free, ok := fields["MemFree"]
	if !ok {
		return 0, false
	}
	return Add(free, fields["Buffers"], fields["Cached"]), true
}

// cgroupRoom returns the memory left below the limit of the process's
// cgroup: memory.max less memory.current (cgroup v2), or
// memory.limit_in_bytes less memory.usage_in_bytes (v1), the smallest of
// the process's own cgroup and the root that a container sees. root is
// where the cgroup file systems are mounted, self the process's
// /proc/self/cgroup.
func cgroupRoom(root, self string) (int64, bool) {
	var v2, v1 string // the process's cgroup paths
	if b, err := os.ReadFile(self); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			parts := strings.SplitN(line, ":", 3)
			if len(parts) != 3 {
				continue
			}
			switch {
			case parts[0] == "0" && parts[1] == "":
				v2 = parts[2]
			case strings.Contains(","+parts[1]+",", ",memory,"):
				v1 = parts[2]
			}
		}
	}
	room, found := int64(0), false
	try := func(dir, limitFile, usageFile string) {
		limit, ok := readBytes(filepath.Join(dir, limitFile))
		if !ok || limit >= 1<<62 { // "max", or v1's page-rounded MaxInt64: no limit
			return
		}
		usage, _ := readBytes(filepath.Join(dir, usageFile))
		r := max(limit-usage, 0)
		if !found || r < room {
			room, found = r, true
		}
	}
	for _, dir := range []string{root, filepath.Join(root, v2)} {
		try(dir, "memory.max", "memory.current")
	}
	for _, dir := range []string{filepath.Join(root, "memory"), filepath.Join(root, "memory", v1)} {
		try(dir, "memory.limit_in_bytes", "memory.usage_in_bytes")
	}
	return room, found
}

// readBytes reads a file holding one number, such as memory.max; "max"
// and anything unreadable report false.
func readBytes(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil && n >= 0
}
