package mkext4

import (
	"encoding/binary"
	"fmt"

	"github.com/plinth-os/plinth/internal/ext4"
)

const (
	extentMagic      = 0xF30A
	extentHeaderSize = 12
	extentEntrySize  = 12
	rootEntries      = 4 // entries that fit in i_block after the header
)

// extent maps len logical blocks from lblk to physical blocks from pblk.
type extent struct {
	lblk uint32
	len  uint32
	pblk uint64
}

// treeBlock is an extent tree node stored outside the inode.
type treeBlock struct {
	blk  uint64
	data []byte
}

// extentTree is an inode's extent tree: its i_block root and the blocks
// holding the lower levels.
type extentTree struct {
	root   [60]byte
	blocks []treeBlock
}

// toExtents splits the runs holding consecutive logical blocks into
// extents of at most maxExtentLen blocks.
func toExtents(runs []run) []extent {
	var out []extent
	var l uint64
	for _, r := range runs {
		for off := uint64(0); off < r.len; off += maxExtentLen {
			n := min(r.len-off, maxExtentLen)
			out = append(out, extent{uint32(l + off), uint32(n), r.start + off})
		}
		l += r.len
	}
	return out
}

// treeBlocksNeeded returns how many blocks an extent tree of n extents
// takes outside the inode, packing every level as densely as possible
// (which is what e2fsck's extent-tree optimizer checks for).
func treeBlocksNeeded(n int, bs uint64) uint64 {
	per := int((bs - extentHeaderSize - 4) / extentEntrySize)
	var total uint64
	for n > rootEntries {
		n = (n + per - 1) / per
		total += uint64(n)
	}
	return total
}

// buildExtentTree builds the tree for exts using the given tree blocks
// (treeBlocksNeeded of them, in order). Checksums of tree blocks use the
// inode's seed.
func buildExtentTree(exts []extent, blocks []uint64, bs uint64, iseed uint32) (extentTree, error) {
	var t extentTree
	per := int((bs - extentHeaderSize - 4) / extentEntrySize)
	if uint64(len(blocks)) != treeBlocksNeeded(len(exts), bs) {
		return t, fmt.Errorf("ext4: internal error: %d extent tree blocks for %d extents", len(blocks), len(exts))
	}
	// entries of the current level: leaf extents, then index entries.
	type entry struct {
		lblk uint32
		raw  [extentEntrySize]byte
	}
	le := binary.LittleEndian
	level := make([]entry, len(exts))
	for i, e := range exts {
		level[i].lblk = e.lblk
		b := level[i].raw[:]
		le.PutUint32(b[0:], e.lblk)
		le.PutUint16(b[4:], uint16(e.len))
		le.PutUint16(b[6:], uint16(e.pblk>>32))
		le.PutUint32(b[8:], uint32(e.pblk))
	}
	depth := 0
	for len(level) > rootEntries {
		var up []entry
		for i := 0; i < len(level); i += per {
			chunk := level[i:min(i+per, len(level))]
			blk := blocks[0]
			blocks = blocks[1:]
			data := make([]byte, bs)
			putExtentHeader(data, len(chunk), per, depth)
			for j, e := range chunk {
				copy(data[extentHeaderSize+j*extentEntrySize:], e.raw[:])
			}
			tail := extentHeaderSize + per*extentEntrySize
			le.PutUint32(data[tail:], ext4.CRC32C(iseed, data[:tail]))
			t.blocks = append(t.blocks, treeBlock{blk, data})
			var idx entry
			idx.lblk = chunk[0].lblk
			le.PutUint32(idx.raw[0:], chunk[0].lblk)
			le.PutUint32(idx.raw[4:], uint32(blk))
			le.PutUint16(idx.raw[8:], uint16(blk>>32))
			up = append(up, idx)
		}
		level = up
		depth++
	}
	putExtentHeader(t.root[:], len(level), rootEntries, depth)
	for j, e := range level {
		copy(t.root[extentHeaderSize+j*extentEntrySize:], e.raw[:])
	}
	return t, nil
}

// putExtentHeader writes an ext4_extent_header.
func putExtentHeader(b []byte, entries, maxEntries, depth int) {
	le := binary.LittleEndian
	le.PutUint16(b[0:], extentMagic)
	le.PutUint16(b[2:], uint16(entries))
	le.PutUint16(b[4:], uint16(maxEntries))
	le.PutUint16(b[6:], uint16(depth))
}
