package conv

import (
	"testing"
	"time"
)

func BenchmarkUnfold(b *testing.B) {
	w := window{ci: 32, hi: 26, wi: 26, r: 3, s: 3, sh: 1, sw: 1, dh: 1, dw: 1, ho: 24, wo: 24}
	x := make([]float32, 32*26*26)
	col := make([]float32, 288*192)
	best := time.Hour
	for b.Loop() {
		t0 := time.Now()
		for p0 := 0; p0 < 576; p0 += 192 {
			unfold(col, 192, x, &w, 0, 288, p0, 192, 192)
		}
		best = min(best, time.Since(t0))
	}
	b.ReportMetric(float64(best.Nanoseconds()), "best-ns")
}
