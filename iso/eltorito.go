package iso

import "encoding/binary"

// El Torito Bootable CD-ROM Format Specification 1.0 structures. Section
// numbers in comments are the specification's.

// bootSystemID is the Boot System Identifier of the boot record (2.0).
const bootSystemID = "EL TORITO SPECIFICATION"

// bootRecordBlock is where El Torito requires the boot record volume
// descriptor: sector 17, right after the primary volume descriptor.
const bootRecordBlock = firstVDBlock + 1

// bootRecord is the Boot Record Volume Descriptor (2.0), pointing at the
// boot catalog.
func bootRecord(catalog uint32) []byte {
	b := make([]byte, blockSize)
	b[0] = vdBootRecord
	copy(b[1:6], standardID)
	b[6] = 1                    // version
	copy(b[7:39], bootSystemID) // zero padded
	binary.LittleEndian.PutUint32(b[71:], catalog)
	return b
}

// Boot catalog values.
const (
	platformEFI     = 0xEF // Platform ID (2.1) for UEFI, as UEFI 2.10 13.3.2.1 assigns
	bootable        = 0x88 // Boot Indicator (2.2)
	noEmulation     = 0    // Boot Media Type (2.2)
	catalogEntryLen = 32
)

// bootCatalog is a boot catalog with a Validation Entry (2.1) and one
// Initial/Default Entry (2.2): UEFI, no emulation, the FAT image at
// loadRBA.
type bootCatalog struct {
	sectorCount uint16 // 2.2 Sector Count, in 512-byte virtual sectors
	loadRBA     uint32 // 2.2 Load RBA, the image's block
}

// efiSectorCount is the Sector Count for a UEFI image of n bytes: its size
// in 512-byte units, or 0 when that does not fit in 16 bits, as xorriso
// writes it. EDK2/OVMF maps a count >= 2 to a block device of exactly that
// size and a count < 2 to one that runs to the end of the medium, so both
// expose the whole FAT image.
func efiSectorCount(n int) uint16 {
	if n/512 > 0xFFFF {
		return 0
	}
	return uint16(n / 512)
}

func (c bootCatalog) bytes() []byte {
	b := make([]byte, blockSize)
	v := b[:catalogEntryLen]
	v[0] = 1 // Header ID
	v[1] = platformEFI
	v[30], v[31] = 0x55, 0xAA
	// Checksum: the 16-bit words of the entry sum to zero.
	var sum uint16
	for i := 0; i < catalogEntryLen; i += 2 {
		sum += binary.LittleEndian.Uint16(v[i:])
	}
	binary.LittleEndian.PutUint16(v[28:], -sum)

	e := b[catalogEntryLen : 2*catalogEntryLen]
	e[0] = bootable
	e[1] = noEmulation
	// e[2:4] Load Segment 0 (the default), e[4] System Type 0.
	binary.LittleEndian.PutUint16(e[6:], c.sectorCount)
	binary.LittleEndian.PutUint32(e[8:], c.loadRBA)
	return b
}
