package probe

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// castagnoli is the CRC-32C that XFS, btrfs and ext4 checksum with.
func castagnoli() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) }

// The XFS superblock at 0, big-endian (xfs_format.h, struct xfs_dsb; "XFS
// Algorithms & Data Structures", Superblocks). Version 5 superblocks carry
// a CRC-32C of the sector at sb_crc, stored little-endian.
const (
	xfsBlockSize = 4   // u32 sb_blocksize
	xfsUUID      = 32  // sb_uuid
	xfsAGBlocks  = 84  // u32
	xfsAGCount   = 88  // u32
	xfsVersion   = 100 // u16 sb_versionnum, low 4 bits the version
	xfsSectSize  = 102 // u16
	xfsInodeSize = 104 // u16
	xfsInoPBlock = 106 // u16 inodes per block
	xfsName      = 108 // sb_fname[12]
	xfsBlockLog  = 120 // u8, then sectlog, inodelog, inopblog
	xfsCRC       = 224 // le32 sb_crc
)

// xfsSane checks the geometry fields against each other, as blkid does.
func xfsSane(b []byte) bool {
	bs, ss, is := be.Uint32(b[xfsBlockSize:]), be.Uint16(b[xfsSectSize:]), be.Uint16(b[xfsInodeSize:])
	blog, slog, ilog, iplog := b[xfsBlockLog], b[xfsBlockLog+1], b[xfsBlockLog+2], b[xfsBlockLog+3]
	return be.Uint32(b[xfsAGCount:]) > 0 && be.Uint32(b[xfsAGBlocks:]) > 0 &&
		slog >= 9 && slog <= 15 && uint32(ss) == 1<<slog &&
		blog >= 9 && blog <= 16 && bs == 1<<blog &&
		ilog >= 8 && ilog <= 11 && uint32(is) == 1<<ilog &&
		blog >= ilog && iplog == blog-ilog && uint32(be.Uint16(b[xfsInoPBlock:])) == bs/uint32(is)
}

func probeXFS(d *disk) (Finding, bool) {
	b := d.at(0, 512)
	if b == nil || string(b[:4]) != "XFSB" || !xfsSane(b) {
		return Finding{}, false
	}
	if be.Uint16(b[xfsVersion:])&0xF == 5 {
		sect := d.at(0, int(be.Uint16(b[xfsSectSize:])))
		if sect == nil || !crcMatches(sect, xfsCRC) {
			return Finding{}, false
		}
	}
	return Finding{Kind: Filesystem, Name: XFS, Offset: 0, Label: cString(b[xfsName : xfsName+12]), UUID: uuidString(b[xfsUUID : xfsUUID+16])}, true
}

// crcMatches checks a CRC-32C stored little-endian at off in b, computed
// over b with that field taken as zero.
func crcMatches(b []byte, off int) bool {
	t := castagnoli()
	c := crc32.Update(0, t, b[:off])
	c = crc32.Update(c, t, []byte{0, 0, 0, 0})
	c = crc32.Update(c, t, b[off+4:])
	return c == le.Uint32(b[off:])
}

// The btrfs superblock at 64 KiB (btrfs documentation, "On-disk format",
// struct btrfs_super_block): checksum, fsid, its own byte offset, the
// magic "_BHRfS_M", csum_type, the label.
const (
	btrfsSuper    = 0x10000
	btrfsFSID     = 0x20
	btrfsBytenr   = 0x30
	btrfsMagic    = 0x40
	btrfsCsumType = 0xC4 // u16: 0 CRC-32C, others not checked here
	btrfsLabel    = 0x12B
	btrfsSize     = 0x1000
)

func probeBtrfs(d *disk) (Finding, bool) {
	b := d.at(btrfsSuper, btrfsSize)
	if b == nil || string(b[btrfsMagic:btrfsMagic+8]) != "_BHRfS_M" || le.Uint64(b[btrfsBytenr:]) != btrfsSuper {
		return Finding{}, false
	}
	if le.Uint16(b[btrfsCsumType:]) == 0 && crc32.Checksum(b[0x20:], castagnoli()) != le.Uint32(b) {
		return Finding{}, false
	}
	return Finding{
		Kind: Filesystem, Name: Btrfs, Offset: btrfsSuper + btrfsMagic,
		Label: cString(b[btrfsLabel : btrfsLabel+256]),
		UUID:  uuidString(b[btrfsFSID : btrfsFSID+16]),
	}, true
}

// The F2FS superblock at 1 KiB (include/linux/f2fs_fs.h, struct
// f2fs_super_block), with a CRC-32 seeded with the magic at
// checksum_offset when that is set.
const (
	f2fsSuper      = 0x400
	f2fsMagic      = 0xF2F52010
	f2fsCsumOffset = 0x20
	f2fsUUID       = 0x6C
	f2fsName       = 0x7C // u16 volume_name[512], UTF-16LE
)

func probeF2FS(d *disk) (Finding, bool) {
	b := d.at(f2fsSuper, 4096)
	if b == nil || le.Uint32(b) != f2fsMagic {
		return Finding{}, false
	}
	major, minor := le.Uint16(b[4:]), le.Uint16(b[6:])
	if co := le.Uint32(b[f2fsCsumOffset:]); !(major == 1 && minor == 0) && co != 0 {
		// crc32.Update inverts before and after; f2fs_crc32 does neither.
		if co%4 != 0 || co+4 > uint32(len(b)) || ^crc32.Update(^uint32(f2fsMagic), crc32.IEEETable, b[:co]) != le.Uint32(b[co:]) {
			return Finding{}, false
		}
	}
	return Finding{
		Kind: Filesystem, Name: F2FS, Offset: f2fsSuper, Version: fmt.Sprintf("%d.%d", major, minor),
		Label: utf16String(b[f2fsName:f2fsName+1024], binary.LittleEndian),
		UUID:  uuidString(b[f2fsUUID : f2fsUUID+16]),
	}, true
}

// probeSquashFS finds a SquashFS 4 image: "hsqs" at 0, then the major and
// minor version at 28 (fs/squashfs/squashfs_fs.h, struct
// squashfs_super_block). Older versions have another layout.
func probeSquashFS(d *disk) (Finding, bool) {
	b := d.at(0, 32)
	if b == nil || string(b[:4]) != "hsqs" || le.Uint16(b[28:]) < 4 {
		return Finding{}, false
	}
	return Finding{Kind: Filesystem, Name: SquashFS, Offset: 0, Version: fmt.Sprintf("%d.%d", le.Uint16(b[28:]), le.Uint16(b[30:]))}, true
}

// The swap header (include/linux/swap.h, union swap_header): the magic in
// the last 10 bytes of the first page, whose size the header does not
// record, so each page size Linux has is tried; version, last page, UUID
// and label from 1 KiB.
const (
	swapInfo     = 1024
	swapVersion  = swapInfo      // u32, 1
	swapLastPage = swapInfo + 4  // u32, not 0
	swapUUID     = swapInfo + 12 // [16]
	swapLabel    = swapInfo + 28 // [16]
	swapPadding  = swapInfo + 44 // u32[117]; blkid trusts UUID and label only if padding[32:34] is zero
	swapMinSize  = 10 * 4096     // blkid ignores smaller devices
	// tuxOnIce marks a TuxOnIce hibernation image, which keeps a valid
	// swap header at the end of its first page.
	tuxOnIce = "\xed\xc3\x02\xe9\x98\x56\xe5\x0c"
)

func probeSwap(d *disk) (Finding, bool) {
	if d.size < swapMinSize || d.has(0, tuxOnIce) {
		return Finding{}, false
	}
	for _, page := range []int64{4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10} {
		switch {
		case d.has(page-10, "SWAP-SPACE"):
			return Finding{Kind: Swap, Name: SwapArea, Offset: page - 10, Version: "0"}, true
		case d.has(page-10, "SWAPSPACE2"):
			return swap2(d, page-10)
		}
	}
	return Finding{}, false
}

// swap2 checks a version 1 ("SWAPSPACE2") header.
func swap2(d *disk, magic int64) (Finding, bool) {
	b := d.at(0, swapPadding+34*4)
	if b == nil {
		return Finding{}, false
	}
	v := le.Uint32(b[swapVersion:])
	if v != 1 && v != 1<<24 || le.Uint32(b[swapLastPage:]) == 0 {
		return Finding{}, false
	}
	f := Finding{Kind: Swap, Name: SwapArea, Offset: magic, Version: "1"}
	if isZero(b[swapPadding+32*4 : swapPadding+34*4]) {
		f.Label = cString(b[swapLabel : swapLabel+16])
		f.UUID = uuidString(b[swapUUID : swapUUID+16])
	}
	return f, true
}
