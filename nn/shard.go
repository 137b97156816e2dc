package nn

import "fmt"

// A Sharder is a module whose forward pass in training mode depends on
// where its batch lies within a larger batch: when a batch is split
// across processes (data-parallel training), each computes some of its
// rows, and a Dropout layer must draw for those rows the very masks it
// would draw for them in the whole batch, so that N processes train the
// same model as one.
type Sharder interface {
	// SetShard says that the batches of the following forward passes are
	// the rows [offset, offset+n) of batches of total rows, n being the
	// rows of each batch passed in; total = 0 means whole batches again.
	SetShard(offset, total int)
}

// SetShard calls m.SetShard if m is a Sharder.
func SetShard(m Module, offset, total int) {
	if s, ok := m.(Sharder); ok {
		s.SetShard(offset, total)
	}
}

// SetShard sets the shard of every layer that is a Sharder.
func (s *Sequential) SetShard(offset, total int) {
	for _, l := range s.Layers {
		SetShard(l, offset, total)
	}
}

// SetShard makes the next forward passes draw the mask of every row of
// a batch of total rows, in the order one process would, and use those
// of the rows [offset, offset+n): the random stream advances as it would
// for the whole batch, so that every process stays in step with the
// others and with a single process.
func (d *Dropout) SetShard(offset, total int) {
	if offset < 0 || total < 0 || offset > total {
		panic(fmt.Sprintf("nn: Dropout.SetShard: rows from %d of %d", offset, total))
	}
	d.offset, d.total = offset, total
}
