package gpt

import (
	"fmt"
	"hash/crc32"
	"io"
)

type syncer interface{ Sync() error }

func syncWriter(w io.WriterAt) error {
	if s, ok := w.(syncer); ok {
		return s.Sync()
	}
	return nil
}

func writeAt(w io.WriterAt, b []byte, off int64, what string) error {
	if _, err := w.WriteAt(b, off); err != nil {
		return fmt.Errorf("gpt: write %s: %w", what, err)
	}
	return nil
}

// Write validates t and writes the protective MBR and both GPT copies.
//
// Order, for crash safety: the backup copy (array, then header, in one
// write) is written and synced before the primary copy is touched. A crash
// before that sync leaves the old primary valid; a crash after it leaves
// the new backup valid, which Read falls back to while the primary is
// half-written. The protective MBR goes with the primary and the whole is
// synced at the end. If w has a Sync method (an *os.File) it is called.
func (t *Table) Write(w io.WriterAt) error {
	if err := t.Validate(); err != nil {
		return err
	}
	ss := int64(t.SectorSize)
	arrSec := arraySectors(t.Entries, t.SectorSize)
	raw := t.marshalArray()
	h := header{
		firstUsable: t.FirstUsable,
		lastUsable:  t.LastUsable,
		diskGUID:    t.DiskGUID,
		numEntries:  uint32(t.Entries),
		entrySize:   entrySize,
		entriesCRC:  crc32.ChecksumIEEE(raw),
	}
	arr := make([]byte, arrSec*uint64(ss))
	copy(arr, raw)

	backup := h
	backup.myLBA, backup.alternateLBA = t.Sectors-1, 1
	backup.entriesLBA = t.Sectors - 1 - arrSec
	if err := writeAt(w, append(arr, backup.marshal(t.SectorSize)...), int64(backup.entriesLBA)*ss, "backup GPT"); err != nil {
		return err
	}
	if err := syncWriter(w); err != nil {
		return fmt.Errorf("gpt: sync backup GPT: %w", err)
	}

	primary := h
	primary.myLBA, primary.alternateLBA, primary.entriesLBA = 1, t.Sectors-1, 2
	if err := writeAt(w, append(primary.marshal(t.SectorSize), arr...), ss, "primary GPT"); err != nil {
		return err
	}
	if err := writeAt(w, protectiveMBR(t.Sectors), 440, "protective MBR"); err != nil {
		return err
	}
	if err := syncWriter(w); err != nil {
		return fmt.Errorf("gpt: sync: %w", err)
	}
	return nil
}

// Zap destroys the MBR and both GPT copies (as sgdisk -Z does): it zeroes
// sector 0, the primary header and array, and the backup array and header
// at the end of a disk of diskSize bytes.
func Zap(w io.WriterAt, diskSize int64, sectorSize int) error {
	if err := checkSectorSize(sectorSize); err != nil {
		return err
	}
	ss := int64(sectorSize)
	sectors := diskSize / ss
	n := 2 + int64(arraySectors(defaultEntries, sectorSize))
	if sectors < 2*n {
		return fmt.Errorf("gpt: zap: disk of %d bytes too small", diskSize)
	}
	zero := make([]byte, (n-1)*ss)
	if err := writeAt(w, zero, (sectors-n+1)*ss, "zeros over backup GPT"); err != nil {
		return err
	}
	if err := writeAt(w, append(zero, make([]byte, ss)...), 0, "zeros over MBR and primary GPT"); err != nil {
		return err
	}
	if err := syncWriter(w); err != nil {
		return fmt.Errorf("gpt: sync: %w", err)
	}
	return nil
}
