//go:build !mpi

package main

import "testing"

// Without -tags mpi, bench allreduce says how to run it.
func TestBenchAllReduceOneProcess(t *testing.T) {
	code, stdout, stderr := runArgs("bench", "allreduce")
	want := "backprop bench allreduce: one process: run it as a binary built with -tags mpi under mpirun -np 2 or more\n"
	if code != 2 || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q, want %q", code, stdout, stderr, want)
	}
}
