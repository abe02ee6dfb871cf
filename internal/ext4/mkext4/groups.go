package mkext4

import (
	"bytes"
	"encoding/binary"

	"github.com/plinth-os/plinth/internal/ext4"
)

// summarize fills in the group descriptors and the superblock from the
// finished allocation, and keeps the block bitmaps that writeBitmaps
// writes.
func (im *image) summarize() error {
	g := im.g
	dirs := make([]uint32, g.groups)
	for _, n := range im.nodes {
		if n.isDir() {
			dirs[(uint64(n.ino)-1)/g.ipg]++
		}
	}
	sums := newBitmapSums(im.seed, g)
	im.blockBitmaps = map[uint64][]byte{}
	var freeBlocks, freeInodes uint64
	for n := range g.groups {
		d := &im.gds[n]
		d.usedDirs = dirs[n]
		im.summarizeInodes(n, sums)
		im.summarizeBlocks(n, sums)
		freeBlocks += uint64(d.freeBlocks)
		freeInodes += uint64(d.freeInodes)
	}
	im.sb = im.superblock(freeBlocks, uint32(freeInodes))
	return nil
}

// bitmapSums computes bitmap checksums, each distinct block bitmap once:
// most groups of a large filesystem hold nothing, or only a superblock
// copy, or only their flex group's metadata, and so share a bitmap.
type bitmapSums struct {
	seed       uint32
	emptyInode uint32            // inode bitmap of a group with no inode in use
	blocks     map[string]uint32 // block bitmap checksums by bitmapKey
	scratch    []byte            // a block bitmap being built
}

func newBitmapSums(seed uint32, g *geometry) *bitmapSums {
	zero := make([]byte, g.bs)
	return &bitmapSums{
		seed:       seed,
		emptyInode: ext4.CRC32C(seed, zero[:g.ipg/8]),
		blocks:     map[string]uint32{},
		scratch:    zero,
	}
}

// bitmapKey identifies a block bitmap by what it is made of: the used
// runs (relative to the group) and the group's length.
func bitmapKey(runs []run, groupBlocks uint64) string {
	k := binary.AppendUvarint(nil, groupBlocks)
	for _, r := range runs {
		k = binary.AppendUvarint(binary.AppendUvarint(k, r.start), r.len)
	}
	return string(k)
}

// summarizeInodes fills in group n's inode counts, flags and bitmap
// checksum.
func (im *image) summarizeInodes(n uint64, sums *bitmapSums) {
	d := &im.gds[n]
	used := im.usedInodes(n)
	d.freeInodes = uint32(im.g.ipg - used)
	d.itableUnused = d.freeInodes
	if used == 0 {
		d.flags |= bgInodeUninit
		d.inodeBitmapCsum = sums.emptyInode
		return
	}
	d.inodeBitmapCsum = ext4.CRC32C(sums.seed, im.inodeBitmap(n)[:im.g.ipg/8])
}

// summarizeBlocks fills in group n's free block count, flags and bitmap
// checksum, and keeps its bitmap if the group is initialized.
func (im *image) summarizeBlocks(n uint64, sums *bitmapSums) {
	g, d := im.g, &im.gds[n]
	runs, used := im.groupRuns(n)
	d.freeBlocks = uint32(g.groupBlocks(n) - used)
	// The kernel and e2fsck rebuild an uninitialized block bitmap
	// from the group's superblock copy and its own metadata; that is
	// only right if nothing else is in the group. mke2fs never leaves
	// the last group uninitialized.
	uninit := n != g.groups-1 && used == im.ownMetadataBlocks(n)
	if uninit {
		d.flags |= bgBlockUninit
	}
	key := bitmapKey(runs, g.groupBlocks(n))
	sum, known := sums.blocks[key]
	if known && uninit {
		d.blockBitmapCsum = sum
		return
	}
	bm := sums.scratch
	g.fillBlockBitmap(bm, runs, g.groupBlocks(n))
	if !known {
		sum = ext4.CRC32C(sums.seed, bm)
		sums.blocks[key] = sum
	}
	d.blockBitmapCsum = sum
	if !uninit {
		im.blockBitmaps[n] = bytes.Clone(bm)
	}
}

// groupRuns returns the used blocks of group n, relative to its start,
// and how many there are.
func (im *image) groupRuns(n uint64) ([]run, uint64) {
	start := im.g.groupStart(n)
	runs := im.alloc.usedIn(start, start+im.g.groupBlocks(n))
	var used uint64
	for i := range runs {
		runs[i].start -= start
		used += runs[i].len
	}
	return runs, used
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

// fillBlockBitmap sets bm (one block) to the block bitmap of a group of
// groupBlocks blocks whose used blocks are runs (relative to the group).
// Bits past the end of the filesystem are set, as e2fsck expects.
func (g *geometry) fillBlockBitmap(bm []byte, runs []run, groupBlocks uint64) {
	clear(bm)
	for _, r := range runs {
		setBits(bm, r.start, r.len)
	}
	setBits(bm, groupBlocks, g.bs*8-groupBlocks)
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
	if whole := n / 8; whole > 0 {
		fillFF(bm[off/8 : off/8+whole])
		off, n = off+whole*8, n-whole*8
	}
	for ; n > 0; n, off = n-1, off+1 {
		bm[off/8] |= 1 << (off % 8)
	}
}

// fillFF sets every byte of b to 0xFF, doubling the filled part with copy
// rather than storing byte by byte.
func fillFF(b []byte) {
	if len(b) == 0 {
		return
	}
	b[0] = 0xFF
	for i := 1; i < len(b); i *= 2 {
		copy(b[i:], b[:i])
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
