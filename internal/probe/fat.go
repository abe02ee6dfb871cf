package probe

import (
	"encoding/binary"
	"fmt"

	"github.com/plinth-os/plinth/internal/vfat"
)

// fatMagics are where blkid looks for a FAT boot sector, in its order:
// BS_FilSysType at 0x52 (FAT32) or 0x36 (FAT12/16) as the Microsoft FAT
// specification (fatgen103) places it, or, since that field is only
// informational, the x86 jump at 0 or the 0x55AA mark with a sane BPB.
var fatMagics = []struct {
	off   int
	magic string
}{
	{0x52, "MSWIN"}, {0x52, "FAT32   "},
	{0x36, "MSDOS"}, {0x36, "FAT16   "}, {0x36, "FAT12   "}, {0x36, "FAT     "},
	{0, "\xEB"}, {0, "\xE9"}, {0x1FE, "\x55\xAA"},
}

// fatMagic returns the offset of the first FAT magic in boot sector b.
func fatMagic(b []byte) (int64, bool) {
	for _, m := range fatMagics {
		if string(b[m.off:m.off+len(m.magic)]) != m.magic {
			continue
		}
		// OS/2 puts a FAT-like BPB in front of JFS and HPFS.
		if fs := string(b[0x36:0x3E]); m.off < 0x36 && (fs == "JFS     " || fs == "HPFS    ") {
			return 0, false
		}
		return int64(m.off), true
	}
	return 0, false
}

// probeVFAT finds a FAT12/16/32 filesystem. internal/vfat checks the BPB
// as the FAT specification requires; blkid also wants a media byte of
// 0xF0 or 0xF8-0xFF.
func probeVFAT(d *disk) (Finding, bool) {
	b := d.at(0, 512)
	if b == nil {
		return Finding{}, false
	}
	off, ok := fatMagic(b)
	if !ok {
		return Finding{}, false
	}
	bs, err := vfat.ParseBootSector(b)
	if err != nil || bs.Media < 0xF8 && bs.Media != 0xF0 {
		return Finding{}, false
	}
	f := Finding{Kind: Filesystem, Name: VFAT, Offset: off, Version: fmt.Sprintf("FAT%d", bs.FATType), Label: fatLabel(d, bs)}
	if bs.VolumeID != 0 {
		f.UUID = fmt.Sprintf("%04X-%04X", bs.VolumeID>>16, bs.VolumeID&0xFFFF)
	}
	return f, true
}

// FAT directory entries (fatgen103 §6): 32 bytes, the 11-byte name first,
// the attributes at 11; the volume label is the entry with the VOLUME_ID
// attribute and no DIRECTORY one, found in the root directory.
const (
	fatDirEntry    = 32
	fatAttr        = 11
	fatAttrVolume  = 0x08
	fatAttrDir     = 0x10
	fatAttrLFN     = 0x0F // a long name part, which also has VOLUME_ID set
	fatFreeEntry   = 0xE5
	fatLabelWindow = 64 << 10 // how much of the root directory is searched
)

// fatLabel returns the volume label from the start of the root directory
// (the FAT12/16 root region, or the first cluster of a FAT32 root), as
// blkid's LABEL, which ignores the boot sector's copy.
func fatLabel(d *disk, bs *vfat.BootSector) string {
	ss := int64(bs.BytesPerSector)
	off := (int64(bs.ReservedSectors) + int64(bs.NumFATs)*int64(bs.FATSectors)) * ss
	n := int64(bs.RootEntries) * fatDirEntry
	if bs.FATType == 32 {
		off = int64(bs.DataSector)*ss + int64(bs.RootCluster-2)*int64(bs.SectorsPerCluster)*ss
		n = int64(bs.SectorsPerCluster) * ss
	}
	dir := d.at(off, int(min(n, fatLabelWindow)))
	for i := 0; i+fatDirEntry <= len(dir); i += fatDirEntry {
		e := dir[i : i+fatDirEntry]
		switch {
		case e[0] == 0:
			return ""
		case e[0] == fatFreeEntry || e[fatAttr]&0x3F == fatAttrLFN || le.Uint16(e[20:]) != 0 || le.Uint16(e[26:]) != 0:
			continue // deleted, a long name part, or a file (labels have no cluster)
		case e[fatAttr]&(fatAttrVolume|fatAttrDir) == fatAttrVolume:
			return paddedString(e[:11])
		}
	}
	return ""
}

// exfatBoot is the exFAT Main Boot Sector (Microsoft exFAT specification
// §3.1), the fields probeExFAT checks.
type exfatBoot struct {
	fatOffset, fatLength      uint32 // sectors
	clusterHeapOffset         uint32 // sectors
	clusterCount, rootCluster uint32
	serial                    uint32
	revMinor, revMajor        byte
	sectorShift, clusterShift byte // BytesPerSectorShift, SectorsPerClusterShift
	numberOfFATs              byte
}

// parseExFAT decodes and checks the boot sector with the rules of §3.1:
// the jump and name, MustBeZero, the ranges of every shift and offset.
func parseExFAT(b []byte) (exfatBoot, bool) {
	if string(b[0:11]) != "\xEB\x76\x90EXFAT   " || !isZero(b[11:64]) || b[510] != 0x55 || b[511] != 0xAA {
		return exfatBoot{}, false
	}
	x := exfatBoot{
		fatOffset: le.Uint32(b[80:]), fatLength: le.Uint32(b[84:]),
		clusterHeapOffset: le.Uint32(b[88:]), clusterCount: le.Uint32(b[92:]), rootCluster: le.Uint32(b[96:]),
		serial: le.Uint32(b[100:]), revMinor: b[104], revMajor: b[105],
		sectorShift: b[108], clusterShift: b[109], numberOfFATs: b[110],
	}
	fats := uint64(x.fatLength) * uint64(x.numberOfFATs)
	ok := x.sectorShift >= 9 && x.sectorShift <= 12 && x.clusterShift <= 25-x.sectorShift &&
		(x.numberOfFATs == 1 || x.numberOfFATs == 2) &&
		x.fatOffset >= 24 && uint64(x.fatOffset)+fats <= uint64(x.clusterHeapOffset) &&
		x.clusterHeapOffset <= 1<<31 &&
		x.rootCluster >= 2 && uint64(x.rootCluster) <= uint64(x.clusterCount)+1
	return x, ok
}

// exfatChecksum is the boot checksum of §3.4 over the first 11 sectors,
// skipping VolumeFlags and PercentInUse, which change in use.
func exfatChecksum(b []byte) uint32 {
	var sum uint32
	for i, c := range b {
		if i == 106 || i == 107 || i == 112 {
			continue
		}
		sum = (sum>>1 | sum<<31) + uint32(c)
	}
	return sum
}

func probeExFAT(d *disk) (Finding, bool) {
	b := d.at(0, 512)
	if b == nil {
		return Finding{}, false
	}
	x, ok := parseExFAT(b)
	if !ok {
		return Finding{}, false
	}
	ss := 1 << x.sectorShift
	region := d.at(0, 12*ss) // the boot region's first 12 sectors
	if region == nil {
		return Finding{}, false
	}
	sum := exfatChecksum(region[:11*ss])
	for i := 11 * ss; i < 12*ss; i += 4 {
		if le.Uint32(region[i:]) != sum {
			return Finding{}, false
		}
	}
	return Finding{
		Kind: Filesystem, Name: ExFAT, Offset: 3,
		Version: fmt.Sprintf("%d.%d", x.revMajor, x.revMinor),
		Label:   exfatLabel(d, x),
		UUID:    fmt.Sprintf("%04X-%04X", x.serial>>16, x.serial&0xFFFF),
	}, true
}

// exfatLabel looks for the Volume Label entry (type 0x83, §7.3) in the
// first cluster of the root directory.
func exfatLabel(d *disk, x exfatBoot) string {
	clusterBytes := int64(1) << (x.sectorShift + x.clusterShift)
	off := int64(x.clusterHeapOffset)<<x.sectorShift + int64(x.rootCluster-2)*clusterBytes
	dir := d.at(off, int(min(clusterBytes, 64<<10)))
	for i := 0; i+32 <= len(dir); i += 32 {
		switch e := dir[i : i+32]; e[0] {
		case 0x00: // end of directory
			return ""
		case 0x83:
			n := min(int(e[1]), 11)
			return utf16String(e[2:2+2*n], binary.LittleEndian)
		}
	}
	return ""
}

// The NTFS boot sector, as the Linux NTFS driver documents it
// (fs/ntfs3/ntfs.h, struct NTFS_BOOT): a FAT-style BPB whose FAT fields
// must be zero, then the volume size, the MFT's cluster and the volume
// serial number.
const (
	ntfsSectors         = 0x28 // u64
	ntfsMFTCluster      = 0x30 // u64
	ntfsMFTMirrCluster  = 0x38 // u64
	ntfsClustersPerMFT  = 0x40 // int8: clusters, or -log2(bytes) if negative
	ntfsSerial          = 0x48 // u64
	ntfsMFTRecordVolume = 3    // $Volume's record number
	ntfsAttrVolumeName  = 0x60
	ntfsAttrEnd         = 0xFFFFFFFF
)

// ntfsGeometry checks the BPB and returns the sector and cluster size and
// the MFT record size.
func ntfsGeometry(b []byte) (sector, cluster, record int64, ok bool) {
	sector = int64(le.Uint16(b[0x0B:]))
	spc := int64(b[0x0D])
	if spc >= 240 && spc <= 249 { // 2^(256-n) sectors, for clusters over 128 sectors
		spc = 1 << (256 - spc)
	}
	cluster = sector * spc
	fatFieldsZero := le.Uint16(b[0x0E:]) == 0 && b[0x10] == 0 && le.Uint16(b[0x11:]) == 0 &&
		le.Uint16(b[0x13:]) == 0 && le.Uint16(b[0x16:]) == 0 && le.Uint32(b[0x20:]) == 0
	if sector < 256 || sector > 4096 || !isPowerOf2(uint64(sector)) || !isPowerOf2(uint64(spc)) ||
		cluster > 2<<20 || !fatFieldsZero {
		return 0, 0, 0, false
	}
	switch c := int8(b[ntfsClustersPerMFT]); {
	case c > 0 && isPowerOf2(uint64(c)) && c <= 64:
		record = int64(c) * cluster
	case c <= -9 && c >= -16: // blkid allows up to -31, but 64 KiB is already more than any NTFS uses
		record = 1 << -c
	default:
		return 0, 0, 0, false
	}
	return sector, cluster, record, true
}

// probeNTFS finds NTFS: a sane BPB and "FILE" records at the MFT's start
// and at $Volume, whose name attribute is the label.
func probeNTFS(d *disk) (Finding, bool) {
	b := d.at(0, 512)
	if b == nil || string(b[3:11]) != "NTFS    " {
		return Finding{}, false
	}
	sector, cluster, record, ok := ntfsGeometry(b)
	if !ok {
		return Finding{}, false
	}
	clusters := le.Uint64(b[ntfsSectors:]) / uint64(cluster/sector)
	mft := le.Uint64(b[ntfsMFTCluster:])
	if mft > clusters || le.Uint64(b[ntfsMFTMirrCluster:]) > clusters {
		return Finding{}, false
	}
	mftOff := int64(mft) * cluster
	vol := d.at(mftOff+ntfsMFTRecordVolume*record, int(record))
	if !d.has(mftOff, "FILE") || vol == nil || string(vol[:4]) != "FILE" {
		return Finding{}, false
	}
	return Finding{
		Kind: Filesystem, Name: NTFS, Offset: 3,
		Label: ntfsVolumeName(vol),
		UUID:  fmt.Sprintf("%016X", le.Uint64(b[ntfsSerial:])),
	}, true
}

// ntfsVolumeName finds the $VOLUME_NAME attribute in $Volume's MFT record.
func ntfsVolumeName(rec []byte) string {
	off := int(le.Uint16(rec[0x14:])) // first attribute
	for off+24 <= len(rec) {
		a := rec[off:]
		typ, n := le.Uint32(a), int(le.Uint32(a[4:]))
		if typ == ntfsAttrEnd || n < 24 {
			return ""
		}
		if typ == ntfsAttrVolumeName {
			vo, vl := int(le.Uint16(a[20:])), int(le.Uint32(a[16:]))
			if vo+vl > len(a) {
				return ""
			}
			return utf16String(a[vo:vo+vl], binary.LittleEndian)
		}
		off += n
	}
	return ""
}
