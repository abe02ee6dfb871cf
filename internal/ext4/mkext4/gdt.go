package mkext4

import (
	"encoding/binary"

	"github.com/plinth-os/plinth/internal/ext4"
)

// Block group flags (bg_flags).
const (
	bgInodeUninit = 0x1 // inode table and bitmap not initialized
	bgBlockUninit = 0x2 // block bitmap not initialized
	bgInodeZeroed = 0x4 // inode table zeroed (not set: the kernel's lazyinit thread zeroes it)
)

// groupDesc is one block group descriptor.
type groupDesc struct {
	blockBitmap, inodeBitmap, inodeTable uint64
	freeBlocks, freeInodes, usedDirs     uint32
	itableUnused                         uint32
	flags                                uint16
	blockBitmapCsum, inodeBitmapCsum     uint32
}

// marshal encodes d as group n's 64-byte descriptor into b, with its
// metadata_csum checksum (the low 16 bits of ext4.CRC32C over the group number
// and the descriptor with the checksum field zeroed).
func (d *groupDesc) marshal(b []byte, n uint32, seed uint32) {
	le := binary.LittleEndian
	clear(b[:descSize])
	le.PutUint32(b[0x00:], uint32(d.blockBitmap))
	le.PutUint32(b[0x04:], uint32(d.inodeBitmap))
	le.PutUint32(b[0x08:], uint32(d.inodeTable))
	le.PutUint16(b[0x0C:], uint16(d.freeBlocks))
	le.PutUint16(b[0x0E:], uint16(d.freeInodes))
	le.PutUint16(b[0x10:], uint16(d.usedDirs))
	le.PutUint16(b[0x12:], d.flags)
	le.PutUint16(b[0x18:], uint16(d.blockBitmapCsum))
	le.PutUint16(b[0x1A:], uint16(d.inodeBitmapCsum))
	le.PutUint16(b[0x1C:], uint16(d.itableUnused))
	le.PutUint32(b[0x20:], uint32(d.blockBitmap>>32))
	le.PutUint32(b[0x24:], uint32(d.inodeBitmap>>32))
	le.PutUint32(b[0x28:], uint32(d.inodeTable>>32))
	le.PutUint16(b[0x2C:], uint16(d.freeBlocks>>16))
	le.PutUint16(b[0x2E:], uint16(d.freeInodes>>16))
	le.PutUint16(b[0x30:], uint16(d.usedDirs>>16))
	le.PutUint16(b[0x32:], uint16(d.itableUnused>>16))
	le.PutUint16(b[0x38:], uint16(d.blockBitmapCsum>>16))
	le.PutUint16(b[0x3A:], uint16(d.inodeBitmapCsum>>16))
	c := ext4.CRC32C(crc32cU32(seed, n), b[:descSize])
	le.PutUint16(b[0x1E:], uint16(c))
}
