package viz

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"

	graphviz "github.com/goccy/go-graphviz"
)

// A layout in this process cannot be stopped, and while it runs it holds
// up every garbage collection, and so every goroutine, of the process
// (see layout). Graph.SVGApart runs it in another process instead: a copy of
// the running program started as a layout worker, which reads DOT on its
// standard input and writes the pictures on its standard output, and
// which is killed when the layout's context ends — so that a request that
// times out stops computing. Workers are kept for the next layout; a few
// run at once.

// WorkerEnv is the environment variable that makes a program a layout
// worker: when it is "1" in a process that links this package, the
// package's initialisation serves layouts on standard input and output
// until standard input closes, then exits, before main runs. SVGApart
// sets it for the workers it starts; nothing else should.
const WorkerEnv = "BACKPROP_VIZ_LAYOUT_WORKER"

func init() {
	if os.Getenv(WorkerEnv) == "1" {
		os.Exit(serveLayouts(os.Stdin, os.Stdout))
	}
}

// maxApart is the number of layouts SVGApart runs at once: separate
// processes, which the system schedules like any other.
var maxApart = max(2, runtime.GOMAXPROCS(0)/2)

// HeavyLayout is the layout cost above which a graph is heavy for
// Graph.SVGApart: heavy layouts take at most all workers but one, so that
// a light graph (up to about 0.1 s of layout in BENCHMARKS.md) never
// waits behind them.
const HeavyLayout = 200

var (
	apartQueue = layoutQueue{slots: maxApart, heavy: HeavyLayout}
	idleMu     sync.Mutex
	idle       []*worker // workers waiting for a layout
	live       int       // workers started and not ended
)

// SVGApart lays out g.DOT() as SVG does, in a worker process. If ctx
// ends first, the worker is killed and SVGApart returns ctx's error at
// once. Layouts wait for a free worker, the cheapest (LayoutCost) first;
// heavy ones (above HeavyLayout) leave one worker to the others.
func (g *Graph) SVGApart(ctx context.Context) ([]byte, error) {
	return svgApart(ctx, g.DOT(), g.LayoutCost())
}

// svgApart is SVGApart of the DOT text src, of layout cost cost.
func svgApart(ctx context.Context, src []byte, cost int) ([]byte, error) {
	if err := apartQueue.acquire(ctx, cost); err != nil {
		return nil, fmt.Errorf("viz: waiting for a layout worker: %w", err)
	}
	defer apartQueue.release(cost)
	w, err := takeWorker()
	if err != nil {
		return nil, fmt.Errorf("viz: starting a layout worker: %v", err)
	}
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := w.layout(src)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		var le *layoutFailure
		if r.err != nil && !errors.As(r.err, &le) {
			w.kill() // the pipe broke: the worker is not reused
			return nil, fmt.Errorf("viz: layout worker: %v", r.err)
		}
		putWorker(w)
		if r.err != nil {
			return nil, r.err
		}
		return r.out, nil
	case <-ctx.Done():
		w.kill()
		<-done
		return nil, fmt.Errorf("viz: layout stopped: %w", ctx.Err())
	}
}

// A worker is a layout process and its pipes.
type worker struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// takeWorker returns an idle worker or starts one. Starting a worker (a
// program's start and Graphviz's) takes a while, so it keeps one idle
// ahead: when it takes the last idle worker and fewer than maxApart are
// alive, it starts another in the background.
func takeWorker() (*worker, error) {
	idleMu.Lock()
	var w *worker
	if n := len(idle); n > 0 {
		w = idle[n-1]
		idle = idle[:n-1]
	} else {
		live++
	}
	refill := len(idle) == 0 && live < maxApart
	if refill {
		live++
	}
	idleMu.Unlock()
	if refill {
		go func() {
			if w, err := startWorker(); err == nil {
				putWorker(w)
			}
		}()
	}
	if w != nil {
		return w, nil
	}
	return startWorker()
}

// startWorker starts a worker process, counted in live already; on an
// error it takes it off the count.
func startWorker() (w *worker, err error) {
	defer func() {
		if err != nil {
			idleMu.Lock()
			live--
			idleMu.Unlock()
		}
	}()
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), WorkerEnv+"=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &worker{cmd: cmd, in: in, out: bufio.NewReader(out)}, nil
}

// putWorker keeps w for the next layout, up to maxApart idle workers.
func putWorker(w *worker) {
	idleMu.Lock()
	defer idleMu.Unlock()
	if len(idle) >= maxApart {
		live--
		w.stop()
		return
	}
	idle = append(idle, w)
}

// kill ends the worker at once.
func (w *worker) kill() {
	w.cmd.Process.Kill()
	w.in.Close()
	w.cmd.Wait()
	idleMu.Lock()
	live--
	idleMu.Unlock()
}

// stop lets the worker exit by closing its input.
func (w *worker) stop() {
	w.in.Close()
	go w.cmd.Wait()
}

// layoutFailure is an error Graphviz reported for a layout, as opposed to
// a broken worker.
type layoutFailure struct{ msg string }

func (e *layoutFailure) Error() string { return e.msg }

// The protocol: a request is the length of the DOT text (4 bytes,
// little-endian) and the text; an answer is a status byte (0 for the
// SVG, 1 for an error message), the length of what follows and that.
func (w *worker) layout(src []byte) ([]byte, error) {
	var hdr [4]byte
	binary.LittleEndian.PutUint32(hdr[:], uint32(len(src)))
	if _, err := w.in.Write(append(hdr[:], src...)); err != nil {
		return nil, err
	}
	var ans [5]byte
	if _, err := io.ReadFull(w.out, ans[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.LittleEndian.Uint32(ans[1:]))
	if _, err := io.ReadFull(w.out, body); err != nil {
		return nil, err
	}
	if ans[0] != 0 {
		return nil, &layoutFailure{string(body)}
	}
	return body, nil
}

// maxWorkerDOT bounds a request a worker accepts.
const maxWorkerDOT = 64 << 20

// serveLayouts answers layout requests from r on w until r ends, and
// returns the exit status of the worker.
func serveLayouts(r io.Reader, w io.Writer) int {
	br, bw := bufio.NewReader(r), bufio.NewWriter(w)
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if err == io.EOF {
				return 0
			}
			return 1
		}
		n := binary.LittleEndian.Uint32(hdr[:])
		if n > maxWorkerDOT {
			return 1
		}
		src := make([]byte, n)
		if _, err := io.ReadFull(br, src); err != nil {
			return 1
		}
		out, err := layout(context.Background(), src, graphviz.SVG)
		status := byte(0)
		if err != nil {
			status, out = 1, []byte(err.Error())
		}
		var ans [5]byte
		ans[0] = status
		binary.LittleEndian.PutUint32(ans[1:], uint32(len(out)))
		bw.Write(ans[:])
		bw.Write(out)
		if err := bw.Flush(); err != nil {
			return 1
		}
	}
}
