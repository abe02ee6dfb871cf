package mkext4

import (
	"errors"
	"fmt"
	"io"
)

// ZeroRanger is implemented by writers that can make a byte range read as
// zeros without transferring zeros (for example with fallocate or
// BLKZEROOUT). ZeroRange returns an error wrapping errors.ErrUnsupported
// when it cannot, and Format then writes zeros.
type ZeroRanger interface {
	ZeroRange(off, n int64) error
}

// zeroChunk is the buffer size when zeros have to be written.
const zeroChunk = 1 << 20

// zeroRange makes [off, off+n) of w read as zeros, as cheaply as w allows.
func zeroRange(w io.WriterAt, off, n int64) error {
	if z, ok := w.(ZeroRanger); ok {
		err := z.ZeroRange(off, n)
		if !errors.Is(err, errors.ErrUnsupported) {
			return err
		}
	}
	if done, err := zeroOS(w, off, n); done || err != nil {
		return err
	}
	buf := make([]byte, min(n, zeroChunk))
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := w.WriteAt(buf[:k], off); err != nil {
			return fmt.Errorf("write zeros: %w", err)
		}
		off, n = off+k, n-k
	}
	return nil
}
