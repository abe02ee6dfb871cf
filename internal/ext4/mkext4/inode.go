package mkext4

import (
	"encoding/binary"
	"time"

	"github.com/plinth-os/plinth/internal/ext4"
)

// Inode mode types and flags.
const (
	modeDir     = 0o040000
	modeRegular = 0o100000
	modeSymlink = 0o120000

	flagExtents = 0x80000 // EXT4_EXTENTS_FL
	maxLinks    = 65000   // EXT4_LINK_MAX; dir_nlink stores 1 above it
)

// inode is what Format stores in an inode. Generation is always 0.
type inode struct {
	mode      uint16
	uid, gid  uint32
	size      uint64
	links     uint16
	sectors   uint64 // i_blocks, in 512-byte units
	flags     uint32
	block     [60]byte // i_block: extent root or fast symlink target
	time      time.Time
	timeIsSet bool // false for reserved inodes, which mke2fs leaves at 0
}

// marshal encodes in as inode number ino into b (inodeSize bytes), with
// its checksum.
func (in *inode) marshal(b []byte, ino, seed uint32) {
	le := binary.LittleEndian
	clear(b[:inodeSize])
	le.PutUint16(b[0x00:], in.mode)
	le.PutUint16(b[0x02:], uint16(in.uid))
	le.PutUint32(b[0x04:], uint32(in.size))
	if in.timeIsSet {
		sec, extra := encodeTime(in.time)
		for _, off := range []int{0x08, 0x0C, 0x10, 0x90} { // atime ctime mtime crtime
			le.PutUint32(b[off:], sec)
		}
		for _, off := range []int{0x8C, 0x84, 0x88, 0x94} { // their _extra words
			le.PutUint32(b[off:], extra)
		}
	}
	le.PutUint16(b[0x18:], uint16(in.gid))
	le.PutUint16(b[0x1A:], in.links)
	le.PutUint32(b[0x1C:], uint32(in.sectors))
	le.PutUint32(b[0x20:], in.flags)
	copy(b[0x28:0x64], in.block[:])
	le.PutUint32(b[0x6C:], uint32(in.size>>32))
	le.PutUint16(b[0x74:], uint16(in.sectors>>32))
	le.PutUint16(b[0x78:], uint16(in.uid>>16))
	le.PutUint16(b[0x7A:], uint16(in.gid>>16))
	le.PutUint16(b[0x80:], inodeExtraSize)
	c := ext4.CRC32C(inodeSeed(seed, ino, 0), b[:inodeSize])
	le.PutUint16(b[0x7C:], uint16(c))
	le.PutUint16(b[0x82:], uint16(c>>16))
}

// encodeTime returns the 32-bit seconds and the _extra word (2 epoch bits
// extending the seconds, then nanoseconds shifted left by 2).
func encodeTime(t time.Time) (sec, extra uint32) {
	s := t.Unix()
	epoch := uint32((s-int64(int32(s)))>>32) & 3
	return uint32(s), uint32(t.Nanosecond())<<2 | epoch
}
