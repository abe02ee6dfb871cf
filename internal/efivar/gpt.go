package efivar

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// A minimal GPT reader: just enough to build the HD() node of a partition
// (start, size, PARTUUID). Kept here rather than shared with internal/gpt
// so the boot entry code has no dependency on the partitioner.

// Bounds that keep a corrupt header from making us read gigabytes.
const (
	gptMinHeaderSize = 92
	gptMaxEntries    = 1024
	gptMaxEntrySize  = 4096
)

// HardDriveFromDisk reads the GPT of disk (a block device or an image file)
// and returns the HD() node of partition part (1-based). The logical block
// size is found by looking for the GPT header at LBA 1 for 512 and 4096
// byte blocks.
func HardDriveFromDisk(disk string, part uint32) (HardDrive, error) {
	f, err := os.Open(disk)
	if err != nil {
		return HardDrive{}, fmt.Errorf("efivar: open disk: %w", err)
	}
	defer f.Close()
	hd, err := hardDriveFromGPT(f, part)
	if err != nil {
		return HardDrive{}, fmt.Errorf("efivar: %s: %w", disk, err)
	}
	return hd, nil
}

func hardDriveFromGPT(r io.ReaderAt, part uint32) (HardDrive, error) {
	if part == 0 {
		return HardDrive{}, errors.New("partition numbers start at 1")
	}
	var hdr []byte
	var bs int64
	for _, size := range []int64{512, 4096} {
		b := make([]byte, size)
		if _, err := r.ReadAt(b, size); err != nil && !errors.Is(err, io.EOF) {
			return HardDrive{}, fmt.Errorf("read GPT header: %w", err)
		}
		if bytes.HasPrefix(b, []byte("EFI PART")) {
			hdr, bs = b, size
			break
		}
	}
	if hdr == nil {
		return HardDrive{}, errors.New("no GPT found (no EFI PART signature at LBA 1 for 512 or 4096 byte blocks)")
	}

	hdrSize := binary.LittleEndian.Uint32(hdr[12:])
	if hdrSize < gptMinHeaderSize || int64(hdrSize) > bs {
		return HardDrive{}, fmt.Errorf("GPT header size %d is invalid", hdrSize)
	}
	want := binary.LittleEndian.Uint32(hdr[16:])
	h := bytes.Clone(hdr[:hdrSize])
	clear(h[16:20]) // the CRC covers the header with its CRC field zeroed
	if got := crc32.ChecksumIEEE(h); got != want {
		return HardDrive{}, fmt.Errorf("GPT header CRC32 is %#08x, header says %#08x: header corrupt", got, want)
	}

	entriesLBA := binary.LittleEndian.Uint64(hdr[72:])
	count := binary.LittleEndian.Uint32(hdr[80:])
	entrySize := binary.LittleEndian.Uint32(hdr[84:])
	if count > gptMaxEntries || entrySize < 128 || entrySize > gptMaxEntrySize || entrySize%8 != 0 {
		return HardDrive{}, fmt.Errorf("GPT has %d entries of %d bytes: not supported", count, entrySize)
	}
	table := make([]byte, int(count)*int(entrySize))
	if entriesLBA > (1<<62)/uint64(bs) {
		return HardDrive{}, fmt.Errorf("GPT entry array LBA %d is out of range", entriesLBA)
	}
	if _, err := r.ReadAt(table, int64(entriesLBA)*bs); err != nil {
		return HardDrive{}, fmt.Errorf("read GPT entries: %w", err)
	}
	if got, want := crc32.ChecksumIEEE(table), binary.LittleEndian.Uint32(hdr[88:]); got != want {
		return HardDrive{}, fmt.Errorf("GPT entry array CRC32 is %#08x, header says %#08x: table corrupt", got, want)
	}

	if part > count {
		return HardDrive{}, fmt.Errorf("partition %d not found: the GPT has only %d entries", part, count)
	}
	e := table[int(part-1)*int(entrySize):]
	var typ, uuid GUID
	copy(typ[:], e[0:16])
	copy(uuid[:], e[16:32])
	first := binary.LittleEndian.Uint64(e[32:])
	last := binary.LittleEndian.Uint64(e[40:])
	if typ.IsZero() {
		return HardDrive{}, fmt.Errorf("partition %d not found: GPT entry %d is unused", part, part)
	}
	if last < first {
		return HardDrive{}, fmt.Errorf("partition %d ends (LBA %d) before it starts (LBA %d)", part, last, first)
	}
	// GPT stores GUIDs in the same mixed-endian layout as EFI_GUID, so
	// the PARTUUID bytes go into the HD() signature unchanged.
	return GPTHardDrive(part, first, last-first+1, uuid), nil
}
