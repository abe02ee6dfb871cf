package ext4

import (
	"encoding/binary"
	"hash/crc32"
)

// castagnoli is the CRC-32C table; the table is read-only after creation.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c continues a raw CRC-32C over p from seed. ext4 and jbd2 chain
// their checksums through the bare register value (the kernel's
// ext4_chksum never applies the final inversion), whereas hash/crc32
// inverts on entry and on exit; inverting around it cancels both.
func crc32c(seed uint32, p []byte) uint32 {
	return ^crc32.Update(^seed, castagnoli, p)
}

// crc32cU32 continues a raw CRC-32C over the little-endian bytes of v.
func crc32cU32(seed, v uint32) uint32 {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	return crc32c(seed, b[:])
}

// csumSeed is the per-filesystem seed of every metadata checksum.
func csumSeed(uuid [16]byte) uint32 { return crc32c(^uint32(0), uuid[:]) }

// inodeSeed is the per-inode seed used by inode, extent-block and
// directory-block checksums.
func inodeSeed(fsSeed, ino, gen uint32) uint32 {
	return crc32cU32(crc32cU32(fsSeed, ino), gen)
}
