package mkext4

import "github.com/plinth-os/plinth/internal/ext4"

// summarize fills in the group descriptors and the superblock from the
// finished allocation.
func (im *image) summarize() error {
	g := im.g
	dirs := make([]uint32, g.groups)
	for _, n := range im.nodes {
		if n.isDir() {
			dirs[(uint64(n.ino)-1)/g.ipg]++
		}
	}
	zeroInodeMap := make([]byte, g.ipg/8)
	emptyInodeCsum := ext4.CRC32C(im.seed, zeroInodeMap)
	var freeBlocks, freeInodes uint64
	for n := range g.groups {
		d := &im.gds[n]
		used := im.usedInodes(n)
		d.freeInodes = uint32(g.ipg - used)
		d.itableUnused = d.freeInodes
		d.usedDirs = dirs[n]
		if used == 0 {
			d.flags |= bgInodeUninit
			d.inodeBitmapCsum = emptyInodeCsum
		} else {
			d.inodeBitmapCsum = ext4.CRC32C(im.seed, im.inodeBitmap(n)[:g.ipg/8])
		}
		bm, usedBlocks := im.blockBitmap(n)
		d.freeBlocks = uint32(g.groupBlocks(n) - usedBlocks)
		d.blockBitmapCsum = ext4.CRC32C(im.seed, bm)
		// The kernel and e2fsck rebuild an uninitialized block bitmap
		// from the group's superblock copy and its own metadata; that is
		// only right if nothing else is in the group. mke2fs never leaves
		// the last group uninitialized.
		if n != g.groups-1 && usedBlocks == im.ownMetadataBlocks(n) {
			d.flags |= bgBlockUninit
		}
		freeBlocks += uint64(d.freeBlocks)
		freeInodes += uint64(d.freeInodes)
	}
	im.sb = im.superblock(freeBlocks, uint32(freeInodes))
	return nil
}

// usedInodes returns how many inodes of group n are in use; inodes are
// handed out without gaps from 1.
func (im *image) usedInodes(n uint64) uint64 {
	first := n * im.g.ipg
	if im.maxIno <= first {
		return 0
	}
	return min(im.maxIno-first, im.g.ipg)
}

// ownMetadataBlocks returns the blocks the kernel marks in an
// uninitialized group n: its superblock copy and those of its own
// bitmaps and inode table that lie inside it.
func (im *image) ownMetadataBlocks(n uint64) uint64 {
	g, d := im.g, &im.gds[n]
	start, end := g.groupStart(n), g.groupStart(n)+g.groupBlocks(n)
	in := func(b uint64) bool { return b >= start && b < end }
	total := g.superBlocks(n)
	if in(d.blockBitmap) {
		total++
	}
	if in(d.inodeBitmap) {
		total++
	}
	if in(d.inodeTable) {
		total += g.itb
	}
	return total
}

// blockBitmap returns group n's block bitmap (one block) and the number
// of used blocks in the group. Bits past the end of the filesystem are set,
// as e2fsck expects.
func (im *image) blockBitmap(n uint64) ([]byte, uint64) {
	g := im.g
	bm := make([]byte, g.bs)
	start := g.groupStart(n)
	var used uint64
	for _, r := range im.alloc.usedIn(start, start+g.groupBlocks(n)) {
		setBits(bm, r.start-start, r.len)
		used += r.len
	}
	setBits(bm, g.groupBlocks(n), g.bs*8-g.groupBlocks(n))
	return bm, used
}

// inodeBitmap returns group n's inode bitmap block, padding bits set.
func (im *image) inodeBitmap(n uint64) []byte {
	bm := make([]byte, im.g.bs)
	setBits(bm, 0, im.usedInodes(n))
	setBits(bm, im.g.ipg, im.g.bs*8-im.g.ipg)
	return bm
}

// setBits sets n bits from bit off.
func setBits(bm []byte, off, n uint64) {
	for ; n > 0 && off%8 != 0; n, off = n-1, off+1 {
		bm[off/8] |= 1 << (off % 8)
	}
	for ; n >= 8; n, off = n-8, off+8 {
		bm[off/8] = 0xFF
	}
	for ; n > 0; n, off = n-1, off+1 {
		bm[off/8] |= 1 << (off % 8)
	}
}

// superblock returns the primary superblock.
func (im *image) superblock(freeBlocks uint64, freeInodes uint32) ext4.Superblock {
	g, t := im.g, im.time.Unix()
	sb := ext4.Superblock{
		InodesCount:      uint32(g.inodes()),
		BlocksCount:      g.blocks,
		ReservedBlocks:   g.blocks * reservedPercent / 100,
		FreeBlocks:       freeBlocks,
		FreeInodes:       freeInodes,
		FirstDataBlock:   uint32(g.firstData),
		BlockSize:        uint32(g.bs),
		BlocksPerGroup:   uint32(g.bpg),
		InodesPerGroup:   uint32(g.ipg),
		WriteTime:        t,
		MaxMountCount:    -1,
		State:            ext4.StateClean,
		Errors:           ext4.ErrorsContinue,
		LastCheck:        t,
		RevLevel:         1,
		FirstIno:         firstIno,
		InodeSize:        inodeSize,
		FeatureCompat:    ext4.CompatHasJournal | ext4.CompatExtAttr | ext4.CompatDirIndex,
		FeatureIncompat:  ext4.IncompatFiletype | ext4.IncompatExtents | ext4.Incompat64bit | ext4.IncompatFlexBG,
		FeatureROCompat:  ext4.ROCompatSparseSuper | ext4.ROCompatLargeFile | ext4.ROCompatHugeFile | ext4.ROCompatDirNlink | ext4.ROCompatExtraIsize | ext4.ROCompatMetadataCsum,
		UUID:             im.uuid,
		Label:            im.label,
		JournalInode:     journalIno,
		HashSeed:         hashSeed(im.uuid),
		DefHashVersion:   ext4.HashHalfMD4,
		JnlBackupType:    ext4.JnlBackupBlocks,
		DescSize:         descSize,
		DefaultMountOpts: ext4.DefmXattrUser | ext4.DefmACL,
		MkfsTime:         t,
		MinExtraIsize:    inodeExtraSize,
		WantExtraIsize:   inodeExtraSize,
		Flags:            ext4.FlagUnsignedHash,
		LogGroupsPerFlex: logGroupsPerFlex,
		ChecksumType:     ext4.ChecksumCRC32C,
	}
	// s_jnl_blocks backs up the journal inode's i_block and size.
	root := im.journal.tree.root
	for i := 0; i < 15; i++ {
		sb.JnlBlocks[i] = uint32(root[4*i]) | uint32(root[4*i+1])<<8 | uint32(root[4*i+2])<<16 | uint32(root[4*i+3])<<24
	}
	sb.JnlBlocks[15] = uint32(im.journal.size >> 32)
	sb.JnlBlocks[16] = uint32(im.journal.size)
	return sb
}
