// Package atomicfile writes files so that a crash, a power cut or an error
// leaves either the old content or the complete new one, never a torn mix:
// a temporary file in the same folder, fsync, rename over the target, and
// fsync of the folder so that the rename itself is durable. Every file the
// module writes goes through it: models, checkpoints, plots, pictures.
package atomicfile
