package vfat

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// bufSize is the unit of large buffered writes: big enough that system
// call and device overhead vanish, small enough not to matter in memory.
// The buffer starts at minBuf and grows to bufSize only when content that
// has to be copied (read from Source) fills it.
const (
	bufSize = 4 << 20
	minBuf  = 64 << 10
	// directSize is the size from which Write passes a slice straight to
	// WriteAt instead of copying it into the buffer: in-memory files are
	// written from their own memory.
	directSize = 256 << 10
)

// seqWriter turns sequential writes into large WriteAt calls.
type seqWriter struct {
	w   io.WriterAt
	off int64 // where buf goes
	buf []byte
}

func newSeqWriter(w io.WriterAt, off int64) *seqWriter {
	return &seqWriter{w: w, off: off}
}

// room returns the free part of the buffer, first growing the buffer (up
// to bufSize) or flushing it when it is full.
func (s *seqWriter) room() ([]byte, error) {
	if len(s.buf) == cap(s.buf) {
		if cap(s.buf) < bufSize {
			grown := make([]byte, len(s.buf), min(bufSize, max(minBuf, 2*cap(s.buf))))
			copy(grown, s.buf)
			s.buf = grown
		} else if err := s.Flush(); err != nil {
			return nil, err
		}
	}
	return s.buf[len(s.buf):cap(s.buf)], nil
}

// Write appends p; a large p is written directly, without a copy.
func (s *seqWriter) Write(p []byte) (int, error) {
	if len(p) >= directSize {
		if err := s.Flush(); err != nil {
			return 0, err
		}
		if _, err := s.w.WriteAt(p, s.off); err != nil {
			return 0, fmt.Errorf("vfat: writing at byte %d: %w", s.off, err)
		}
		s.off += int64(len(p))
		return len(p), nil
	}
	n := 0
	for len(p) > 0 {
		free, err := s.room()
		if err != nil {
			return n, err
		}
		k := copy(free, p)
		s.buf = s.buf[:len(s.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

// zeros appends n zero bytes.
func (s *seqWriter) zeros(n int64) error {
	for n > 0 {
		free, err := s.room()
		if err != nil {
			return err
		}
		k := min(int64(len(free)), n)
		clear(free[:k])
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
		free, err := s.room()
		if err != nil {
			return err
		}
		if int64(len(free)) > n {
			free = free[:n]
		}
		k, err := r.Read(free)
		h.Write(free[:k])
		s.buf = s.buf[:len(s.buf)+k]
		n -= int64(k)
		if err == io.EOF && n > 0 {
			return fmt.Errorf("%w (%d bytes missing)", errShrank, n)
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
	var one [1]byte
	if k, _ := io.ReadFull(r, one[:]); k > 0 {
		return errGrew
	}
	return nil
}

// Errors of a Source file whose size changed after it was listed.
var (
	errShrank = errors.New("shrank while being copied")
	errGrew   = errors.New("grew while being copied")
)

// fileWriter takes the content of one file for a seqWriter: exactly left
// more bytes, also fed to h. It is what a Source file implementing
// io.WriterTo (such as one backed by a bytes.Reader) writes to, so that
// its content reaches WriteAt without being copied; a file that copies
// through io.Copy instead (an *os.File) ends up in ReadFrom, which
// buffers it into large writes.
type fileWriter struct {
	sw   *seqWriter
	left int64
	h    io.Writer
}

func (f *fileWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > f.left {
		return 0, errGrew
	}
	f.h.Write(p)
	n, err := f.sw.Write(p)
	f.left -= int64(n)
	return n, err
}

func (f *fileWriter) ReadFrom(r io.Reader) (int64, error) {
	n := f.left
	if err := f.sw.copyExactly(r, n, f.h); err != nil {
		return 0, err
	}
	f.left = 0
	return n, nil
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
// terabyte-sized sparse image quick: its FATs are mostly zeros. zero is a
// buffer of zeros to write from, the unit of writes, shared by the calls
// of one Format.
func zeroFill(w io.WriterAt, off, n int64, zero []byte) error {
	if ranges, ok := dataRanges(w, off, n); ok {
		for _, r := range ranges {
			if err := writeZeros(w, r[0], r[1]-r[0], nil, zero); err != nil {
				return err
			}
		}
		return nil
	}
	r, _ := w.(io.ReaderAt)
	return writeZeros(w, off, n, r, zero)
}

// writeZeros writes n zero bytes at off from zero, skipping chunks that r
// (if not nil) shows to be zero already.
func writeZeros(w io.WriterAt, off, n int64, r io.ReaderAt, zero []byte) error {
	var cur []byte
	if r != nil {
		cur = make([]byte, min(n, int64(len(zero))))
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
