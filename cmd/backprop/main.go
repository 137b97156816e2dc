// Command backprop is the command-line interface to the backprop library.
//
// Usage:
//
//	backprop <command> [arguments]
//
// The commands are:
//
//	grad   evaluate an expression and its gradient with respect to each variable
//	train  train a neural network on MNIST or the spiral data set
//	eval   measure a saved model on its test set
//	predict classify images of digits with a saved model
//	bench  measure the speed of a kernel, a training step or an all-reduce (gemm, train, allreduce)
//	serve  a local web page that draws graphs and steps through backprop
//	help   print this list, or the usage of one command
//
// Run "backprop help <command>" for the usage of a command.
package main

import (
	"fmt"
	"io"
	"os"
)

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
	{name: "train", summary: "train a neural network on MNIST or the spiral data set", usage: trainUsage, run: runTrain},
	{name: "eval", summary: "measure a saved model on its test set", usage: evalUsage, run: runEval},
	{name: "predict", summary: "classify images of digits with a saved model", usage: predictUsage, run: runPredict},
	{name: "bench", summary: "measure the speed of a kernel, a training step or an all-reduce (gemm, train, allreduce)", usage: benchUsage, run: runBench},
	{name: "serve", summary: "a local web page that draws graphs and steps through backprop", usage: serveUsage, run: runServe},
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
	fmt.Fprint(w, "\nRun 'backprop help <command>' for the usage of a command.\n")
}
