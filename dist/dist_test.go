package dist

import (
	"errors"
	"strings"
	"testing"
)

func TestShare(t *testing.T) {
	for _, c := range []struct{ n, size int }{{128, 1}, {128, 2}, {128, 3}, {7, 3}, {2, 3}, {0, 3}, {1000, 7}} {
		next := 0
		for r := range c.size {
			lo, hi := Share(c.n, r, c.size)
			if lo != next || hi < lo || hi-lo < c.n/c.size || hi-lo > c.n/c.size+1 {
				t.Errorf("Share(%d, %d, %d) = [%d, %d) after %d", c.n, r, c.size, lo, hi, next)
			}
			next = hi
		}
		if next != c.n {
			t.Errorf("Share(%d, ·, %d) covers [0, %d)", c.n, c.size, next)
		}
	}
	if lo, hi := Share(128, 0, 3); lo != 0 || hi != 42 {
		t.Errorf("Share(128, 0, 3) = [%d, %d), want [0, 42)", lo, hi)
	}
	if msg := panicText(func() { Share(10, 3, 3) }); msg != "dist: Share: 10 items, rank 3 of 3" {
		t.Errorf("panic %q", msg)
	}
}

func TestSingle(t *testing.T) {
	c := Single()
	if c.Rank() != 0 || c.Size() != 1 {
		t.Fatalf("rank %d of %d", c.Rank(), c.Size())
	}
	f32 := []float32{1, -2.5}
	f64 := []float64{3, 1e-300}
	if err := AllReduce(c, f32); err != nil || f32[0] != 1 || f32[1] != -2.5 {
		t.Errorf("AllReduce: %v %v", f32, err)
	}
	if err := Average(c, f64); err != nil || f64[0] != 3 || f64[1] != 1e-300 {
		t.Errorf("Average: %v %v", f64, err)
	}
	if err := Broadcast(c, f64, 0); err != nil || f64[0] != 3 {
		t.Errorf("Broadcast: %v %v", f64, err)
	}
	if err := c.Barrier(); err != nil {
		t.Error(err)
	}
	if msg := panicText(func() { Broadcast(c, f32, 1) }); msg != "dist: BroadcastFloat32: root 1 outside the 1 ranks" {
		t.Errorf("panic %q", msg)
	}
	if err := c.Finalize(); err != nil {
		t.Error(err)
	}
}

// Without -tags mpi, Init is a single rank whatever the environment says.
func TestInitWithoutMPI(t *testing.T) {
	if Built {
		t.Skip("built with -tags mpi: mpi_test.go tests Init under mpirun")
	}
	t.Setenv("OMPI_COMM_WORLD_SIZE", "2")
	c, err := Init()
	if err != nil || c.Size() != 1 || c.Rank() != 0 {
		t.Errorf("Init: %v, %v", c, err)
	}
}

func panicText(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = strings.TrimSpace(r.(string))
		}
	}()
	f()
	return ""
}

func TestAgreeSingle(t *testing.T) {
	c := Single()
	if err := Agree(c, nil); err != nil {
		t.Errorf("Agree(nil) = %v", err)
	}
	mine := errors.New("mine")
	if err := Agree(c, mine); err != mine {
		t.Errorf("Agree(mine) = %v", err)
	}
}
