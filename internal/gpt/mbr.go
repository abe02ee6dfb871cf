package gpt

import "encoding/binary"

// protectiveMBR returns bytes 440-511 of sector 0: disk signature (zero),
// one partition of type 0xEE covering the disk from LBA 1 (capped at
// 2^32-1 as the UEFI spec says), and the 0x55AA signature. Bytes 0-439,
// boot code, are left to whoever owns them.
func protectiveMBR(sectors uint64) []byte {
	b := make([]byte, 72)
	e := b[446-440:][:16]
	e[1], e[2], e[3] = 0x00, 0x02, 0x00 // CHS of LBA 1
	e[4] = 0xEE
	copy(e[5:8], chs(sectors-1))
	binary.LittleEndian.PutUint32(e[8:], 1)
	binary.LittleEndian.PutUint32(e[12:], uint32(min(sectors-1, 0xFFFFFFFF)))
	b[510-440], b[511-440] = 0x55, 0xAA
	return b
}

// chs encodes lba as an MBR cylinder/head/sector address with 255 heads
// and 63 sectors a track, or FF FF FF if it is past what CHS can address,
// as the UEFI spec asks (and sgdisk does).
func chs(lba uint64) []byte {
	const heads, secs = 255, 63
	if lba >= 1024*heads*secs {
		return []byte{0xFF, 0xFF, 0xFF}
	}
	c, h, s := lba/(heads*secs), lba/secs%heads, lba%secs+1
	return []byte{byte(h), byte(s) | byte(c>>8)<<6, byte(c)}
}

// hasProtectiveEntry reports whether an MBR sector has the boot signature
// and a type 0xEE entry.
func hasProtectiveEntry(mbr []byte) bool {
	if len(mbr) < 512 || mbr[510] != 0x55 || mbr[511] != 0xAA {
		return false
	}
	for i := 0; i < 4; i++ {
		if mbr[446+16*i+4] == 0xEE {
			return true
		}
	}
	return false
}
