package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"backprop/nn"
	"backprop/viz/web"
)

const serveSynopsis = "backprop serve [--addr 127.0.0.1:8080] [--model FILE] [--max-memory SIZE]"

const serveUsage = "usage: " + serveSynopsis + `

Serve runs a local web page for seeing backprop: type an expression and
the values of its variables, see its graph, and step through the forward
pass and then the backward pass one gate at a time, the current gate
highlighted with its local gradient and the upstream gradient it
multiplies. A second view trains the spiral two-layer network live and
redraws its decision boundary and loss curve.

With --model FILE (a model saved by "backprop train") it also serves
predictions:

	POST /v1/predict  {"inputs": [[...], ...]}, rows of raw features (for
	                  MNIST 784 pixels in [0, 1]), or images: PNG, JPEG or
	                  GIF as multipart fields "image" (curl -F image=@7.png)
	                  or as the body; read as "backprop predict" reads
	                  them. Answers {"predictions": [{"class": 7, "label":
	                  "7", "probabilities": [...]}, ...]}
	GET  /v1/model    the architecture, input shape, classes, parameters
	GET  /healthz     {"status": "ok"}

and the page gets a "Draw a digit" tab when the model reads 28×28 images.
Requests are bounded (8 MB bodies, 256 rows, 16 images of at most 4096
pixels a side) and timed out after 10 s; bad ones get a JSON error.

Everything the page needs is built into the program; it works offline.
Stop the server with Ctrl-C or SIGTERM: it finishes the requests in
flight, then exits.

	--addr        the address to listen on (default 127.0.0.1:8080, this
	              machine only; 0.0.0.0:8080 exposes it); port 0 picks a
	              free port
	--model       a model file to serve predictions from
	--max-memory  the most memory loading the model may take, such as
	              2GB (default: the memory available)
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
	model := fs.String("model", "", "model file")
	maxMemory := addMaxMemory(fs)
	pos, code, done := parseCommandFlags(fs, args, serveUsage, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fail("unexpected argument %q; usage: %s", pos[0], serveSynopsis)
	}
	var cfg web.Config
	if *model != "" {
		m, err := nn.Load(*model, maxMemory.nn())
		if err != nil {
			return fail("%v", err)
		}
		if m.Sequence() {
			return fail("--model %s: a next-byte model of text: serve predicts with image and spiral models; generate text with: backprop sample --model %s", *model, *model)
		}
		cfg = web.Config{Model: m, ModelFile: *model}
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail("%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if m := cfg.Model; m != nil {
		fmt.Fprintf(stdout, "backprop serve: model %s (%s, %d parameters): POST http://%s/v1/predict\n",
			*model, m.Arch, m.Plan().NumParams(), l.Addr())
	}
	fmt.Fprintf(stdout, "backprop serve: open http://%s/ (Ctrl-C stops)\n", l.Addr())
	if serveListening != nil {
		serveListening(l.Addr().String(), stop)
	}
	if err := web.ServeWith(ctx, l, cfg); err != nil {
		return fail("%v", err)
	}
	return 0
}
