package vfat

import (
	"fmt"
	"math"
)

// Cluster-count limits. A FAT's type is defined by its cluster count alone
// (Microsoft's FAT specification), so every reader agrees on these.
const (
	maxClusters12 = 4084
	maxClusters16 = 65524
	minClusters32 = 65525
	// Cluster numbers run from 2 to 0x0FFFFFF6; 0x0FFFFFF7 marks a bad
	// cluster and the top four bits are reserved.
	maxClusters32 = 0x0FFFFFF5

	maxSectorsPerCluster = 128
	maxClusterBytes      = 64 << 10
	numFATs              = 2
	rootEntries1216      = 512 // fixed root directory of FAT12/16
	reservedSectors32    = 32
	fsInfoSector         = 1
	backupBootSector     = 6
	dirEntrySize         = 32
	// mkfs.fat switches to FAT32 from this size up when not told a type.
	autoFAT32Size = 512 << 20
)

// layout is the geometry of a filesystem: where the reserved sectors,
// FATs, root directory and data clusters are. Sector numbers are relative
// to the start of the filesystem.
type layout struct {
	fatType      int
	sectorSize   int
	spc          int    // sectors per cluster
	totalSectors uint32 // sectors the filesystem spans
	reserved     uint32 // sectors before the first FAT
	fatSectors   uint32 // sectors per FAT
	rootEntries  int    // FAT12/16 only
	rootSectors  uint32 // FAT12/16 only
	clusters     uint32 // data clusters, numbered 2..clusters+1
}

func (l *layout) clusterSize() int64 { return int64(l.spc) * int64(l.sectorSize) }

func (l *layout) fatOffset(i int) int64 {
	return (int64(l.reserved) + int64(i)*int64(l.fatSectors)) * int64(l.sectorSize)
}

func (l *layout) rootOffset() int64 { return l.fatOffset(numFATs) }

func (l *layout) dataSector() uint32 {
	return l.reserved + numFATs*l.fatSectors + l.rootSectors
}

func (l *layout) clusterOffset(c uint32) int64 {
	return int64(l.dataSector())*int64(l.sectorSize) + int64(c-2)*l.clusterSize()
}

// newLayout chooses the geometry for size bytes. Like mkfs.fat it tries
// 2 KiB clusters first for FAT12/16 and Microsoft's table for FAT32, and
// grows (or, if there are too few clusters for the type, shrinks) the
// cluster from there.
func newLayout(size int64, opts *Options) (layout, error) {
	ss, err := opts.sectorSize()
	if err != nil {
		return layout{}, err
	}
	if size < 0 {
		return layout{}, fmt.Errorf("vfat: negative size %d", size)
	}
	switch opts.FATType {
	case 0, 12, 16, 32:
	default:
		return layout{}, fmt.Errorf("vfat: FAT type %d not supported: use 12, 16, 32 or 0 to choose", opts.FATType)
	}
	spc := opts.SectorsPerCluster
	if spc != 0 && (spc < 0 || spc > maxSectorsPerCluster || spc&(spc-1) != 0 || spc*ss > maxClusterBytes) {
		return layout{}, fmt.Errorf("vfat: %d sectors per cluster not supported: use a power of two up to %d, at most %d KiB per cluster",
			spc, maxSectorsPerCluster, maxClusterBytes>>10)
	}
	// The sector count field is 32 bits wide; like mkfs.fat, leave any
	// space beyond it unused rather than refuse the device.
	sectors := uint64(size) / uint64(ss)
	if sectors > math.MaxUint32 {
		sectors = math.MaxUint32
	}

	var plans [][2]int // (type, sectors per cluster) in order of preference
	add := func(types []int, start int) {
		for _, s := range clusterCandidates(start, ss, spc) {
			for _, t := range types {
				plans = append(plans, [2]int{t, s})
			}
		}
	}
	switch {
	case opts.FATType != 0:
		add([]int{opts.FATType}, preferredSPC(opts.FATType, size, ss))
	case size >= autoFAT32Size:
		add([]int{32}, preferredSPC(32, size, ss))
		add([]int{16, 12}, preferredSPC(16, size, ss))
	default:
		add([]int{12, 16}, preferredSPC(16, size, ss))
		add([]int{32}, preferredSPC(32, size, ss))
	}

	var tooFew, tooMany bool
	for _, p := range plans {
		l, res := tryLayout(p[0], p[1], ss, uint32(sectors))
		switch res {
		case fits:
			return l, nil
		case fewClusters:
			tooFew = true
		case manyClusters:
			tooMany = true
		}
	}
	what := "a FAT filesystem"
	if opts.FATType != 0 {
		what = fmt.Sprintf("FAT%d", opts.FATType)
	}
	if spc != 0 {
		what += fmt.Sprintf(" with %d sectors per cluster", spc)
	}
	if tooMany && !tooFew {
		cure := "a bigger FAT type"
		if spc != 0 {
			cure = "more sectors per cluster or " + cure
		}
		return layout{}, fmt.Errorf("vfat: %d bytes is too large for %s; use %s", size, what, cure)
	}
	hint := ""
	if opts.FATType == 32 {
		hint = fmt.Sprintf(" (FAT32 needs %d clusters: 33 MiB with 512-byte clusters); use a bigger size or FAT16", minClusters32)
	}
	return layout{}, fmt.Errorf("vfat: %d bytes is too small for %s%s: %w", size, what, hint, ErrTooSmall)
}

// clusterCandidates lists the cluster sizes (in sectors) to try: the
// requested one only, or start and its multiples, then its fractions.
func clusterCandidates(start, ss, requested int) []int {
	if requested != 0 {
		return []int{requested}
	}
	var out []int
	for s := start; s <= maxSectorsPerCluster && s*ss <= maxClusterBytes; s *= 2 {
		out = append(out, s)
	}
	for s := start / 2; s >= 1; s /= 2 {
		out = append(out, s)
	}
	return out
}

// preferredSPC returns the first cluster size to try: 2 KiB for FAT12/16
// as mkfs.fat does, and Microsoft's table (also used by mkfs.fat) for
// FAT32.
func preferredSPC(fatType int, size int64, ss int) int {
	bytes := 2048
	if fatType == 32 {
		mib := size >> 20
		switch {
		case mib > 32<<10:
			bytes = 32 << 10
		case mib > 16<<10:
			bytes = 16 << 10
		case mib > 8<<10:
			bytes = 8 << 10
		case mib > 260:
			bytes = 4 << 10
		default:
			bytes = 512
		}
	}
	return max(1, bytes/ss)
}

type fitResult int

const (
	fits fitResult = iota
	fewClusters
	manyClusters
)

// tryLayout computes the geometry for one FAT type and cluster size and
// says whether the resulting cluster count is legal for that type.
func tryLayout(fatType, spc, ss int, sectors uint32) (layout, fitResult) {
	l := layout{fatType: fatType, sectorSize: ss, spc: spc, totalSectors: sectors, reserved: 1}
	if fatType == 32 {
		l.reserved = reservedSectors32
	} else {
		l.rootEntries = rootEntries1216
		l.rootSectors = uint32((rootEntries1216*dirEntrySize + ss - 1) / ss)
	}
	meta := uint64(l.reserved) + uint64(l.rootSectors)
	if uint64(sectors) <= meta {
		return l, fewClusters
	}
	// Size the FAT for the clusters there would be without it: an upper
	// bound that wastes at most a sector or so.
	upper := (uint64(sectors) - meta) / uint64(spc)
	fatBytes := fatEntryBytes(fatType, upper+2)
	fat := (fatBytes + uint64(ss) - 1) / uint64(ss)
	// Align the data area to the cluster size, as mkfs.fat does, so that
	// clusters do not straddle the flash pages or RAID stripes beneath:
	// FAT32 keeps its 32 reserved sectors and pads the FATs, FAT12/16 pads
	// the reserved sectors.
	if fatType == 32 {
		for (uint64(l.reserved)+numFATs*fat)%uint64(spc) != 0 {
			fat++
		}
	} else {
		rem := (uint64(l.reserved) + numFATs*fat + uint64(l.rootSectors)) % uint64(spc)
		if rem != 0 {
			l.reserved += uint32(uint64(spc) - rem)
		}
	}
	used := uint64(l.reserved) + numFATs*fat + uint64(l.rootSectors)
	if used >= uint64(sectors) {
		return l, fewClusters
	}
	clusters := (uint64(sectors) - used) / uint64(spc)
	l.fatSectors = uint32(fat)
	lo, hi := clusterRange(fatType)
	switch {
	case clusters < lo:
		return l, fewClusters
	case clusters > hi:
		return l, manyClusters
	}
	l.clusters = uint32(clusters)
	return l, fits
}

// clusterRange returns the legal cluster counts of a FAT type.
func clusterRange(fatType int) (lo, hi uint64) {
	switch fatType {
	case 12:
		return 1, maxClusters12
	case 16:
		return maxClusters12 + 1, maxClusters16
	}
	return minClusters32, maxClusters32
}

// typeForClusters returns the FAT type that a cluster count implies.
func typeForClusters(n uint64) int {
	switch {
	case n <= maxClusters12:
		return 12
	case n <= maxClusters16:
		return 16
	}
	return 32
}

// geometry returns plausible CHS values for the boot sector: 63 sectors
// per track and the head count BIOS LBA-assist translation would give.
// Nothing modern uses them, but some old firmware rejects zeros.
func geometry(totalSectors uint32) (sectorsPerTrack, heads uint16) {
	for _, h := range []uint16{16, 32, 64, 128} {
		if uint64(totalSectors) <= uint64(h)*63*1024 {
			return 63, h
		}
	}
	return 63, 255
}
