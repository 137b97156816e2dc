package train

import (
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"unsafe"

	"backprop/ag"
	"backprop/data"
	"backprop/dist"
	"backprop/nn"
	"backprop/optim"
	"backprop/tensor"
)

// Data-parallel training (Config.Comm with several ranks).
//
// Every rank holds the whole model and walks the same order of the
// training set, drawn from the same seed: each global batch of n examples
// is split by dist.Share, rank r taking the rows [⌊r·n/N⌋, ⌊(r+1)·n/N⌋).
// Dropout layers draw the whole batch's masks and keep their rows' (see
// nn.Sharder), so the random streams are those of one process whatever N.
// A rank's loss is the mean over its rows; its backward pass starts from
// its share of the batch, (hi−lo)/n, instead of 1, so that the sum of the
// ranks' gradients is the gradient of the global batch's mean loss.
//
// The gradients are summed across ranks in buckets: parameters grouped
// from the last layer back, a bucket closing at Config.BucketBytes (the
// first at most 1 MiB, so that communication starts early). Before
// Backward the step counts, walking the graph from the loss, how many gate
// inputs read each parameter; ag.AfterGate counts them down, and when a
// bucket's parameters are all final it goes to a communication goroutine
// that copies its gradients into one buffer, all-reduces it and copies the
// sums back, while Backward continues with the earlier layers. Buckets are
// reduced in a fixed order, so that the collectives match on every rank.
// A last all-reduce in float64 carries the step's loss, correct
// predictions, whether any rank was asked to stop or met an anomaly, and
// which parameters got a gradient anywhere. Every rank then takes the
// same optimizer step on the same sums and so holds the same parameters.

// Bucket sizes.
const (
	defaultBucketBytes = 4 << 20
	firstBucketBytes   = 1 << 20
)

// A CommError is a failure of the communicator during a data-parallel
// Run. The ranks may no longer be in step: a program should end them all
// (dist.Comm.Abort) rather than wait for the others.
type CommError struct {
	Op  string // what Run was doing
	Err error
}

func (e *CommError) Error() string { return fmt.Sprintf("train: %s: %v", e.Op, e.Err) }
func (e *CommError) Unwrap() error { return e.Err }

// extras of a step's last all-reduce, before one flag per parameter.
const (
	exLoss = iota
	exCorrect
	exStop
	exAnomaly
	exParams
)

// bucket is a group of parameters of one dtype reduced in one call.
type bucket struct {
	params []int // indices into dataParallel.params
	off    []int // where each starts in the buffer
	f32    []float32
	f64    []float64
}

// dataParallel is the data-parallel state of a Run on one rank.
type dataParallel struct {
	c          dist.Comm
	rank, size int
	m          nn.Module
	params     []*ag.Var
	index      map[*ag.Var]int // a parameter's place in params
	bucketOf   []int           // a parameter's bucket
	buckets    []*bucket

	// The step in progress (main goroutine).
	readers []int  // per parameter, the gate inputs of the graph that read it and have not run
	pending []int  // per bucket, its parameters whose gradient is not final
	sent    []bool // per bucket, handed to the communication goroutine
	seen    map[*ag.Var]bool
	stack   []*ag.Var
	extras  []float64
	rows    map[int]*tensor.Tensor // this rank's rows of a batch, by count
	seeds   map[tensor.DType]*tensor.Tensor
	gates   int // the gates Backward will run, and those it has run
	ran     int
	early   int // buckets handed over in the last step while gates remained to run

	agreed bool // the result of same

	ready chan int   // a bucket whose gradients are final; len(buckets): the extras
	done  chan error // the end of a step's reductions
	quit  chan struct{}
}

// newDataParallel prepares a data-parallel Run over c.
func newDataParallel(c dist.Comm, m nn.Module, params []*ag.Var, bucketBytes int) *dataParallel {
	if bucketBytes <= 0 {
		bucketBytes = defaultBucketBytes
	}
	d := &dataParallel{c: c, rank: c.Rank(), size: c.Size(), m: m, params: params,
		index: map[*ag.Var]int{}, bucketOf: make([]int, len(params)),
		readers: make([]int, len(params)), seen: map[*ag.Var]bool{},
		extras: make([]float64, exParams+len(params)),
		rows:   map[int]*tensor.Tensor{}, seeds: map[tensor.DType]*tensor.Tensor{},
		done: make(chan error), quit: make(chan struct{})}
	for i, p := range params {
		if _, dup := d.index[p]; dup {
			panic(fmt.Sprintf("train: parameter %d appears twice in the model", i))
		}
		d.index[p] = i
	}
	// From the last parameter back: the order in which Backward
	// finishes them in a network of layers.
	var cur *bucket
	var bytes int
	var dt tensor.DType
	limit := min(firstBucketBytes, bucketBytes)
	for i := len(params) - 1; i >= 0; i-- {
		v := params[i].Value
		size := v.Len() * dtypeSize(v.DType())
		if cur != nil && (bytes+size > limit || v.DType() != dt) {
			d.closeBucket(cur, dt)
			cur, limit = nil, bucketBytes
		}
		if cur == nil {
			cur, bytes, dt = &bucket{}, 0, v.DType()
		}
		cur.params = append(cur.params, i)
		cur.off = append(cur.off, bytes/dtypeSize(dt))
		bytes += size
		d.bucketOf[i] = len(d.buckets)
	}
	if cur != nil {
		d.closeBucket(cur, dt)
	}
	d.pending = make([]int, len(d.buckets))
	d.sent = make([]bool, len(d.buckets))
	d.ready = make(chan int, len(d.buckets)+1)
	go d.communicate()
	return d
}

func (d *dataParallel) closeBucket(b *bucket, dt tensor.DType) {
	last := b.params[len(b.params)-1]
	n := b.off[len(b.off)-1] + d.params[last].Value.Len()
	if dt == tensor.Float64 {
		b.f64 = make([]float64, n)
	} else {
		b.f32 = make([]float32, n)
	}
	d.buckets = append(d.buckets, b)
}

func dtypeSize(dt tensor.DType) int {
	if dt == tensor.Float64 {
		return 8
	}
	return 4
}

// close ends the communication goroutine and clears the model's shard.
func (d *dataParallel) close() {
	close(d.quit)
	nn.SetShard(d.m, 0, 0)
}

// begin makes every rank start from rank 0's parameters and optimizer
// state, and checks that the ranks agree on what the parameters cannot
// tell: the order of the data, the random state, the position.
func (d *dataParallel) begin(opt optim.Optimizer, ld *data.Loader, cfg Config, step, epoch, batch int) error {
	ts := make([]*tensor.Tensor, 0, len(d.params))
	for _, p := range d.params {
		ts = append(ts, p.Value)
	}
	steps := 0
	if so, ok := opt.(optim.Stateful); ok {
		ts = append(ts, so.StateTensors()...)
		steps = so.Steps()
	}
	for _, t := range ts {
		if err := broadcastTensor(d.c, t); err != nil {
			return &CommError{"broadcasting the initial parameters", err}
		}
	}
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	perm, pos := ld.Order()
	for _, v := range append(perm, pos, step, epoch, batch, steps, cfg.Batch, cfg.Epochs, len(d.params)) {
		h.Write(unsafe.Slice((*byte)(unsafe.Pointer(&v)), unsafe.Sizeof(v)))
	}
	if cfg.Source != nil {
		s, _ := cfg.Source.MarshalBinary()
		h.Write(s)
	}
	if err := d.same(float64(h.Sum32())); err != nil {
		return err
	}
	if !d.agreed {
		return errors.New("train: the ranks do not start from the same data order, random state and position (different seeds or checkpoints?)")
	}
	return nil
}

// same sets d.agreed to whether x is the same on every rank.
func (d *dataParallel) same(x float64) error {
	b := []float64{x}
	if err := d.c.BroadcastFloat64(b, 0); err != nil {
		return &CommError{"comparing the ranks", err}
	}
	diff := []float64{0}
	if b[0] != x {
		diff[0] = 1
	}
	if err := d.c.AllReduceFloat64(diff); err != nil {
		return &CommError{"comparing the ranks", err}
	}
	d.agreed = diff[0] == 0
	return nil
}

// checkParams returns an error unless every rank holds the same
// parameters, bit for bit.
func (d *dataParallel) checkParams(epoch int) error {
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	for _, p := range d.params {
		h.Write(tensorBytes(p.Value))
	}
	if err := d.same(float64(h.Sum32())); err != nil {
		return err
	}
	if !d.agreed {
		return fmt.Errorf("train: after epoch %d the ranks hold different parameters", epoch)
	}
	return nil
}

// tensorBytes returns the bytes of t's elements.
func tensorBytes(t *tensor.Tensor) []byte {
	if t.Len() == 0 {
		return nil
	}
	if t.DType() == tensor.Float64 {
		s := t.Float64s()
		return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*8)
	}
	s := t.Float32s()
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*4)
}

func broadcastTensor(c dist.Comm, t *tensor.Tensor) error {
	if t.DType() == tensor.Float64 {
		return c.BroadcastFloat64(t.Float64s(), 0)
	}
	return c.BroadcastFloat32(t.Float32s(), 0)
}

// follow returns, on every rank, what rank 0 answered to Checkpoint.
func (d *dataParallel) follow(stop bool) (bool, error) {
	b := []float64{0}
	if stop {
		b[0] = 1
	}
	if err := d.c.BroadcastFloat64(b, 0); err != nil {
		return true, &CommError{"sharing the checkpoint's answer", err}
	}
	return b[0] != 0, nil
}

// anyStop returns, on every rank, whether stop is true on any rank.
func (d *dataParallel) anyStop(stop bool) (bool, error) {
	b := []float64{0}
	if stop {
		b[0] = 1
	}
	if err := d.c.AllReduceFloat64(b); err != nil {
		return true, &CommError{"agreeing to stop", err}
	}
	return b[0] != 0, nil
}

// shard returns this rank's rows [lo, hi) of the batch x.
func (d *dataParallel) shard(x *tensor.Tensor, lo, hi int) *tensor.Tensor {
	if lo == 0 && hi == x.Dim(0) {
		return x
	}
	t := d.rows[hi-lo]
	if t == nil || t.DType() != x.DType() || !slices.Equal(t.Shape()[1:], x.Shape()[1:]) {
		shape := append([]int{hi - lo}, x.Shape()[1:]...)
		t = tensor.New(x.DType(), shape...)
		d.rows[hi-lo] = t
	}
	return tensor.SliceTo(t, x, 0, lo, hi)
}

// seed returns a scalar of dtype dt holding v, for Backward's seed.
func (d *dataParallel) seed(dt tensor.DType, v float64) *tensor.Tensor {
	t := d.seeds[dt]
	if t == nil {
		t = tensor.Scalar(dt, 0)
		d.seeds[dt] = t
	}
	return t.Fill(v)
}

// stepResult is what a data-parallel step learned from every rank.
type stepResult struct {
	loss    float64 // the global batch's loss
	correct int     // its correct predictions
	stop    bool    // some rank's Config.Stop asked to stop
}

// step runs the forward and backward passes of this rank's share of the
// batch (x, y) in g and sums the gradients across the ranks.
func (d *dataParallel) step(g *ag.Graph, x *tensor.Tensor, y []int, lossFn func(*ag.Var, []int) *ag.Var, cfg Config, weights []*ag.Var) (stepResult, error) {
	n := len(y)
	lo, hi := dist.Share(n, d.rank, d.size)
	xs := d.shard(x, lo, hi)
	nn.SetShard(d.m, lo, n)
	clear(d.extras)
	clear(d.sent)
	d.early = 0
	anomaly := cfg.GraphFlags&ag.DetectAnomaly != 0
	var own error
	if hi > lo {
		var logits, loss *ag.Var
		fwd := func() { logits, loss = forwardStep(d.m, g, xs, y[lo:hi], lossFn, cfg.L2, weights) }
		if anomaly {
			own = ag.CatchAnomaly(fwd)
		} else {
			fwd()
		}
		if own == nil {
			share := float64(hi-lo) / float64(n)
			d.extras[exLoss] = share * loss.Item()
			d.extras[exCorrect] = float64(Correct(logits.Value, y[lo:hi]))
			d.countReaders(loss)
			seed := d.seed(loss.Value.DType(), share)
			bwd := func() { ag.Backward(loss, ag.Seed(seed), ag.AfterGate(d.afterGate)) }
			if anomaly {
				own = ag.CatchAnomaly(bwd)
			} else {
				bwd()
			}
		}
	} else {
		// No rows here: the forward pass of none still draws the
		// batch's dropout masks, keeping the random streams in step.
		d.m.Forward(g.Const(xs))
	}
	if own != nil {
		d.extras[exAnomaly] = 1
	}
	// Stop is asked here, during the step, so that the answer travels
	// with the sums: a request seen after step k−1 stops the ranks
	// after step k.
	if cfg.Stop != nil && cfg.Stop() {
		d.extras[exStop] = 1
	}
	for i, p := range d.params {
		if p.Grad != nil {
			d.extras[exParams+i] = 1
		}
	}
	for b, s := range d.sent {
		if !s {
			d.ready <- b
		}
	}
	d.ready <- len(d.buckets)
	if err := <-d.done; err != nil {
		return stepResult{}, &CommError{"summing the gradients", err}
	}
	if d.extras[exAnomaly] != 0 {
		if own != nil {
			return stepResult{}, own
		}
		return stepResult{}, errors.New("train: another rank met a value that is not finite (its error is on its standard error)")
	}
	return stepResult{loss: d.extras[exLoss], correct: int(math.Round(d.extras[exCorrect])), stop: d.extras[exStop] != 0}, nil
}

// countReaders counts, for every parameter, the inputs of the gates
// reachable from loss that read it, and how many parameters of each
// bucket Backward will reach.
func (d *dataParallel) countReaders(loss *ag.Var) {
	clear(d.readers)
	clear(d.pending)
	clear(d.seen)
	d.gates, d.ran = 0, 0
	d.stack = append(d.stack[:0], loss)
	for len(d.stack) > 0 {
		v := d.stack[len(d.stack)-1]
		d.stack = d.stack[:len(d.stack)-1]
		if v.Gate() == nil || d.seen[v] {
			continue
		}
		d.seen[v] = true
		d.gates++
		for _, in := range v.Inputs() {
			if in.Gate() != nil {
				d.stack = append(d.stack, in)
			} else if i, ok := d.index[in]; ok {
				if d.readers[i] == 0 {
					d.pending[d.bucketOf[i]]++
				}
				d.readers[i]++
			}
		}
	}
	clear(d.stack[:cap(d.stack)])
	clear(d.seen)
}

// afterGate counts down the readers of the parameters v's gate read, and
// hands a bucket to the communication goroutine when its last parameter
// is final.
func (d *dataParallel) afterGate(v *ag.Var) {
	d.ran++
	for _, in := range v.Inputs() {
		if in.Gate() != nil {
			continue
		}
		i, ok := d.index[in]
		if !ok || d.readers[i] == 0 {
			continue
		}
		if d.readers[i]--; d.readers[i] == 0 {
			b := d.bucketOf[i]
			if d.pending[b]--; d.pending[b] == 0 {
				d.sent[b] = true
				if d.ran < d.gates {
					d.early++
				}
				d.ready <- b
			}
		}
	}
}

// communicate is the communication goroutine: step after step, it
// reduces the buckets in order as they become ready, then the extras.
func (d *dataParallel) communicate() {
	ready := make([]bool, len(d.buckets)+1)
	for {
		var err error
		for next := 0; next <= len(d.buckets); {
			select {
			case b := <-d.ready:
				ready[b] = true
			case <-d.quit:
				return
			}
			for ; next <= len(d.buckets) && ready[next]; next++ {
				if err == nil {
					err = d.reduce(next)
				}
			}
		}
		clear(ready)
		d.done <- err
	}
}

// reduce sums bucket b across the ranks (b = len(buckets): the extras,
// and the gradients of parameters that only other ranks' passes reached).
func (d *dataParallel) reduce(b int) error {
	if b == len(d.buckets) {
		if err := d.c.AllReduceFloat64(d.extras); err != nil {
			return err
		}
		for i, p := range d.params {
			if p.Grad == nil && d.extras[exParams+i] != 0 {
				p.Grad = tensor.New(p.Value.DType(), p.Value.Shape()...)
				bk := d.buckets[d.bucketOf[i]]
				d.copyGrad(bk, slices.Index(bk.params, i), false)
			}
		}
		return nil
	}
	bk := d.buckets[b]
	for k := range bk.params {
		d.copyGrad(bk, k, true)
	}
	var err error
	if bk.f64 != nil {
		err = d.c.AllReduceFloat64(bk.f64)
	} else {
		err = d.c.AllReduceFloat32(bk.f32)
	}
	if err != nil {
		return err
	}
	for k, i := range bk.params {
		if d.params[i].Grad != nil {
			d.copyGrad(bk, k, false)
		}
	}
	return nil
}

// copyGrad copies the gradient of bucket bk's k-th parameter into the
// bucket's buffer (in) or back (out); a missing gradient goes in as
// zeros.
func (d *dataParallel) copyGrad(bk *bucket, k int, in bool) {
	p := d.params[bk.params[k]]
	off, n := bk.off[k], p.Value.Len()
	if bk.f64 != nil {
		buf := bk.f64[off : off+n]
		switch {
		case !in:
			copy(p.Grad.Float64s(), buf)
		case p.Grad == nil:
			clear(buf)
		default:
			copy(buf, p.Grad.Float64s())
		}
		return
	}
	buf := bk.f32[off : off+n]
	switch {
	case !in:
		copy(p.Grad.Float32s(), buf)
	case p.Grad == nil:
		clear(buf)
	default:
		copy(buf, p.Grad.Float32s())
	}
}

// EvaluateSplit is Evaluate over the ranks of c: each rank evaluates its
// share of ds (dist.Share), and the sums are combined, so that every rank
// returns the loss and accuracy on all of ds. Every rank must call it.
func EvaluateSplit(c dist.Comm, m nn.Module, ds *data.Dataset, batch int) (loss, accuracy float64, err error) {
	if c == nil || c.Size() == 1 {
		loss, accuracy = Evaluate(m, ds, batch)
		return loss, accuracy, nil
	}
	lo, hi := dist.Share(ds.Len(), c.Rank(), c.Size())
	idx := make([]int, hi-lo)
	for i := range idx {
		idx[i] = lo + i
	}
	sum, correct := evaluateSums(m, ds.Subset(idx), batch)
	b := []float64{sum, float64(correct)}
	if err := c.AllReduceFloat64(b); err != nil {
		return 0, 0, &CommError{"combining the evaluation", err}
	}
	n := float64(ds.Len())
	return b[0] / n, b[1] / n, nil
}
