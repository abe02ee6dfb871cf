package vfat

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Offsets in the boot sector shared by all FAT types, and where the
// extended BPB starts for each.
const (
	extBPB1216      = 36
	extBPB32        = 64
	extBootSig      = 0x29
	bootSigOffset   = 510
	minSectorSize   = 512
	oemName         = "MSWIN4.1" // what Microsoft recommends for compatibility
	fsInfoLeadSig   = 0x41615252
	fsInfoStructSig = 0x61417272
	fsInfoTrailSig  = 0xAA550000
	fsInfoUnknown   = 0xFFFFFFFF
)

// BootSector is the parsed BIOS parameter block of a FAT filesystem.
type BootSector struct {
	OEMName           string
	BytesPerSector    int
	SectorsPerCluster int
	ReservedSectors   int
	NumFATs           int
	RootEntries       int // 0 on FAT32
	TotalSectors      uint32
	Media             byte
	FATSectors        uint32 // per FAT
	SectorsPerTrack   uint16
	Heads             uint16
	HiddenSectors     uint32
	RootCluster       uint32 // FAT32 only
	FSInfoSector      uint16 // FAT32 only
	BackupBootSector  uint16 // FAT32 only
	VolumeID          uint32
	Label             string // trailing spaces removed
	FSType            string // informational only, e.g. "FAT32"

	// Derived.
	FATType     int    // 12, 16 or 32, from the cluster count
	Clusters    uint32 // data clusters
	RootSectors uint32 // FAT12/16 root directory
	DataSector  uint32 // first sector of cluster 2
}

// encodeBootSector returns the boot sector for layout l.
func encodeBootSector(l *layout, label [11]byte, volID, hidden uint32) []byte {
	b := make([]byte, l.sectorSize)
	le := binary.LittleEndian
	ext := extBPB1216
	if l.fatType == 32 {
		ext = extBPB32
	}
	code := ext + 26 // boot code follows the extended BPB
	b[0], b[1], b[2] = 0xEB, byte(code-2), 0x90
	copy(b[3:11], oemName)
	le.PutUint16(b[11:], uint16(l.sectorSize))
	b[13] = byte(l.spc)
	le.PutUint16(b[14:], uint16(l.reserved))
	b[16] = numFATs
	le.PutUint16(b[17:], uint16(l.rootEntries))
	if l.fatType != 32 && l.totalSectors < 1<<16 {
		le.PutUint16(b[19:], uint16(l.totalSectors))
	} else {
		le.PutUint32(b[32:], l.totalSectors)
	}
	b[21] = mediaFixedDisk
	if l.fatType != 32 {
		le.PutUint16(b[22:], uint16(l.fatSectors))
	}
	spt, heads := geometry(l.totalSectors)
	le.PutUint16(b[24:], spt)
	le.PutUint16(b[26:], heads)
	le.PutUint32(b[28:], hidden)
	if l.fatType == 32 {
		le.PutUint32(b[36:], l.fatSectors)
		le.PutUint32(b[44:], 2) // root directory cluster
		le.PutUint16(b[48:], fsInfoSector)
		le.PutUint16(b[50:], backupBootSector)
	}
	b[ext] = 0x80 // drive number: first hard disk
	b[ext+2] = extBootSig
	le.PutUint32(b[ext+3:], volID)
	copy(b[ext+7:ext+18], label[:])
	copy(b[ext+18:ext+26], fmt.Sprintf("FAT%-5d", l.fatType))
	copy(b[code:bootSigOffset], bootCode(code))
	b[bootSigOffset], b[bootSigOffset+1] = 0x55, 0xAA
	return b
}

// encodeFSInfo returns the FAT32 FSInfo sector, which caches the free
// cluster count and where to look for free clusters.
func encodeFSInfo(ss int, free, nextFree uint32) []byte {
	b := make([]byte, ss)
	le := binary.LittleEndian
	le.PutUint32(b[0:], fsInfoLeadSig)
	le.PutUint32(b[484:], fsInfoStructSig)
	le.PutUint32(b[488:], free)
	le.PutUint32(b[492:], nextFree)
	le.PutUint32(b[508:], fsInfoTrailSig)
	return b
}

// bootCode returns x86 real-mode code, loaded at 0x7C00 with the first
// byte at offset start of the sector, that says the disk is not bootable
// and, after a key press, asks the BIOS to try the next boot device.
func bootCode(start int) []byte {
	const msg = "This is not a bootable disk. Press a key to try the next one.\r\n\x00"
	code := []byte{
		0x31, 0xC0, // xor ax, ax
		0x8E, 0xD8, // mov ds, ax
		0xBE, 0, 0, // mov si, msg
		0xAC,       // next: lodsb
		0x84, 0xC0, // test al, al
		0x74, 0x0B, // jz done
		0x56,       // push si
		0xB4, 0x0E, // mov ah, 0x0e (teletype output)
		0xBB, 0x07, 0x00, // mov bx, 7
		0xCD, 0x10, // int 0x10
		0x5E,       // pop si
		0xEB, 0xF0, // jmp next
		0x31, 0xC0, // done: xor ax, ax
		0xCD, 0x16, // int 0x16 (wait for a key)
		0xCD, 0x19, // int 0x19 (next boot device)
		0xEB, 0xFE, // jmp $
	}
	addr := 0x7C00 + start + len(code)
	binary.LittleEndian.PutUint16(code[5:], uint16(addr))
	return append(code, msg...)
}

// ParseBootSector parses and checks the boot sector at the start of b,
// deriving the FAT type from the cluster count as the specification says.
func ParseBootSector(b []byte) (*BootSector, error) {
	if len(b) < minSectorSize {
		return nil, fmt.Errorf("vfat: boot sector: %d bytes, need %d", len(b), minSectorSize)
	}
	if b[bootSigOffset] != 0x55 || b[bootSigOffset+1] != 0xAA {
		return nil, errors.New("vfat: boot sector: no 0x55AA signature")
	}
	le := binary.LittleEndian
	bs := &BootSector{
		OEMName:           strings.TrimRight(string(b[3:11]), " \x00"),
		BytesPerSector:    int(le.Uint16(b[11:])),
		SectorsPerCluster: int(b[13]),
		ReservedSectors:   int(le.Uint16(b[14:])),
		NumFATs:           int(b[16]),
		RootEntries:       int(le.Uint16(b[17:])),
		TotalSectors:      uint32(le.Uint16(b[19:])),
		Media:             b[21],
		FATSectors:        uint32(le.Uint16(b[22:])),
		SectorsPerTrack:   le.Uint16(b[24:]),
		Heads:             le.Uint16(b[26:]),
		HiddenSectors:     le.Uint32(b[28:]),
	}
	if bs.TotalSectors == 0 {
		bs.TotalSectors = le.Uint32(b[32:])
	}
	switch bs.BytesPerSector {
	case 512, 1024, 2048, 4096:
	default:
		return nil, fmt.Errorf("vfat: boot sector: %d bytes per sector", bs.BytesPerSector)
	}
	if spc := bs.SectorsPerCluster; spc == 0 || spc&(spc-1) != 0 {
		return nil, fmt.Errorf("vfat: boot sector: %d sectors per cluster", spc)
	}
	if bs.ReservedSectors == 0 || bs.NumFATs == 0 || bs.TotalSectors == 0 {
		return nil, fmt.Errorf("vfat: boot sector: %d reserved sectors, %d FATs, %d sectors",
			bs.ReservedSectors, bs.NumFATs, bs.TotalSectors)
	}
	ext := extBPB1216
	fat32BPB := bs.FATSectors == 0
	if fat32BPB {
		ext = extBPB32
		bs.FATSectors = le.Uint32(b[36:])
		bs.RootCluster = le.Uint32(b[44:])
		bs.FSInfoSector = le.Uint16(b[48:])
		bs.BackupBootSector = le.Uint16(b[50:])
		if bs.FATSectors == 0 {
			return nil, errors.New("vfat: boot sector: FAT size 0")
		}
	}
	if sig := b[ext+2]; sig == extBootSig || sig == 0x28 {
		bs.VolumeID = le.Uint32(b[ext+3:])
		if sig == extBootSig {
			bs.Label = strings.TrimRight(string(b[ext+7:ext+18]), " ")
			bs.FSType = strings.TrimRight(string(b[ext+18:ext+26]), " ")
		}
	}
	if err := bs.deriveLayout(fat32BPB); err != nil {
		return nil, err
	}
	return bs, nil
}

// deriveLayout computes the root directory's size, the start of the data
// area, the cluster count and from it the FAT type, and checks that they
// agree with the BPB (fat32BPB: laid out for FAT32).
func (bs *BootSector) deriveLayout(fat32BPB bool) error {
	ss := uint64(bs.BytesPerSector)
	bs.RootSectors = uint32((uint64(bs.RootEntries)*dirEntrySize + ss - 1) / ss)
	data := uint64(bs.ReservedSectors) + uint64(bs.NumFATs)*uint64(bs.FATSectors) + uint64(bs.RootSectors)
	if data >= uint64(bs.TotalSectors) {
		return fmt.Errorf("vfat: boot sector: data area starts at sector %d, past the end (%d)", data, bs.TotalSectors)
	}
	bs.DataSector = uint32(data)
	clusters := (uint64(bs.TotalSectors) - data) / uint64(bs.SectorsPerCluster)
	bs.Clusters = uint32(min(clusters, maxClusters32))
	bs.FATType = typeForClusters(clusters)
	switch {
	case clusters == 0:
		return errors.New("vfat: boot sector: no data clusters")
	case fat32BPB != (bs.FATType == 32):
		return fmt.Errorf("vfat: boot sector: %d clusters make FAT%d, but the BPB is laid out for the other kind", clusters, bs.FATType)
	case bs.FATType == 32 && bs.RootEntries != 0:
		return fmt.Errorf("vfat: boot sector: FAT32 with %d root entries", bs.RootEntries)
	case bs.FATType != 32 && bs.RootEntries == 0:
		return errors.New("vfat: boot sector: FAT12/16 without root directory entries")
	case bs.FATType == 32 && (bs.RootCluster < 2 || uint64(bs.RootCluster) > uint64(bs.Clusters)+1):
		return fmt.Errorf("vfat: boot sector: root cluster %d out of range", bs.RootCluster)
	case uint64(bs.FATSectors)*ss*8 < (uint64(bs.Clusters)+2)*uint64(bs.FATType):
		return fmt.Errorf("vfat: boot sector: %d FAT sectors cannot map %d clusters", bs.FATSectors, bs.Clusters)
	}
	return nil
}
