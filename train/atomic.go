package train

import (
	"io"

	"backprop/internal/atomicfile"
)

// WriteFileAtomic writes a file through write so that, whatever happens
// — an error, a crash, a power cut — path holds either its old content or
// the complete new one, never a torn mix. It writes a temporary file in
// the same folder (a rename is atomic only within one file system),
// flushes it to the disk with fsync, closes it, renames it over path and
// then syncs the folder, so that the rename itself is durable. On an
// error the temporary file is removed and path is left as it was. The
// new file has mode 0644. Models, checkpoints and plots are all written
// this way.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	return atomicfile.Write(path, write)
}
