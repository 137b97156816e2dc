package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"

	"backprop/viz/web"
)

const serveSynopsis = "backprop serve [--addr 127.0.0.1:8080]"

const serveUsage = "usage: " + serveSynopsis + `

Serve runs a local web page for seeing backprop: type an expression and
the values of its variables, see its graph, and step through the forward
pass and then the backward pass one gate at a time, the current gate
highlighted with its local gradient and the upstream gradient it
multiplies. A second view trains the spiral two-layer network live and
redraws its decision boundary and loss curve.

Everything the page needs is built into the program; it works offline.
Stop the server with Ctrl-C.

	--addr   the address to listen on (default 127.0.0.1:8080, this
	         machine only); port 0 picks a free port
`

// serveListening, when set by a test, receives the listener's address and
// a function that stops the server.
var serveListening func(addr string, stop func())

// runServe implements "backprop serve".
func runServe(args []string, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "backprop serve: "+format+"\n", a...)
		return 2
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	pos, code, done := parseCommandFlags(fs, args, serveUsage, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fail("unexpected argument %q; usage: %s", pos[0], serveSynopsis)
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail("%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Fprintf(stdout, "backprop serve: open http://%s/ (Ctrl-C stops)\n", l.Addr())
	if serveListening != nil {
		serveListening(l.Addr().String(), stop)
	}
	if err := web.Serve(ctx, l); err != nil {
		return fail("%v", err)
	}
	return 0
}
