package memory

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
)

// Fallback is the memory Available reports where the system cannot tell
// (systems other than Linux, or a Linux without /proc): 4 GiB, what a
// small machine has.
const Fallback int64 = 4 << 30

// Available returns the memory, in bytes, that the process can still take
// without pushing the machine into swap or the out-of-memory killer. On
// Linux that is MemAvailable of /proc/meminfo, lowered to what is left
// below the limit of the process's cgroup (memory.max less
// memory.current, or v1's limit_in_bytes less usage_in_bytes) and below
// its resource limits (ulimit -v and -d) where they are set; elsewhere it
// is Fallback. Where Go's own
// memory limit (GOMEMLIMIT, debug.SetMemoryLimit) is set lower, what is
// left below that counts instead. The result is at least 1.
func Available() int64 {
	avail, ok := systemAvailable()
	if !ok {
		avail = Fallback
	}
	if goLimit := debug.SetMemoryLimit(-1); goLimit < math.MaxInt64 {
		avail = min(avail, goLimit-goInUse())
	}
	return max(avail, 1)
}

// goInUse returns the memory the Go runtime counts against its limit: all
// it has mapped less what it has returned to the system.
func goInUse() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64())
}

// Error reports that something needs more memory than the limit.
type Error struct {
	// What needs the memory, as a phrase that "needs" follows, such as
	// "the matrices 100000×100000".
	What string
	// Need and Limit are in bytes.
	Need, Limit int64
	// Available is true when Limit is the memory the machine has
	// available rather than a limit the caller set.
	Available bool
}

func (e *Error) Error() string {
	s := e.What + " needs " + Format(e.Need) + ", limit " + Format(e.Limit)
	if e.Available {
		s += " (the memory available)"
	}
	return s
}

// A Budget is a limit resolved once, so that the checks of one operation
// read the memory available once and agree on it.
type Budget struct {
	Bytes     int64
	Available bool // Bytes is the memory available, not a limit the caller set
}

// NewBudget returns the budget of limit: limit itself if it is positive,
// and the memory available (Available) otherwise.
func NewBudget(limit int64) Budget {
	if limit > 0 {
		return Budget{Bytes: limit}
	}
	return Budget{Bytes: Available(), Available: true}
}

// Check returns an *Error if need exceeds the budget, and nil otherwise;
// what is the Error's What.
func (b Budget) Check(what string, need int64) error {
	if need <= b.Bytes {
		return nil
	}
	return &Error{What: what, Need: need, Limit: b.Bytes, Available: b.Available}
}

// Check returns an *Error if need exceeds the limit (a limit of 0 or less
// means the memory available, see NewBudget), and nil otherwise; what is
// the Error's What.
func Check(what string, need, limit int64) error { return NewBudget(limit).Check(what, need) }

// Add returns the sum of its arguments, which should not be negative, or
// math.MaxInt64 where it would overflow or an argument is negative: a size
// that cannot be represented is refused, never wrapped around.
func Add(a ...int64) int64 {
	var s int64
	for _, x := range a {
		if x < 0 || s > math.MaxInt64-x {
			return math.MaxInt64
		}
		s += x
	}
	return s
}

// Mul returns the product of its arguments, which should not be negative,
// or math.MaxInt64 where it would overflow or an argument is negative. A
// zero argument makes the product 0.
func Mul(a ...int64) int64 {
	p := int64(1)
	for _, x := range a {
		if x < 0 {
			return math.MaxInt64
		}
		if x == 0 {
			return 0
		}
	}
	for _, x := range a {
		if p > math.MaxInt64/x {
			return math.MaxInt64
		}
		p *= x
	}
	return p
}

// Elements returns the number of elements of a tensor of the given shape
// (1 for the empty shape), saturating as Mul does.
func Elements(shape []int) int64 {
	for _, d := range shape {
		if d < 0 {
			return math.MaxInt64
		}
		if d == 0 {
			return 0
		}
	}
	p := int64(1)
	for _, d := range shape {
		p = Mul(p, int64(d))
	}
	return p
}

// units maps the units ParseSize accepts, in lower case, to their size.
var units = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize reads a size in bytes written by a person: a positive number,
// possibly with a fraction, and a unit, in any case and optionally after a
// space: B (or none) for bytes, KB, MB, GB and TB for powers of 1000,
// KiB, MiB, GiB and TiB for powers of 1024, and K, M, G and T for the
// latter too, as ulimit and most tools read them. "2GB" is 2·10⁹ bytes,
// "512MiB" 512·2²⁰ and "1.5G" 1.5·2³⁰.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, errors.New("want a size such as 2GB, 512MiB or 1.5G")
	}
	mult, ok := units[unit]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", strings.TrimSpace(t[i:]))
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, errors.New("want a size such as 2GB, 512MiB or 1.5G")
	}
	b := v * float64(mult)
	switch {
	case b < 1:
		return 0, errors.New("must be at least 1 byte")
	case b >= math.MaxInt64:
		return 0, errors.New("too large")
	}
	return int64(b), nil
}

// Format writes a size in bytes for a person, with three significant
// digits in powers of 1024: "512 B", "1.50 KiB", "14.4 GiB", "149 GiB".
// math.MaxInt64, what Add and Mul return for sizes beyond counting, is
// "more than 8 EiB".
func Format(n int64) string {
	if n == math.MaxInt64 {
		return "more than 8 EiB"
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n), -1
	for v >= 1024 && i < 5 {
		v /= 1024
		i++
	}
	unit := " " + "KMGTPE"[i:i+1] + "iB"
	switch {
	case v >= 99.95:
		return strconv.FormatFloat(v, 'f', 0, 64) + unit
	case v >= 9.995:
		return strconv.FormatFloat(v, 'f', 1, 64) + unit
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + unit
}
