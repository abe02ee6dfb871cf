package mkext4

import (
	"encoding/binary"

	"github.com/plinth-os/plinth/internal/ext4"
)

// crc32cU32 continues a raw CRC-32C over the little-endian bytes of v.
func crc32cU32(seed, v uint32) uint32 {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	return ext4.CRC32C(seed, b[:])
}

// inodeSeed is the per-inode seed used by inode, extent-block and
// directory-block checksums.
func inodeSeed(fsSeed, ino, gen uint32) uint32 {
	return crc32cU32(crc32cU32(fsSeed, ino), gen)
}
