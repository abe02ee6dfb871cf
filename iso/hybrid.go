package iso

import (
	"fmt"

	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/guid"
)

const (
	espName = "EFI System"
	// espAttributes are xorriso's: required partition (bit 0, UEFI 2.10
	// 5.3.3) and read-only (bit 60).
	espAttributes = 1<<0 | 1<<60
	// guidLabel prefixes the purpose labels of the derived GUIDs.
	guidLabel = "plinth/iso GPT "
)

// hybridArea is the part of the file outside the ISO 9660 data, which the
// GPT codec writes into: the 16-block system area (protective MBR, primary
// header and array; everything else zero) and the tail after isoEnd
// (zeros, then the backup array and header).
type hybridArea struct {
	head    []byte
	tail    []byte
	tailOff int64
}

// WriteAt lets gpt.Table.Write fill the two regions.
func (h *hybridArea) WriteAt(p []byte, off int64) (int, error) {
	n := int64(len(p))
	switch {
	case off >= 0 && off+n <= int64(len(h.head)):
		copy(h.head[off:], p)
	case off >= h.tailOff && off+n <= h.tailOff+int64(len(h.tail)):
		copy(h.tail[off-h.tailOff:], p)
	default:
		return 0, fmt.Errorf("write of %d bytes at %d outside the system area and the tail", n, off)
	}
	return len(p), nil
}

// hybrid builds the protective MBR and the GPT with one EFI System
// Partition covering exactly /efiboot.img's bytes, and returns the
// regions around the ISO 9660 data that hold them. The GUIDs are derived
// from seed, the digest of the ISO 9660 data.
func (img *image) hybrid(seed []byte) (*hybridArea, error) {
	size := int64(img.total) * blockSize
	t, err := gpt.New(size, sectorSize)
	if err != nil {
		return nil, fmt.Errorf("GPT: %w", err)
	}
	t.DiskGUID = guid.Derive(guidLabel+"disk", seed)
	// ISO 9660 blocks are 4 sectors; the ESP starts where its file does.
	t.Alignment = blockSize / sectorSize
	first := uint64(img.efi.extent) * (blockSize / sectorSize)
	err = t.Add(gpt.Partition{
		Number:     1,
		Type:       gpt.TypeESP,
		GUID:       guid.Derive(guidLabel+"partition 1", seed),
		FirstLBA:   first,
		LastLBA:    first + uint64(len(img.efi.data)/sectorSize) - 1,
		Name:       espName,
		Attributes: espAttributes,
	})
	if err != nil {
		return nil, fmt.Errorf("GPT: %w", err)
	}
	h := &hybridArea{
		head:    make([]byte, firstVDBlock*blockSize),
		tailOff: int64(img.isoEnd) * blockSize,
	}
	h.tail = make([]byte, size-h.tailOff)
	if err := t.Write(h); err != nil {
		return nil, err
	}
	return h, nil
}
