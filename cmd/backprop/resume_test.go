package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"backprop/train"
)

// buildBinary builds the command into dir and returns its path.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "backprop")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// The kill-and-resume test: the real binary is interrupted with SIGINT
// (it finishes the step, checkpoints and exits 130) and killed with
// SIGKILL at random moments (it resumes from the last checkpoint), and
// each resumed run ends with a model file identical, byte for byte, to
// that of a run never interrupted.
func TestKillAndResume(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs POSIX signals")
	}
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	// About half a second of training (3000 points, 94 batches an epoch,
	// dropout so that the random state matters within an epoch too), and
	// more with the checkpoints.
	t.Run("mlp", func(t *testing.T) {
		killAndResume(t, bin, []string{"train", "--dataset", "spiral", "--points", "1000", "--hidden", "64", "--epochs", "60",
			"--dropout", "0.1", "--threads", "1", "--seed", "3"})
	})
	// A convolutional network with batch normalisation, whose buffers the
	// checkpoints must keep, on augmented digits, whose random shifts
	// must continue where they stopped.
	t.Run("cnn", func(t *testing.T) {
		killAndResume(t, bin, []string{"train", "--arch", "conv(4,5) batchnorm relu maxpool(2) flatten linear(10)", "--augment",
			"--limit", "1500", "--val", "100", "--batch", "32", "--epochs", "8", "--threads", "1", "--seed", "3"})
	})
	// A next-byte model of text, a transformer block with dropout and an
	// LSTM, whose random windows must continue where they stopped.
	t.Run("text", func(t *testing.T) {
		killAndResume(t, bin, []string{"train", "--text", goText(t), "--arch", "embed(16) posembed(32) block(2,dropout=0.1) lstm(16) linear(256)",
			"--context", "32", "--batch", "16", "--epochs", "6", "--steps-per-epoch", "40", "--val", "16", "--threads", "1", "--seed", "3"})
	})
}

// killAndResume interrupts and kills runs of the binary bin with args
// and checks that each resumed run ends with the model of the
// uninterrupted run.
func killAndResume(t *testing.T, bin string, args []string) {
	dir := t.TempDir()
	runBin := func(extra ...string) (int, string) {
		cmd := exec.Command(bin, append(append([]string{}, args...), extra...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, stderr.String()
	}
	ref := filepath.Join(dir, "ref.safetensors")
	if code, stderr := runBin("--model", ref); code != 0 {
		t.Fatalf("uninterrupted run: exit %d: %s", code, stderr)
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}

	// start runs the binary with checkpoints into ck and, once the first
	// checkpoint exists and delay has passed, sends it sig; it returns
	// the exit status, standard error and whether the signal came before
	// the run ended.
	start := func(ck, model string, sig syscall.Signal, delay time.Duration) (int, string, bool) {
		cmd := exec.Command(bin, append(append([]string{}, args...), "--model", model, "--checkpoint-dir", ck, "--checkpoint-every", "10")...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, err := os.Stat(filepath.Join(ck, train.CheckpointFile)); err == nil {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("no checkpoint after 20 s: %s", stderr.String())
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(delay)
		signalled := cmd.Process.Signal(sig) == nil
		err := <-done
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		}
		return code, stderr.String(), signalled && code != 0
	}
	resume := func(ck, model string) {
		t.Helper()
		code, stderr := runBin("--resume", ck, "--model", model)
		if code != 0 {
			t.Fatalf("resume: exit %d: %s", code, stderr)
		}
		got, err := os.ReadFile(model)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("the resumed run's model (%d bytes) differs from the uninterrupted run's (%d bytes)", len(got), len(want))
		}
	}

	// SIGINT: the step finishes, a checkpoint is written, exit status 130
	// and one line saying how to resume.
	ck := filepath.Join(dir, "int")
	model := filepath.Join(dir, "int.safetensors")
	code, stderr, hit := start(ck, model, syscall.SIGINT, 20*time.Millisecond)
	if !hit {
		t.Fatalf("the run ended (exit %d) before SIGINT: make it longer", code)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	if code != 130 || !strings.HasPrefix(last, "backprop train: interrupted at epoch ") || !strings.HasSuffix(last, "; resume with: backprop train --resume "+ck) {
		t.Fatalf("SIGINT: exit %d, last line %q", code, last)
	}
	if _, err := os.Stat(model); err == nil {
		t.Errorf("an interrupted run saved its model")
	}
	resume(ck, model)

	// SIGKILL at random moments: resume from the last checkpoint.
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	kills := 0
	for i := range 2 {
		ck := filepath.Join(dir, "kill"+string(rune('0'+i)))
		model := filepath.Join(dir, "kill"+string(rune('0'+i))+".safetensors")
		delay := time.Duration(rng.IntN(400)) * time.Millisecond
		code, stderr, hit := start(ck, model, syscall.SIGKILL, delay)
		if hit {
			kills++
			if code != 128+int(syscall.SIGKILL) {
				t.Fatalf("SIGKILL after %v: exit %d: %s", delay, code, stderr)
			}
		}
		resume(ck, model)
	}
	if kills == 0 {
		t.Errorf("every run ended before SIGKILL")
	}
}
