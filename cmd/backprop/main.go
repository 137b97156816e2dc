// Command backprop is the command-line interface to the backprop library.
//
// Usage:
//
//	backprop <command> [arguments]
//
// The commands are:
//
//	grad   evaluate an expression and its gradient with respect to each variable
//	train  train a neural network on MNIST, the spiral or text (the Go source)
//	eval   measure a saved model on its test set
//	predict classify images of digits with a saved model
//	sample generate text with a next-byte model, writing each byte as it is drawn
//	bench  measure the speed of a kernel, a training step or an all-reduce (gemm, conv, train, allreduce)
//	serve  a local web page that draws graphs and steps through backprop; with --model, a prediction server
//	help   print this list, or the usage of one command
//
// Run "backprop help <command>" or "backprop <command> --help" for the
// usage of a command, and "backprop --version" for the version.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
)

// version is the version of the program: set at link time with
// -ldflags "-X main.version=v1.2.3", else the module's version from the
// build information ("devel" for a build from a source tree).
var version = ""

// versionLine is what backprop --version prints.
func versionLine() string {
	v := version
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	return fmt.Sprintf("backprop %s (%s %s/%s)", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// A command is a subcommand of backprop.
type command struct {
	name    string
	summary string
	usage   string // the full usage text, ending in a newline
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order the usage shows them.
var commands = []command{
	{name: "grad", summary: "evaluate an expression and its gradient with respect to each variable", usage: gradUsage, run: runGrad},
	{name: "train", summary: "train a neural network on MNIST, the spiral or text (the Go source)", usage: trainUsage, run: runTrain},
	{name: "eval", summary: "measure a saved model on its test set", usage: evalUsage, run: runEval},
	{name: "predict", summary: "classify images of digits with a saved model", usage: predictUsage, run: runPredict},
	{name: "sample", summary: "generate text with a next-byte model, writing each byte as it is drawn", usage: sampleUsage, run: runSample},
	{name: "bench", summary: "measure the speed of a kernel, a training step or an all-reduce (gemm, conv, train, allreduce)", usage: benchUsage, run: runBench},
	{name: "serve", summary: "a local web page that draws graphs and steps through backprop; with --model, a prediction server", usage: serveUsage, run: runServe},
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// run executes the command line args (without the program name), writing
// to stdout and stderr, and returns the exit status: 0 on success, 2 for a
// usage or input error (train adds 1 for a diverged run and 130 for an
// interrupted one). A panic — a bug — is reported in one line with
// status 3, never as a Go stack trace.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "backprop: internal error: %v (please report it)\n", r)
			code = 3
		}
	}()
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch name := args[0]; name {
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, versionLine())
		return 0
	case "help", "-h", "-help", "--help":
		if len(args) == 1 {
			usage(stdout)
			return 0
		}
		c := lookup(args[1])
		if c == nil || len(args) > 2 {
			fmt.Fprintf(stderr, "backprop help: unknown command %q\nRun 'backprop help' for the list of commands.\n", args[1])
			return 2
		}
		fmt.Fprint(stdout, c.usage)
		return 0
	default:
		c := lookup(name)
		if c == nil {
			fmt.Fprintf(stderr, "backprop: unknown command %q\nRun 'backprop help' for the list of commands.\n", name)
			return 2
		}
		return c.run(args[1:], stdout, stderr)
	}
}

// usage prints the list of commands.
func usage(w io.Writer) {
	fmt.Fprint(w, "Backprop computes gradients by back-propagation through computational graphs.\n\n")
	fmt.Fprint(w, "Usage:\n\n\tbackprop <command> [arguments]\n\nThe commands are:\n\n")
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\t%-8s %s\n", "help", "print this list, or the usage of one command")
	fmt.Fprint(w, "\nRun 'backprop help <command>' or 'backprop <command> --help' for the usage of a\ncommand, and 'backprop --version' for the version.\n")
}
