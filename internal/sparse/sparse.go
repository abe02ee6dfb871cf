// Package sparse reads files that are mostly holes, such as the multi-GiB
// disk images mkiso writes, without reading the holes: the kernel is asked
// where the data is (lseek SEEK_DATA/SEEK_HOLE, lseek(2)) and the holes are
// produced from memory. Reading 4 GiB of holes through the page cache
// costs seconds; producing the zeros costs nothing but the consumer's time.
package sparse

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// zeros is written for holes, one chunk at a time; never modified.
var zeros = make([]byte, 1<<20)

// Copy writes the whole content of f, from offset 0 to its size, to w:
// the data extents read from the file, the holes as zeros. The result is
// byte for byte what io.Copy would give. A file system without
// SEEK_DATA support is read whole.
func Copy(w io.Writer, f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("sparse: %w", err)
	}
	size := st.Size()
	var off int64
	for off < size {
		data, hole, err := NextExtent(f, off, size)
		if err != nil {
			return off, fmt.Errorf("sparse: %s: %w", f.Name(), err)
		}
		if err := writeZeros(w, data-off); err != nil {
			return off, err
		}
		if _, err := io.Copy(w, io.NewSectionReader(f, data, hole-data)); err != nil {
			return data, fmt.Errorf("sparse: %s: %w", f.Name(), err)
		}
		off = hole
	}
	return size, nil
}

// NextExtent returns the next data extent of f at or after off, cut at
// end: [data, hole). Past the last extent before end both are end. A
// file system without SEEK_DATA has one extent, [off, end).
func NextExtent(f *os.File, off, end int64) (data, hole int64, err error) {
	fd := int(f.Fd())
	data, err = unix.Seek(fd, off, unix.SEEK_DATA)
	switch {
	case errors.Is(err, unix.ENXIO) || err == nil && data >= end: // no data after off: a hole to the end
		return end, end, nil
	case errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP):
		return off, end, nil // no SEEK_DATA here: everything is data
	case err != nil:
		return 0, 0, fmt.Errorf("seek data at %d: %w", off, err)
	}
	hole, err = unix.Seek(fd, data, unix.SEEK_HOLE)
	if err != nil {
		return 0, 0, fmt.Errorf("seek hole at %d: %w", data, err)
	}
	return data, min(hole, end), nil
}

func writeZeros(w io.Writer, n int64) error {
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return fmt.Errorf("sparse: %w", err)
		}
		n -= k
	}
	return nil
}
