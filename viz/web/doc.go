// Package web is the local web page of "backprop serve": type an
// expression and values, see its graph drawn by package viz, and step
// through the forward pass and then the backward pass one gate at a time,
// the current gate highlighted with its local gradient and the upstream
// gradient it multiplies. A second view trains the CS231n spiral network
// (2 → 100 → 3, ReLU, softmax cross-entropy) on the server in small steps
// and redraws its decision boundary and loss curve as it learns.
//
// Every asset is embedded, so the page works offline. The handler checks
// every request: methods, body size (MaxBody), expression length
// (MaxExpr), the number and size of values, the number of gates, training
// sizes and steps per request, and every response is bounded by a
// timeout. Serve adds http.Server timeouts; callers bind it to loopback.
package web
