package main

import (
	"bytes"
	"flag"
	"strings"
	"testing"
)

// runArgs runs the command line args and returns the exit status and the
// two outputs.
func runArgs(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRun(t *testing.T) {
	tests := []struct {
		args       []string
		code       int
		stdout     string // prefix
		stderr     string // prefix
		stderrLine bool   // stderr is exactly the prefix
	}{
		{args: nil, code: 2, stderr: "Backprop computes gradients"},
		{args: []string{"help"}, code: 0, stdout: "Backprop computes gradients"},
		{args: []string{"-h"}, code: 0, stdout: "Backprop computes gradients"},
		{args: []string{"--help"}, code: 0, stdout: "Backprop computes gradients"},
		{args: []string{"help", "grad"}, code: 0, stdout: "usage: backprop grad [--json]"},
		{args: []string{"grad", "-h"}, code: 0, stdout: "usage: backprop grad [--json]"},
		{args: []string{"grad", "x", "--help", "x=1"}, code: 0, stdout: "usage: backprop grad [--json]"},
		{args: []string{"--version"}, code: 0, stdout: versionLine() + "\n"},
		{args: []string{"train", "--epoch", "3"}, code: 2, stderr: "backprop train: unknown flag --epoch (did you mean --epochs?)\n", stderrLine: true},
		{args: []string{"train", "--hiden", "64"}, code: 2, stderr: "backprop train: unknown flag --hiden (did you mean --hidden?)\n", stderrLine: true},
		{args: []string{"eval", "--modle", "m"}, code: 2, stderr: "backprop eval: unknown flag --modle (did you mean --model?)\n", stderrLine: true},
		{args: []string{"bench", "gemm", "--tread", "2"}, code: 2, stderr: "backprop bench gemm: unknown flag --tread (did you mean --threads?)\n", stderrLine: true},
		{args: []string{"grad", "--jsno", "x", "x=1"}, code: 2, stderr: "backprop grad: unknown flag --jsno (did you mean --json?)\n", stderrLine: true},
		{args: []string{"serve", "--port", "1"}, code: 2, stderr: "backprop serve: unknown flag --port; run 'backprop help serve' for the flags\n", stderrLine: true},
		{args: []string{"train", "--epochs", "x"}, code: 2, stderr: "backprop train: --epochs x: want a whole number\n", stderrLine: true},
		{args: []string{"train", "--json=maybe"}, code: 2, stderr: "backprop train: --json maybe: want true or false\n", stderrLine: true},
		{args: []string{"train", "--epochs"}, code: 2, stderr: "backprop train: --epochs needs a value\n", stderrLine: true},
		{args: []string{"bench", "gemm", "--time", "x"}, code: 2, stderr: "backprop bench gemm: --time x: want a duration such as 2s or 500ms\n", stderrLine: true},
		{args: []string{"help", "x"}, code: 2, stderr: "backprop help: unknown command \"x\"\nRun 'backprop help' for the list of commands.\n", stderrLine: true},
		{args: []string{"x"}, code: 2, stderr: "backprop: unknown command \"x\"\nRun 'backprop help' for the list of commands.\n", stderrLine: true},
	}
	for _, tt := range tests {
		code, stdout, stderr := runArgs(tt.args...)
		if code != tt.code {
			t.Errorf("run(%q): exit %d, want %d", tt.args, code, tt.code)
		}
		if !strings.HasPrefix(stdout, tt.stdout) || tt.stdout == "" && stdout != "" {
			t.Errorf("run(%q): stdout %q, want it to start with %q", tt.args, stdout, tt.stdout)
		}
		if !strings.HasPrefix(stderr, tt.stderr) || tt.stderr == "" && stderr != "" || tt.stderrLine && stderr != tt.stderr {
			t.Errorf("run(%q): stderr %q, want %q", tt.args, stderr, tt.stderr)
		}
	}
	if v := versionLine(); !strings.HasPrefix(v, "backprop devel (go1.") {
		t.Errorf("version line %q", v)
	}
	// The listing names every command.
	_, stdout, _ := runArgs("help")
	for _, c := range commands {
		if !strings.Contains(stdout, "\t"+c.name+" ") {
			t.Errorf("help does not list %q:\n%s", c.name, stdout)
		}
	}
}

// -h, -help and --help print the usage of every command to standard
// output and exit 0, as "backprop help CMD" does.
func TestHelpEveryCommand(t *testing.T) {
	cmds := [][]string{{"bench", "gemm"}, {"bench", "train"}}
	for _, c := range commands {
		cmds = append(cmds, []string{c.name})
	}
	for _, c := range cmds {
		for _, h := range []string{"-h", "-help", "--help"} {
			code, stdout, stderr := runArgs(append(append([]string{}, c...), h)...)
			if code != 0 || !strings.HasPrefix(stdout, "usage: backprop "+c[0]) || stderr != "" {
				t.Errorf("%s %s: exit %d, stdout %.40q, stderr %q", strings.Join(c, " "), h, code, stdout, stderr)
			}
		}
	}
}

func TestClosestFlag(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	for _, n := range []string{"epochs", "lr", "batch", "checkpoint-dir", "checkpoint-every"} {
		fs.Bool(n, false, "")
	}
	for _, c := range []struct{ in, want string }{
		{"epoch", "epochs"}, {"epochz", "epochs"}, {"lrr", "lr"}, {"bacth", "batch"},
		{"checkpoint", "checkpoint-dir"}, {"chekpoint-dir", "checkpoint-dir"}, {"xyz", ""}, {"momentum", ""},
	} {
		if got := closestFlag(fs, c.in); got != c.want {
			t.Errorf("closestFlag(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
