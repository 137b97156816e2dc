//go:build mpi

// "mpirun -np N backprop train" end to end: these tests build the command
// with -tags mpi and start it under mpirun with 2 and 3 processes (test.sh
// runs them with "go test -tags mpi"). They fail, not skip, without
// mpirun.

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"backprop/train"
)

var mpiBin struct {
	once sync.Once
	path string
	err  error
}

// mpiBinary builds the command with -tags mpi, once for all the tests.
func mpiBinary(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Fatalf("mpirun: %v (install Open MPI: apt-get install openmpi-bin libopenmpi-dev)", err)
	}
	mpiBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "backprop-mpi")
		if err != nil {
			mpiBin.err = err
			return
		}
		mpiBin.path = filepath.Join(dir, "backprop")
		if out, err := exec.Command("go", "build", "-tags", "mpi", "-o", mpiBin.path, ".").CombinedOutput(); err != nil {
			mpiBin.err = fmt.Errorf("go build -tags mpi: %v\n%s", err, out)
		}
	})
	if mpiBin.err != nil {
		t.Fatal(mpiBin.err)
	}
	return mpiBin.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if mpiBin.path != "" {
		os.RemoveAll(filepath.Dir(mpiBin.path))
	}
	os.Exit(code)
}

// mpirun returns the command that runs bin with args on np processes.
func mpirun(np int, bin string, args ...string) *exec.Cmd {
	return exec.Command("mpirun", append([]string{"--allow-run-as-root", "--oversubscribe", "-np", strconv.Itoa(np), bin}, args...)...)
}

// exitCode runs cmd and returns its exit status and outputs.
func exitCode(t *testing.T, cmd *exec.Cmd) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errOut.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errOut.String()
}

// trainResult is the --json line of backprop train.
type trainResult struct {
	TestAccuracy float64 `json:"test_accuracy"`
	Model        string  `json:"model"`
}

// One MNIST epoch on 2 and on 3 processes reaches the test accuracy of one
// process within 0.2 percentage points, and rank 0 alone prints (one JSON
// line, one header); two shorter runs on 3 processes write the same
// model, byte for byte.
func TestMPITrainMatchesOneProcess(t *testing.T) {
	dir := t.TempDir()
	bin := mpiBinary(t)
	args := []string{"train", "--epochs", "1", "--json"}
	result := func(name string, cmd *exec.Cmd) trainResult {
		t.Helper()
		code, stdout, stderr := exitCode(t, cmd)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		var r trainResult
		if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &r) != nil {
			t.Fatalf("%s: standard output %q, want one JSON line", name, stdout)
		}
		if n := strings.Count(stderr, "training 784-512-256-10 relu"); n != 1 {
			t.Errorf("%s: the header printed %d times: %s", name, n, stderr)
		}
		t.Logf("%s: test accuracy %.2f%%", name, 100*r.TestAccuracy)
		return r
	}
	one := result("one process", exec.Command(bin, append(args, "--model", "none")...))
	for _, np := range []int{2, 3} {
		r := result(fmt.Sprintf("%d processes", np), mpirun(np, bin, append(args, "--model", "none")...))
		if d := 100 * math.Abs(r.TestAccuracy-one.TestAccuracy); d > 0.2 {
			t.Errorf("%d processes: test accuracy %.2f%%, one process %.2f%%: %.2f points apart, want ≤ 0.2",
				np, 100*r.TestAccuracy, 100*one.TestAccuracy, d)
		}
	}
	var models [2][]byte
	for i := range models {
		model := filepath.Join(dir, fmt.Sprintf("m%d.safetensors", i))
		result("3 processes, 6000 examples", mpirun(3, bin, append(args, "--limit", "6000", "--dropout", "0.2", "--model", model)...))
		var err error
		if models[i], err = os.ReadFile(model); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(models[0], models[1]) {
		t.Errorf("two runs on 3 processes wrote different models")
	}
}

// ranksOf returns the pids of the processes mpirun (pid) started, by rank.
func ranksOf(t *testing.T, mpirunPid int) map[int]int {
	t.Helper()
	ranks := map[int]int{}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		stat, err := os.ReadFile(filepath.Join(p, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(mpirunPid) {
			continue
		}
		env, _ := os.ReadFile(filepath.Join(p, "environ"))
		for _, kv := range strings.Split(string(env), "\x00") {
			if r, ok := strings.CutPrefix(kv, "OMPI_COMM_WORLD_RANK="); ok {
				rank, _ := strconv.Atoi(r)
				pid, _ := strconv.Atoi(filepath.Base(p))
				ranks[rank] = pid
			}
		}
	}
	return ranks
}

// SIGTERM to the last of 3 ranks stops every rank after the same step:
// rank 0 writes the checkpoint, every rank exits 130 and rank 0 says how
// to resume; resumed on 3 processes, the run writes the model an
// uninterrupted run on 3 processes writes, byte for byte. Without
// --checkpoint-dir the ranks stop together too, saving nothing.
func TestMPIInterruptAndResume(t *testing.T) {
	dir := t.TempDir()
	bin := mpiBinary(t)
	args := []string{"train", "--limit", "3000", "--val", "500", "--epochs", "2", "--dropout", "0.1", "--seed", "5"}
	ref := filepath.Join(dir, "ref.safetensors")
	if code, _, stderr := exitCode(t, mpirun(3, bin, append(args, "--model", ref, "--checkpoint-dir", filepath.Join(dir, "refck"), "--checkpoint-every", "5")...)); code != 0 {
		t.Fatalf("uninterrupted run: exit %d: %s", code, stderr)
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}

	// interrupt starts a run, waits until ready(its standard error) and
	// sends SIGTERM to rank 2.
	interrupt := func(model string, ready func(stderr string) bool, extra ...string) (int, string) {
		t.Helper()
		cmd := mpirun(3, bin, append(append(args, "--model", model), extra...)...)
		var stderr syncBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		deadline := time.Now().Add(60 * time.Second)
		for {
			select {
			case err := <-done:
				t.Fatalf("the run ended (%v) before it was interrupted: %s", err, stderr.String())
			default:
			}
			if ready(stderr.String()) {
				if pid, ok := ranksOf(t, cmd.Process.Pid)[2]; ok {
					syscall.Kill(pid, syscall.SIGTERM)
					break
				}
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("not ready after 60 s: %s", stderr.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		err := <-done
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return code, stderr.String()
	}
	ck := filepath.Join(dir, "ck")
	model := filepath.Join(dir, "model.safetensors")
	checkpointed := func(string) bool {
		_, err := os.Stat(filepath.Join(ck, train.CheckpointFile))
		return err == nil
	}
	code, stderr := interrupt(model, checkpointed, "--checkpoint-dir", ck, "--checkpoint-every", "5")
	if code != 130 || !strings.Contains(stderr, "backprop train: interrupted at epoch ") ||
		strings.Count(stderr, "resume with: backprop train --resume "+ck+"\n") != 1 {
		t.Fatalf("SIGTERM to rank 2: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(model); err == nil {
		t.Errorf("an interrupted run saved its model")
	}
	if code, _, stderr := exitCode(t, mpirun(3, bin, "train", "--resume", ck, "--model", model)); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(model)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("the resumed run's model differs from the uninterrupted run's (%v)", err)
	}

	// Without checkpoints: after the first epoch's row.
	code, stderr = interrupt("none", func(s string) bool { return strings.Contains(s, epochTableHeader+"\n") })
	if code != 130 || strings.Count(stderr, "backprop train: interrupted at epoch ") != 1 || !strings.Contains(stderr, "; nothing was saved") {
		t.Errorf("SIGTERM without --checkpoint-dir: exit %d: %s", code, stderr)
	}
}

// A rank that fails alone before training (here rank 1 is given a data
// folder that does not exist, through mpirun's colon syntax) makes every
// rank stop with status 2, rank 1 naming its error and rank 0 naming rank
// 1; ranks started with different seeds refuse to train apart; a
// diverging run stops on every rank, rank 0 saying so once; so does an
// anomaly, each rank naming its own.
func TestMPIFailTogether(t *testing.T) {
	dir := t.TempDir()
	bin := mpiBinary(t)
	args := []string{"train", "--limit", "500", "--val", "100", "--epochs", "1", "--model", "none"}
	mpmd := func(second ...string) *exec.Cmd {
		a := append([]string{"--allow-run-as-root", "--oversubscribe", "-np", "1", bin}, args...)
		a = append(append(append(a, ":", "-np", "1", bin), args...), second...)
		return exec.Command("mpirun", a...)
	}
	code, _, stderr := exitCode(t, mpmd("--data", filepath.Join(dir, "missing")))
	if code != 2 || !strings.Contains(stderr, "backprop train: rank 1 failed (its error is on its standard error)\n") ||
		!strings.Contains(stderr, "backprop train: rank 1: mnist: open "+filepath.Join(dir, "missing")) {
		t.Errorf("rank 1 without data: exit %d: %s", code, stderr)
	}
	code, _, stderr = exitCode(t, mpmd("--seed", "2"))
	if code != 2 || strings.Count(stderr, "backprop train: train: the ranks do not start from the same data order") != 1 {
		t.Errorf("ranks with different seeds: exit %d: %s", code, stderr)
	}
	// A loss that is no longer finite stops every rank at the same step.
	code, _, stderr = exitCode(t, mpirun(3, bin, append(args, "--optimizer", "sgd", "--lr", "1e6")...))
	if code != 1 || strings.Count(stderr, "backprop train: the loss is ") != 1 || !strings.Contains(stderr, "training diverged") {
		t.Errorf("a diverging run: exit %d: %s", code, stderr)
	}
	// With --detect-anomaly each rank that meets a non-finite value names
	// its gate, rank 0 without a prefix, the others with theirs.
	code, _, stderr = exitCode(t, mpirun(3, bin, append(args, "--optimizer", "sgd", "--lr", "1e6", "--detect-anomaly")...))
	if code != 1 || strings.Count(stderr, "\nbackprop train: ag: anomaly: ") != 1 {
		t.Errorf("an anomaly: exit %d: %s", code, stderr)
	}
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "backprop train: rank ") && !strings.Contains(line, ": ag: anomaly: ") {
			t.Errorf("an anomaly: another rank says %q", line)
		}
	}
}

// syncBuffer is a bytes.Buffer that a command writes while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// bench allreduce on 2 processes: one JSON line per size from rank 0 and
// a fit with a positive latency and bandwidth.
func TestMPIBenchAllReduce(t *testing.T) {
	bin := mpiBinary(t)
	code, stdout, stderr := exitCode(t, mpirun(2, bin, "bench", "allreduce", "--min-bytes", "64", "--max-bytes", "4096", "--time", "10ms", "--json"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 8 { // 64 B … 4 KiB, and the fit
		t.Fatalf("%d lines: %s", len(lines), stdout)
	}
	for i, l := range lines[:7] {
		var r allReduceResult
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.Ranks != 2 || r.Bytes != 64<<i || !(r.Seconds > 0) || r.Reps < 5 {
			t.Errorf("line %d: %s (%v)", i, l, err)
		}
	}
	var fit map[string]float64
	json.Unmarshal([]byte(strings.Replace(lines[7], `"op":"allreduce-fit",`, "", 1)), &fit)
	if !(fit["bandwidth_gbs"] > 0) || fit["ranks"] != 2 {
		t.Errorf("fit: %s", lines[7])
	}
}
