// Package memory weighs what outside input asks for against the memory the
// machine can give, so that a size from a flag or a file is refused with
// one line before anything of that size is allocated. Go cannot recover
// from running out of memory: the runtime stops the program with a fatal
// error and its stack, so the only defence is to compute the need first.
//
// It holds the one definition of each piece the rest of the module
// shares: the memory available (Available), sizes written by people
// (ParseSize) and for them (Format), the error that names what needs how
// much and the limit (Error, Budget, Check), and arithmetic on sizes that cannot
// overflow (Add, Mul, Elements).
package memory
