package mkext4

import (
	"encoding/binary"

	"github.com/plinth-os/plinth/internal/ext4"
)

// Directory entry file types (filetype feature).
const (
	ftRegular = 1
	ftDir     = 2
	ftSymlink = 7

	dirTailSize = 12   // the fake entry holding a leaf block's checksum
	dirTailFT   = 0xDE // its file type byte
	maxNameLen  = 255
)

// dirent is one directory entry.
type dirent struct {
	ino  uint32
	ft   uint8
	name string
}

func direntLen(name string) int { return (8 + len(name) + 3) &^ 3 }

// packDir assigns entries to blocks in order, each block ending in a
// checksum tail; it returns the index of the first entry of each block.
func packDir(ents []dirent, bs int) []int {
	room := bs - dirTailSize
	starts := []int{0}
	used := 0
	for i, e := range ents {
		n := direntLen(e.name)
		if used+n > room {
			starts = append(starts, i)
			used = 0
		}
		used += n
	}
	return starts
}

// encodeDir returns the linear directory blocks holding ents, padded to
// nblocks (empty blocks are one unused entry spanning the block), each
// with its metadata_csum tail computed from the directory inode's seed.
func encodeDir(ents []dirent, bs, nblocks int, iseed uint32) []byte {
	le := binary.LittleEndian
	out := make([]byte, nblocks*bs)
	starts := append(packDir(ents, bs), len(ents))
	room := bs - dirTailSize
	for blk := 0; blk < nblocks; blk++ {
		b := out[blk*bs : (blk+1)*bs]
		var group []dirent
		if blk < len(starts)-1 {
			group = ents[starts[blk]:starts[blk+1]]
		}
		if len(group) == 0 {
			le.PutUint16(b[4:], uint16(room)) // inode 0: unused
		}
		off := 0
		for i, e := range group {
			n := direntLen(e.name)
			if i == len(group)-1 {
				n = room - off // the last entry spans to the tail
			}
			le.PutUint32(b[off:], e.ino)
			le.PutUint16(b[off+4:], uint16(n))
			b[off+6] = byte(len(e.name))
			b[off+7] = e.ft
			copy(b[off+8:], e.name)
			off += n
		}
		t := b[room:]
		le.PutUint16(t[4:], dirTailSize)
		t[7] = dirTailFT
		le.PutUint32(t[8:], ext4.CRC32C(iseed, b[:room]))
	}
	return out
}
