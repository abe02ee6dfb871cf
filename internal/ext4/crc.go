package ext4

import "hash/crc32"

// castagnoli is the CRC-32C table; the table is read-only after creation.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC32C continues a raw CRC-32C over p from seed. ext4 and jbd2 chain
// their checksums through the bare register value (the kernel's
// ext4_chksum never applies the final inversion), whereas hash/crc32
// inverts on entry and on exit; inverting around it cancels both.
func CRC32C(seed uint32, p []byte) uint32 {
	return ^crc32.Update(^seed, castagnoli, p)
}

// ChecksumSeed is the per-filesystem seed of every metadata checksum.
func ChecksumSeed(uuid [16]byte) uint32 { return CRC32C(^uint32(0), uuid[:]) }
