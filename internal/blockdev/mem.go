package blockdev

import (
	"fmt"
	"io"
)

// Mem is a device held in memory, for tests and for building small
// images: it reads and writes like a File on an image of the same fixed
// size, except that a write past the end fails without writing anything.
type Mem struct {
	b          []byte
	sectorSize int
}

// NewMem returns a zeroed device of size bytes with sectorSize-byte
// sectors (0 means 512).
func NewMem(size int64, sectorSize int) *Mem {
	if sectorSize == 0 {
		sectorSize = 512
	}
	return &Mem{b: make([]byte, size), sectorSize: sectorSize}
}

// Bytes returns the device's contents (not a copy).
func (m *Mem) Bytes() []byte { return m.b }

// Size is the device's size in bytes.
func (m *Mem) Size() int64 { return int64(len(m.b)) }

// SectorSize is the logical sector size given to NewMem.
func (m *Mem) SectorSize() int { return m.sectorSize }

// PhysicalSectorSize is the logical sector size.
func (m *Mem) PhysicalSectorSize() int { return m.sectorSize }

// ReadAt reads as io.ReaderAt says: io.EOF with fewer bytes at the end.
func (m *Mem) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("blockdev: read at negative offset %d", off)
	}
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt writes p at off, or nothing if p does not fit.
func (m *Mem) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, fmt.Errorf("blockdev: write of %d bytes at %d beyond the %d-byte device", len(p), off, len(m.b))
	}
	return copy(m.b[off:], p), nil
}
