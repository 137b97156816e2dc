package conv

import (
	"testing"
	"time"
)

// BenchmarkPlanes measures the planes of the data gradient of the
// 32→64 3×3 layer: dy, 64 channels of 24×24, padded by 2.
func BenchmarkPlanes(b *testing.B) {
	w := window{ci: 64, hi: 24, wi: 24, r: 3, s: 3, sh: 1, sw: 1, ph: 2, pw: 2, dh: 1, dw: 1, ho: 26, wo: 26}
	wd := wideOf(&w)
	x := make([]float32, 64*24*24)
	rows, _ := wideRows(&w, wd.kp, 64, 1, 4)
	plane := rows*28 + 2
	u := make([]float32, wd.kp*plane)
	var xp []float32
	best := time.Hour
	for b.Loop() {
		t0 := time.Now()
		for oy0 := 0; oy0 < 26; oy0 += rows {
			planes(u, plane, x, &w, wd, oy0, min(rows, 26-oy0), 0, wd.kp, &xp)
		}
		best = min(best, time.Since(t0))
	}
	b.ReportMetric(float64(best.Nanoseconds()), "best-ns/image")
	b.ReportMetric(float64(rows), "rows")
}
