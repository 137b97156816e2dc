package ag

// AfterGate calls f for every gate Backward reaches, in the order it
// reaches them, right after the gate has run and its gradients have been
// added to its inputs' (or after it was passed over because no gradient
// reached its output): f receives the gate's output Var, whose Inputs are
// still there to read. Unlike Trace it keeps the engine's fast paths —
// the fused gates still add parameter gradients straight into their
// buffers — and reports no per-gate gradients, so it costs a call per
// gate.
//
// A leaf's gradient is final once every gate that reads the leaf has been
// reached: a data-parallel trainer counts, before Backward, the gates
// that read each parameter (walking Inputs from the loss) and starts
// reducing a parameter's gradient across processes as soon as the last
// of them has run, while Backward goes on with the earlier layers.
func AfterGate(f func(v *Var)) Option { return func(c *backwardConfig) { c.after = f } }
