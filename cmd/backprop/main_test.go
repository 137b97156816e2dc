package main

import (
	"bytes"
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
		{args: []string{"grad", "-h"}, code: 0, stderr: "usage: backprop grad [--json]"},
		{args: []string{"grad", "x", "--help", "x=1"}, code: 0, stderr: "usage: backprop grad [--json]"},
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
	// The listing names every command.
	_, stdout, _ := runArgs("help")
	for _, c := range commands {
		if !strings.Contains(stdout, "\t"+c.name+" ") {
			t.Errorf("help does not list %q:\n%s", c.name, stdout)
		}
	}
}
