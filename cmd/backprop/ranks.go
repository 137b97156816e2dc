package main

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"backprop/ag"
	"backprop/dist"
	"backprop/train"
)

// Training on several processes: "mpirun -np N backprop train …" with a
// binary built with -tags mpi. Every rank parses the same flags, loads
// the same data and builds the same model; train.Run does the rest (see
// train.Config.Comm). Rank 0 alone prints and writes files. The ranks
// must also fail together: an error that one rank meets alone before
// training (a file it cannot read) is shared at one agreement point, so
// that the others stop instead of waiting for it; after it, train.Run's
// errors are the same on every rank, but a failure of the communicator
// or a panic on one rank ends every rank (Abort). Every rank exits with
// rank 0's status.

// trainRanks runs backprop train as one rank of c.
func trainRanks(c dist.Comm, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "backprop train: rank %d: internal error: %v (please report it)\n", c.Rank(), r)
			c.Abort(3)
		}
	}()
	out, errOut := stdout, stderr
	if c.Rank() != 0 {
		out, errOut = io.Discard, io.Discard
	}
	code = trainOn(c, args, out, errOut, func(o *trainOptions, err error) int { return reportRank(c, o, stderr, err) })
	b := []float64{float64(code)}
	if err := c.BroadcastFloat64(b, 0); err != nil {
		fmt.Fprintf(stderr, "backprop train: rank %d: %v\n", c.Rank(), err)
		c.Abort(2)
	}
	if err := c.Finalize(); err != nil {
		fmt.Fprintf(stderr, "backprop train: rank %d: %v\n", c.Rank(), err)
		return 2
	}
	return int(b[0])
}

// agree is the agreement point: every rank calls it once, just before
// training or with the error that stopped it before, and learns whether
// any rank failed.
func (o *trainOptions) agree(err error) error {
	if o.comm == nil || o.comm.Size() == 1 || o.agreed {
		return err
	}
	o.agreed = true
	failed, ferr := dist.Failures(o.comm, err)
	if ferr != nil {
		return &train.CommError{Op: "agreeing to train", Err: ferr}
	}
	o.failed = failed
	if err == nil && len(failed) > 0 {
		return &dist.RankError{Rank: failed[0]}
	}
	return err
}

// reportRank prints err as rank c.Rank() should and returns the exit
// status: rank 0 prints what one process would, another rank only an
// error of its own that rank 0 does not print too.
func reportRank(c dist.Comm, o *trainOptions, stderr io.Writer, err error) int {
	setup := !o.agreed // training never started
	err = o.agree(err)
	var ce *train.CommError
	var re *dist.RankError
	var ae *ag.AnomalyError
	switch {
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "backprop train: rank %d: %v\n", c.Rank(), err)
		c.Abort(2)
	case c.Rank() == 0 && errors.As(err, &re):
		fmt.Fprintf(stderr, "backprop train: rank %d failed (its error is on its standard error)\n", re.Rank)
		return 2
	case c.Rank() == 0:
		return reportExit(stderr, err)
	case errors.As(err, &re):
	case setup && !slices.Contains(o.failed, 0) || errors.As(err, &ae):
		fmt.Fprintf(stderr, "backprop train: rank %d: %v\n", c.Rank(), err)
	}
	return reportExit(io.Discard, err)
}
