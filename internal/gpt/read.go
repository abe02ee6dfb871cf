package gpt

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// ErrNotFound means neither the primary nor the backup GPT is valid.
var ErrNotFound = errors.New("no valid GPT")

// ioError marks a failed read, as opposed to bad content: a read error is
// reported as such instead of being taken as a reason to try the backup.
type ioError struct{ err error }

func (e ioError) Error() string { return e.err.Error() }
func (e ioError) Unwrap() error { return e.err }

func readSectors(r io.ReaderAt, lba, n uint64, sectorSize int) ([]byte, error) {
	b := make([]byte, n*uint64(sectorSize))
	if _, err := r.ReadAt(b, int64(lba)*int64(sectorSize)); err != nil {
		return nil, ioError{fmt.Errorf("read sectors %d-%d: %w", lba, lba+n-1, err)}
	}
	return b, nil
}

// readCopy reads and checks the header at lba and its partition array.
func readCopy(r io.ReaderAt, lba, sectors uint64, sectorSize int) (*header, []byte, error) {
	b, err := readSectors(r, lba, 1, sectorSize)
	if err != nil {
		return nil, nil, err
	}
	h, err := parseHeader(b, sectors)
	if err != nil {
		return nil, nil, err
	}
	if h.myLBA != lba {
		return nil, nil, fmt.Errorf("header at sector %d says it is at sector %d", lba, h.myLBA)
	}
	n := h.arraySectors(sectorSize)
	last := h.entriesLBA + n - 1
	switch {
	case last >= sectors:
		return nil, nil, fmt.Errorf("partition array (sectors %d-%d) beyond disk end", h.entriesLBA, last)
	case h.entriesLBA <= h.lastUsable && h.firstUsable <= last:
		return nil, nil, fmt.Errorf("partition array (sectors %d-%d) inside the usable sectors", h.entriesLBA, last)
	case h.entriesLBA <= lba && lba <= last:
		return nil, nil, fmt.Errorf("partition array (sectors %d-%d) covers its header", h.entriesLBA, last)
	case lba >= h.firstUsable && lba <= h.lastUsable:
		return nil, nil, fmt.Errorf("header inside the usable sectors")
	}
	arr, err := readSectors(r, h.entriesLBA, n, sectorSize)
	if err != nil {
		return nil, nil, err
	}
	arr = arr[:h.numEntries*h.entrySize]
	if got := crc32.ChecksumIEEE(arr); got != h.entriesCRC {
		return nil, nil, fmt.Errorf("partition array CRC mismatch: stored %08x, computed %08x", h.entriesCRC, got)
	}
	return h, arr, nil
}

// Read reads the GPT of a disk of diskSize bytes, checking both CRCs. If
// the primary copy is damaged it uses the backup and sets FromBackup. The
// partitions are returned as found; call Validate to check them.
func Read(r io.ReaderAt, diskSize int64, sectorSize int) (*Table, error) {
	if err := checkSectorSize(sectorSize); err != nil {
		return nil, err
	}
	if diskSize < 0 {
		return nil, fmt.Errorf("gpt: negative disk size %d", diskSize)
	}
	sectors := uint64(diskSize) / uint64(sectorSize)
	if sectors < 3 {
		return nil, fmt.Errorf("gpt: %w: disk of %d bytes too small", ErrNotFound, diskSize)
	}
	h, arr, perr := readCopy(r, 1, sectors, sectorSize)
	fromBackup := false
	if perr != nil {
		if errors.As(perr, new(ioError)) {
			return nil, fmt.Errorf("gpt: primary header: %w", perr)
		}
		var berr error
		h, arr, berr = readCopy(r, sectors-1, sectors, sectorSize)
		if berr != nil {
			if errors.As(berr, new(ioError)) {
				return nil, fmt.Errorf("gpt: backup header: %w", berr)
			}
			return nil, fmt.Errorf("gpt: %w (primary: %v; backup: %v)", ErrNotFound, perr, berr)
		}
		fromBackup = true
	}
	return &Table{
		SectorSize:  sectorSize,
		Sectors:     sectors,
		DiskGUID:    h.diskGUID,
		FirstUsable: h.firstUsable,
		LastUsable:  h.lastUsable,
		Entries:     int(h.numEntries),
		Alignment:   defaultAlignment(sectorSize),
		Partitions:  parseArray(arr, int(h.numEntries), int(h.entrySize)),
		FromBackup:  fromBackup,
	}, nil
}

// Verify checks what is on disk, beyond what Read needs: the protective
// MBR, both copies and their agreement, the backup's place at the end of
// the disk, and the partitions (Validate). It returns every problem found,
// joined, or nil.
func Verify(r io.ReaderAt, diskSize int64, sectorSize int) error {
	t, err := Read(r, diskSize, sectorSize)
	if err != nil {
		return err
	}
	var problems []error
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("gpt: "+format, args...))
	}
	mbr, err := readSectors(r, 0, 1, sectorSize)
	if err != nil {
		return fmt.Errorf("gpt: MBR: %w", err)
	}
	if !hasProtectiveEntry(mbr) {
		add("no protective MBR (no type 0xEE entry with the 0x55AA signature)")
	}
	ph, parr, perr := readCopy(r, 1, t.Sectors, sectorSize)
	bh, barr, berr := readCopy(r, t.Sectors-1, t.Sectors, sectorSize)
	if perr != nil {
		add("primary GPT damaged: %v", perr)
	}
	if berr != nil {
		add("backup GPT at sector %d damaged: %v", t.Sectors-1, berr)
	}
	if perr == nil && berr == nil {
		switch {
		case ph.alternateLBA != bh.myLBA || bh.alternateLBA != ph.myLBA:
			add("headers do not point at each other (primary -> %d, backup -> %d)", ph.alternateLBA, bh.alternateLBA)
		case ph.diskGUID != bh.diskGUID || ph.firstUsable != bh.firstUsable || ph.lastUsable != bh.lastUsable ||
			ph.numEntries != bh.numEntries || ph.entrySize != bh.entrySize:
			add("primary and backup headers disagree")
		case !bytes.Equal(parr, barr):
			add("primary and backup partition arrays differ")
		}
	}
	if err := t.Validate(); err != nil {
		problems = append(problems, err)
	}
	return errors.Join(problems...)
}
