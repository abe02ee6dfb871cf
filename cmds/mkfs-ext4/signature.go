package main

import (
	"encoding/binary"
	"errors"
	"io"
)

// signatureSpan is how much of the start of a target detectSignature reads.
const signatureSpan = 0x10000 + 0x1000

// detectSignature reads the start of r and names the filesystem or
// partition table it finds there, or returns "".
func detectSignature(r io.ReaderAt) (string, error) {
	b := make([]byte, signatureSpan)
	n, err := r.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return signatureIn(b[:n]), nil
}

// signatureIn names what the bytes b (the start of a device) hold.
func signatureIn(b []byte) string {
	at := func(off int, magic string) bool {
		return off+len(magic) <= len(b) && string(b[off:off+len(magic)]) == magic
	}
	switch {
	case len(b) >= 0x43A && binary.LittleEndian.Uint16(b[0x438:]) == 0xEF53:
		return "an ext2/3/4 filesystem"
	case at(512, "EFI PART"):
		return "a GPT partition table"
	case at(0, "XFSB"):
		return "an XFS filesystem"
	case at(0, "LUKS\xba\xbe"):
		return "a LUKS volume"
	case at(0x10040, "_BHRfS_M"):
		return "a btrfs filesystem"
	case at(0x8001, "CD001"):
		return "an ISO 9660 filesystem"
	case at(4096-10, "SWAPSPACE2"), at(4096-10, "SWAP-SPACE"):
		return "a swap area"
	case at(0x52, "FAT32   "), at(0x36, "FAT12   "), at(0x36, "FAT16   "):
		return "a FAT filesystem"
	case at(510, "\x55\xaa") && hasMBRPartition(b):
		return "an MBR partition table"
	}
	return ""
}

// hasMBRPartition reports whether an MBR's partition table has an entry
// with a type and a length.
func hasMBRPartition(b []byte) bool {
	if len(b) < 512 {
		return false
	}
	for i := 0; i < 4; i++ {
		e := b[446+16*i : 446+16*(i+1)]
		if e[4] != 0 && binary.LittleEndian.Uint32(e[12:]) != 0 && (e[0] == 0 || e[0] == 0x80) {
			return true
		}
	}
	return false
}
