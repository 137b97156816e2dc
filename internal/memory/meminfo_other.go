//go:build !linux

package memory

// systemAvailable reports that the memory available is unknown here: the
// caller falls back to Fallback.
func systemAvailable() (int64, bool) { return 0, false }
