package gpt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/plinth-os/plinth/internal/guid"
)

const (
	signature      = "EFI PART"
	revision       = 0x00010000
	headerSize     = 92
	entrySize      = 128
	defaultEntries = 128
	// maxArrayBytes bounds what Read will allocate for a partition array
	// described by an untrusted header (the spec allows more, nobody uses it).
	maxArrayBytes = 1 << 20
)

// header is the GPT header (UEFI 2.10 §5.3.2), in either copy.
type header struct {
	myLBA, alternateLBA     uint64
	firstUsable, lastUsable uint64
	diskGUID                guid.GUID
	entriesLBA              uint64
	numEntries, entrySize   uint32
	entriesCRC              uint32
}

// marshal returns one sector holding h with its CRC filled in.
func (h *header) marshal(sectorSize int) []byte {
	b := make([]byte, sectorSize)
	copy(b[0:8], signature)
	le := binary.LittleEndian
	le.PutUint32(b[8:], revision)
	le.PutUint32(b[12:], headerSize)
	le.PutUint64(b[24:], h.myLBA)
	le.PutUint64(b[32:], h.alternateLBA)
	le.PutUint64(b[40:], h.firstUsable)
	le.PutUint64(b[48:], h.lastUsable)
	h.diskGUID.PutMixed(b[56:72])
	le.PutUint64(b[72:], h.entriesLBA)
	le.PutUint32(b[80:], h.numEntries)
	le.PutUint32(b[84:], h.entrySize)
	le.PutUint32(b[88:], h.entriesCRC)
	le.PutUint32(b[16:], crc32.ChecksumIEEE(b[:headerSize]))
	return b
}

var errNoSignature = errors.New("no GPT signature")

// parseHeader decodes and checks one header sector: signature, size, CRC
// and that every LBA it names lies on a disk of diskSectors sectors. It
// does not read the partition array.
func parseHeader(b []byte, diskSectors uint64) (*header, error) {
	if len(b) < headerSize || string(b[0:8]) != signature {
		return nil, errNoSignature
	}
	le := binary.LittleEndian
	size := le.Uint32(b[12:])
	if size < headerSize || int(size) > len(b) {
		return nil, fmt.Errorf("header size %d out of range", size)
	}
	tmp := make([]byte, size)
	copy(tmp, b[:size])
	clear(tmp[16:20])
	if got, want := crc32.ChecksumIEEE(tmp), le.Uint32(b[16:]); got != want {
		return nil, fmt.Errorf("header CRC mismatch: stored %08x, computed %08x", want, got)
	}
	h := &header{
		myLBA:        le.Uint64(b[24:]),
		alternateLBA: le.Uint64(b[32:]),
		firstUsable:  le.Uint64(b[40:]),
		lastUsable:   le.Uint64(b[48:]),
		diskGUID:     guid.FromMixed(b[56:72]),
		entriesLBA:   le.Uint64(b[72:]),
		numEntries:   le.Uint32(b[80:]),
		entrySize:    le.Uint32(b[84:]),
		entriesCRC:   le.Uint32(b[88:]),
	}
	switch {
	case h.entrySize < entrySize || h.entrySize%8 != 0:
		return nil, fmt.Errorf("partition entry size %d invalid", h.entrySize)
	case h.numEntries == 0 || uint64(h.numEntries)*uint64(h.entrySize) > maxArrayBytes:
		return nil, fmt.Errorf("partition entry count %d invalid", h.numEntries)
	case h.myLBA >= diskSectors || h.alternateLBA >= diskSectors:
		return nil, fmt.Errorf("header LBAs %d/%d beyond disk end %d", h.myLBA, h.alternateLBA, diskSectors)
	case h.firstUsable > h.lastUsable || h.lastUsable >= diskSectors:
		return nil, fmt.Errorf("usable range %d-%d invalid for %d sectors", h.firstUsable, h.lastUsable, diskSectors)
	case h.entriesLBA < 2 || h.entriesLBA >= diskSectors:
		return nil, fmt.Errorf("partition array LBA %d invalid", h.entriesLBA)
	}
	return h, nil
}

// arraySectors is how many sectors the partition array of h occupies.
func (h *header) arraySectors(sectorSize int) uint64 {
	n := uint64(h.numEntries) * uint64(h.entrySize)
	return (n + uint64(sectorSize) - 1) / uint64(sectorSize)
}
