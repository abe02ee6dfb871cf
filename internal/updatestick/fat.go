package updatestick

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// This file reads just enough of a FAT or exFAT filesystem to learn its
// label. internal/vfat and internal/probe know more, but the appliance
// must not link vfat, which formats FAT (cmds/appliance/deps_test.go),
// and probe imports it.

var le = binary.LittleEndian

// fatBoot is what a FAT boot sector says about finding the volume label.
type fatBoot struct {
	sectorSize, clusterSize int64
	fatStart                int64  // bytes: the first FAT
	rootStart, rootLen      int64  // bytes: the FAT12/16 root directory; rootLen 0 on FAT32
	dataStart               int64  // bytes: cluster 2
	rootCluster             uint32 // FAT32: the root directory's first cluster
	clusters                uint32 // data clusters
	end                     int64  // bytes the filesystem spans
	label                   string // the boot sector's copy, "" if it has none
	serial                  uint32
}

// parseFATBoot checks the boot sector b as the FAT specification
// (fatgen103) asks, the FAT type following from the cluster count, and
// returns what it says; ok is false when b is not a FAT boot sector.
func parseFATBoot(b []byte) (f fatBoot, ok bool) {
	if b[510] != 0x55 || b[511] != 0xAA {
		return f, false
	}
	ss, spc := int64(le.Uint16(b[11:])), int64(b[13])
	reserved, fats, rootEntries := int64(le.Uint16(b[14:])), int64(b[16]), int64(le.Uint16(b[17:]))
	total, fatSize := int64(le.Uint16(b[19:])), int64(le.Uint16(b[22:]))
	if total == 0 {
		total = int64(le.Uint32(b[32:]))
	}
	fat32, ext := fatSize == 0, 36
	if fat32 {
		fatSize, ext = int64(le.Uint32(b[36:])), 64
		f.rootCluster = le.Uint32(b[44:])
	}
	if ss != 512 && ss != 1024 && ss != 2048 && ss != 4096 || spc == 0 || spc&(spc-1) != 0 ||
		reserved == 0 || fats == 0 || total == 0 || fatSize == 0 {
		return f, false
	}
	rootSectors := (rootEntries*32 + ss - 1) / ss
	data := reserved + fats*fatSize + rootSectors
	clusters := (total - data) / spc
	isFAT32 := clusters >= 65525
	if data >= total || clusters == 0 || fat32 != isFAT32 || fat32 != (rootEntries == 0) ||
		fat32 && (f.rootCluster < 2 || int64(f.rootCluster) > clusters+1) {
		return f, false
	}
	f.sectorSize, f.clusterSize = ss, ss*spc
	f.fatStart, f.rootStart, f.dataStart = reserved*ss, (reserved+fats*fatSize)*ss, data*ss
	f.rootLen, f.clusters, f.end = rootEntries*32, uint32(min(clusters, 1<<28)), total*ss
	if sig := b[ext+2]; sig == 0x29 || sig == 0x28 {
		f.serial = le.Uint32(b[ext+3:])
		if sig == 0x29 {
			f.label = strings.TrimRight(string(b[ext+7:ext+18]), " ")
		}
	}
	return f, true
}

// Bounds on reading a FAT32 root directory: its label entry is near the
// start, and a corrupt FAT must not make a scan read the whole stick.
const (
	maxRootClusters = 64
	maxRootBytes    = 1 << 20
)

// rootDir reads the root directory.
func (f fatBoot) rootDir(r io.ReaderAt) ([]byte, error) {
	if f.rootLen > 0 {
		return readAt(r, f.rootStart, f.rootLen)
	}
	var dir []byte
	c := f.rootCluster
	for i := 0; i < maxRootClusters && int64(len(dir)) < maxRootBytes; i++ {
		b, err := readAt(r, f.dataStart+int64(c-2)*f.clusterSize, f.clusterSize)
		if err != nil {
			return nil, err
		}
		dir = append(dir, b...)
		if c, err = f.next(r, c); err != nil || c == 0 {
			return dir, err
		}
	}
	return dir, nil
}

// next returns the FAT32 cluster after c, or 0 at the end of the chain.
func (f fatBoot) next(r io.ReaderAt, c uint32) (uint32, error) {
	b, err := readAt(r, f.fatStart+4*int64(c), 4)
	if err != nil {
		return 0, err
	}
	n := le.Uint32(b) & 0x0FFFFFFF
	switch {
	case n >= 0x0FFFFFF8:
		return 0, nil
	case n < 2 || n > f.clusters+1:
		return 0, fmt.Errorf("the root directory's cluster chain is broken at cluster %d (next %#x)", c, n)
	}
	return n, nil
}

// dirLabel returns the label entry of a directory, "" if it has none.
func dirLabel(dir []byte) string {
	for i := 0; i+32 <= len(dir); i += 32 {
		e := dir[i : i+32]
		attr := e[11]
		switch {
		case e[0] == 0:
			return "" // end of the directory
		case e[0] == 0xE5 || attr&0x3F == 0x0F:
			continue // deleted, or part of a long name
		case attr&(0x08|0x10) == 0x08:
			name := append([]byte(nil), e[:11]...)
			if name[0] == 0x05 { // an initial 0xE5 byte, escaped
				name[0] = 0xE5
			}
			return strings.TrimRight(string(name), " ")
		}
	}
	return ""
}

// fatLabel returns the label of the FAT filesystem whose boot sector is
// first, on r of size bytes: the root directory's label entry, as
// Windows and Linux show it, else the boot sector's. ok is false when r
// holds no FAT filesystem. err says why the root directory could not be
// read; label is then the boot sector's.
func fatLabel(r io.ReaderAt, size int64, first []byte) (label string, serial uint32, ok bool, err error) {
	f, ok := parseFATBoot(first)
	if !ok || f.end > size {
		return "", 0, false, nil
	}
	dir, err := f.rootDir(r)
	if err != nil {
		return f.label, f.serial, true, err
	}
	if l := dirLabel(dir); l != "" {
		return l, f.serial, true, nil
	}
	return f.label, f.serial, true, nil
}

// exfatLabel returns the label of the exFAT filesystem whose boot sector
// is first (exFAT specification 3.1 and 7.3: the volume label entry, type
// 0x83, in the root directory); ok is false when there is none.
func exfatLabel(r io.ReaderAt, first []byte) (string, bool) {
	if string(first[0:11]) != "\xEB\x76\x90EXFAT   " {
		return "", false
	}
	sectorShift, clusterShift := int64(first[108]), int64(first[109])
	heap, root := int64(le.Uint32(first[88:])), int64(le.Uint32(first[96:]))
	if sectorShift < 9 || sectorShift > 12 || clusterShift > 25-sectorShift || root < 2 {
		return "", false
	}
	clusterSize := int64(1) << (sectorShift + clusterShift)
	dir, err := readAt(r, heap<<sectorShift+(root-2)*clusterSize, min(clusterSize, 64<<10))
	if err != nil {
		return "", false
	}
	for i := 0; i+32 <= len(dir) && dir[i] != 0; i += 32 {
		if e := dir[i : i+32]; e[0] == 0x83 {
			n := min(int(e[1]), 11)
			u := make([]uint16, n)
			for j := range u {
				u[j] = le.Uint16(e[2+2*j:])
			}
			return string(utf16.Decode(u)), true
		}
	}
	return "", false
}

// readAt reads n bytes at off.
func readAt(r io.ReaderAt, off, n int64) ([]byte, error) {
	b := make([]byte, n)
	if _, err := r.ReadAt(b, off); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read %d bytes at %d: %w", n, off, err)
	}
	return b, nil
}
