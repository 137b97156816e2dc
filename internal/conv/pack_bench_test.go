package conv

import (
	"testing"
	"time"
)

// BenchmarkPackDyT measures the packing of dyᵀ for the weight gradient
// of the 32→64 3×3 layer: 64 channels of 24×24 on wide rows of 26.
func BenchmarkPackDyT(b *testing.B) {
	const co, wo, wp, rows = 64, 24, 26, 24
	dy := make([]float32, co*rows*wo)
	for i := range dy {
		dy[i] = float32(i % 13)
	}
	bp := make([]float32, co*rows*wp)
	best := time.Hour
	for b.Loop() {
		t0 := time.Now()
		packDyT(bp, dy, co, rows*wo, 0, rows*wp, 16, wp, wo)
		best = min(best, time.Since(t0))
	}
	b.ReportMetric(float64(best.Nanoseconds()), "best-ns")
}
