// Package web is the local web page of "backprop serve": type an
// expression and values, see its graph drawn by package viz, and step
// through the forward pass and then the backward pass one gate at a time,
// the current gate highlighted with its local gradient and the upstream
// gradient it multiplies. A second view trains the CS231n spiral network
// (2 → 100 → 3, ReLU, softmax cross-entropy) on the server in small steps
// and redraws its decision boundary and loss curve as it learns.
//
// With a model (NewWith, ServeWith and Config), the same server answers
// predictions — POST /v1/predict, GET /v1/model, GET /healthz — and the
// page gets a "Draw a digit" tab when the model reads 28×28 images.
//
// Every asset is embedded, so the page works offline. The handler checks
// every request: methods, body size (MaxBody, MaxPredictBody), expression
// length (MaxExpr), the number and size of values, the number of gates
// and the cost of their layout (MaxLayout), training sizes and steps per
// request, batch and image sizes, and every response is bounded by a
// timeout. Requests share no lock across their work: layouts run in
// worker processes killed at the deadline, training sessions lock only
// themselves, predictions run in parallel. Serve adds http.Server
// timeouts and drains requests in flight on shutdown; callers bind it to
// loopback.
package web
