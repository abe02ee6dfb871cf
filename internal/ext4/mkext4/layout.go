package mkext4

import "fmt"

// Fixed parameters of the filesystems Format writes.
const (
	inodeSize        = 256
	inodeExtraSize   = 32 // i_extra_isize: up to and including i_projid
	descSize         = 64 // 64bit group descriptors
	logGroupsPerFlex = 4  // flex_bg of 16 groups, as mke2fs
	firstIno         = 11
	rootIno          = 2
	journalIno       = 8
	lostFoundIno     = 11
	minBlocks        = 2048 // below this mke2fs makes no journal
	maxExtentLen     = 32768
	lostFoundBytes   = 16384 // mke2fs grows lost+found to 16 KiB
	smallFSBytes     = 512 << 20
	reservedPercent  = 5
)

// geometry is the shape of the filesystem: everything that follows from
// the size and block size alone.
type geometry struct {
	bs            uint64 // block size in bytes
	firstData     uint64 // s_first_data_block: 1 for 1 KiB blocks
	blocks        uint64
	bpg           uint64 // blocks per group
	groups        uint64
	ipg           uint64 // inodes per group
	itb           uint64 // inode table blocks per group
	gdtBlocks     uint64
	journalBlocks uint64
}

// newGeometry lays out size bytes in blocks of bs bytes the way
// ext2fs_initialize does for mke2fs -t ext4 without resize_inode.
func newGeometry(size int64, bs int) (*geometry, error) {
	g := &geometry{bs: uint64(bs), bpg: uint64(bs) * 8}
	if bs == 1024 {
		g.firstData = 1
	}
	if size < 0 || uint64(size)/g.bs < minBlocks {
		return nil, fmt.Errorf("ext4: size %d bytes is below the minimum of %d blocks of %d bytes: %w",
			size, minBlocks, bs, ErrTooSmall)
	}
	g.blocks = uint64(size) / g.bs
	ratio := uint64(16384)
	if uint64(size) < smallFSBytes {
		ratio = 4096 // mke2fs's "small" type
	}
	inodes := g.blocks * g.bs / ratio
	ipb := g.bs / inodeSize
	for {
		g.groups = ceilDiv(g.blocks-g.firstData, g.bpg)
		g.gdtBlocks = ceilDiv(g.groups*descSize, g.bs)
		if g.gdtBlocks > g.bpg/4 {
			return nil, fmt.Errorf("ext4: size %d bytes needs %d group descriptor blocks; without meta_bg at most %d fit: %w",
				size, g.gdtBlocks, g.bpg/4, ErrTooLarge)
		}
		g.ipg = g.inodesPerGroup(inodes, ipb)
		g.itb = g.ipg * inodeSize / g.bs
		// A short last group that cannot hold its own metadata and some
		// data is dropped, as mke2fs does.
		overhead := 3 + g.itb
		if hasSuper(g.groups - 1) {
			overhead += 1 + g.gdtBlocks
		}
		rem := (g.blocks - g.firstData) % g.bpg
		if g.groups == 1 && rem != 0 && rem < overhead {
			return nil, fmt.Errorf("ext4: size %d bytes cannot hold one block group: %w", size, ErrTooSmall)
		}
		if rem != 0 && rem < overhead+50 {
			g.blocks -= rem
			continue
		}
		break
	}
	g.journalBlocks = defaultJournalBlocks(g.blocks)
	return g, nil
}

// inodesPerGroup spreads inodes over the groups, rounded up to fill whole
// inode table blocks and kept within what a bitmap block and the 32-bit
// inode count can address.
func (g *geometry) inodesPerGroup(inodes, ipb uint64) uint64 {
	unit := max(ipb, 8)
	ipg := roundUp(max(ceilDiv(inodes, g.groups), unit), unit)
	ipg = min(ipg, g.bs*8, 65536-unit)
	if ipg*g.groups > 1<<32-1 {
		ipg = (1<<32 - 1) / g.groups / unit * unit
	}
	return ipg
}

// defaultJournalBlocks is ext2fs_default_journal_size (e2fsprogs 1.47).
func defaultJournalBlocks(blocks uint64) uint64 {
	switch {
	case blocks < 32768:
		return 1024
	case blocks < 256*1024:
		return 4096
	case blocks < 512*1024:
		return 8192
	case blocks < 4096*1024:
		return 16384
	case blocks < 8192*1024:
		return 32768
	case blocks < 16384*1024:
		return 65536
	case blocks < 32768*1024:
		return 131072
	}
	return 262144
}

// groupStart returns the first block of group n.
func (g *geometry) groupStart(n uint64) uint64 { return g.firstData + n*g.bpg }

// groupBlocks returns the number of blocks in group n (the last is short).
func (g *geometry) groupBlocks(n uint64) uint64 {
	return min(g.bpg, g.blocks-g.groupStart(n))
}

// inodes returns s_inodes_count.
func (g *geometry) inodes() uint64 { return g.ipg * g.groups }

// superBlocks returns how many blocks the superblock and GDT copy takes in
// group n (sparse_super: groups 0, 1 and powers of 3, 5 and 7).
func (g *geometry) superBlocks(n uint64) uint64 {
	if !hasSuper(n) {
		return 0
	}
	return 1 + g.gdtBlocks
}

// hasSuper reports whether group n holds a superblock copy.
func hasSuper(n uint64) bool {
	if n <= 1 {
		return true
	}
	for _, p := range []uint64{3, 5, 7} {
		v := p
		for v < n {
			v *= p
		}
		if v == n {
			return true
		}
	}
	return false
}

func ceilDiv(a, b uint64) uint64 { return (a + b - 1) / b }

func roundUp(a, b uint64) uint64 { return ceilDiv(a, b) * b }
