package mkext4

import (
	"fmt"
	"io"
)

// Format writes an empty ext4 filesystem of size bytes (rounded down to
// whole blocks) at byte offset off of w, filled from opts.Source if set.
//
// It validates everything and reads Source's directory tree before the
// first write, so that a rejected request writes nothing. It then writes
// only metadata, file contents and the journal; the journal is zeroed
// through w's ZeroRange if it has one, with fallocate or BLKZEROOUT if w
// is an *os.File on Linux, or by writing zeros. Format does not sync w.
func Format(w io.WriterAt, off, size int64, opts Options) error {
	if w == nil {
		return fmt.Errorf("ext4: nil writer: %w", ErrInvalid)
	}
	if off < 0 {
		return fmt.Errorf("ext4: negative offset %d: %w", off, ErrInvalid)
	}
	im, err := plan(size, &opts)
	if err != nil {
		return err
	}
	return im.write(w, off, opts.Source)
}
