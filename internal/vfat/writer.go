package vfat

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// bufSize is the unit of large writes: big enough that system call and
// device overhead vanish, small enough not to matter in memory.
const bufSize = 4 << 20

// seqWriter turns sequential writes into large WriteAt calls.
type seqWriter struct {
	w   io.WriterAt
	off int64 // where buf goes
	buf []byte
}

func newSeqWriter(w io.WriterAt, off int64) *seqWriter {
	return &seqWriter{w: w, off: off, buf: make([]byte, 0, bufSize)}
}

func (s *seqWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if len(s.buf) == cap(s.buf) {
			if err := s.Flush(); err != nil {
				return n, err
			}
		}
		k := copy(s.buf[len(s.buf):cap(s.buf)], p)
		s.buf = s.buf[:len(s.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

// zeros appends n zero bytes.
func (s *seqWriter) zeros(n int64) error {
	for n > 0 {
		if len(s.buf) == cap(s.buf) {
			if err := s.Flush(); err != nil {
				return err
			}
		}
		k := min(int64(cap(s.buf)-len(s.buf)), n)
		clear(s.buf[len(s.buf) : len(s.buf)+int(k)])
		s.buf = s.buf[:len(s.buf)+int(k)]
		n -= k
	}
	return nil
}

// copyExactly appends exactly n bytes read from r, also writing them to
// h, and fails if r holds fewer or more: a file changing while it is
// copied must not produce an image that disagrees with its directory.
func (s *seqWriter) copyExactly(r io.Reader, n int64, h io.Writer) error {
	for n > 0 {
		if len(s.buf) == cap(s.buf) {
			if err := s.Flush(); err != nil {
				return err
			}
		}
		free := s.buf[len(s.buf):cap(s.buf)]
		if int64(len(free)) > n {
			free = free[:n]
		}
		k, err := r.Read(free)
		h.Write(free[:k])
		s.buf = s.buf[:len(s.buf)+k]
		n -= int64(k)
		if err == io.EOF && n > 0 {
			return fmt.Errorf("shrank while being copied (%d bytes missing)", n)
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
	var one [1]byte
	if k, _ := io.ReadFull(r, one[:]); k > 0 {
		return errors.New("grew while being copied")
	}
	return nil
}

// Flush writes out the buffer.
func (s *seqWriter) Flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	if _, err := s.w.WriteAt(s.buf, s.off); err != nil {
		return fmt.Errorf("vfat: writing at byte %d: %w", s.off, err)
	}
	s.off += int64(len(s.buf))
	s.buf = s.buf[:0]
	return nil
}

// zeroFill makes n bytes at off read as zeros while writing as little as
// it can: holes of a sparse file are skipped, and so are chunks that a
// readable target already holds as zeros. This is what keeps formatting a
// terabyte-sized sparse image quick: its FATs are mostly zeros.
func zeroFill(w io.WriterAt, off, n int64) error {
	if ranges, ok := dataRanges(w, off, n); ok {
		for _, r := range ranges {
			if err := writeZeros(w, r[0], r[1]-r[0], nil); err != nil {
				return err
			}
		}
		return nil
	}
	r, _ := w.(io.ReaderAt)
	return writeZeros(w, off, n, r)
}

// writeZeros writes n zero bytes at off, skipping chunks that r (if not
// nil) shows to be zero already.
func writeZeros(w io.WriterAt, off, n int64, r io.ReaderAt) error {
	zero := make([]byte, min(n, bufSize))
	var cur []byte
	if r != nil {
		cur = make([]byte, len(zero))
	}
	for n > 0 {
		k := min(n, int64(len(zero)))
		if r != nil {
			if m, _ := r.ReadAt(cur[:k], off); m == int(k) && bytes.Equal(cur[:k], zero[:k]) {
				off, n = off+k, n-k
				continue
			}
		}
		if _, err := w.WriteAt(zero[:k], off); err != nil {
			return fmt.Errorf("vfat: writing at byte %d: %w", off, err)
		}
		off, n = off+k, n-k
	}
	return nil
}
