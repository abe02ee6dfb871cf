package vfat

import "encoding/binary"

const mediaFixedDisk = 0xF8

// endOfChain returns the end-of-chain marker of a FAT type.
func endOfChain(fatType int) uint32 {
	switch fatType {
	case 12:
		return 0xFFF
	case 16:
		return 0xFFFF
	}
	return 0x0FFFFFFF
}

// putFATEntry sets entry n of a FAT of the given type.
func putFATEntry(fat []byte, fatType int, n, v uint32) {
	switch fatType {
	case 12:
		o := n + n/2
		if n&1 == 0 {
			fat[o] = byte(v)
			fat[o+1] = fat[o+1]&0xF0 | byte(v>>8)&0x0F
		} else {
			fat[o] = fat[o]&0x0F | byte(v<<4)
			fat[o+1] = byte(v >> 4)
		}
	case 16:
		binary.LittleEndian.PutUint16(fat[2*n:], uint16(v))
	default:
		binary.LittleEndian.PutUint32(fat[4*n:], v)
	}
}

// getFATEntry returns entry n of a FAT of the given type; for FAT32 the
// reserved top four bits are dropped.
func getFATEntry(fat []byte, fatType int, n uint32) uint32 {
	switch fatType {
	case 12:
		o := n + n/2
		v := uint32(binary.LittleEndian.Uint16(fat[o:]))
		if n&1 == 0 {
			return v & 0xFFF
		}
		return v >> 4
	case 16:
		return uint32(binary.LittleEndian.Uint16(fat[2*n:]))
	}
	return binary.LittleEndian.Uint32(fat[4*n:]) & 0x0FFFFFFF
}

// fatEntryBytes returns how many bytes the first n entries of a FAT take.
func fatEntryBytes(fatType int, n uint64) uint64 {
	return (n*uint64(fatType) + 7) / 8
}

// fatHead returns the start of a FAT: the two reserved entries and the
// chains of the planned items, padded to whole sectors. The rest of the
// FAT is zero, meaning free.
func fatHead(l *layout, p *plan) []byte {
	n := fatEntryBytes(l.fatType, uint64(p.used)+2)
	ss := uint64(l.sectorSize)
	fat := make([]byte, (n+ss-1)/ss*ss)
	eoc := endOfChain(l.fatType)
	// Entry 0 holds the media byte; entry 1 the end-of-chain mark (for
	// FAT16/32 its top bits also say "cleanly unmounted, no errors").
	putFATEntry(fat, l.fatType, 0, eoc&^0xFF|mediaFixedDisk)
	putFATEntry(fat, l.fatType, 1, eoc)
	for _, it := range p.items {
		last := it.first + it.nclus - 1
		for c := it.first; c < last; c++ {
			putFATEntry(fat, l.fatType, c, c+1)
		}
		putFATEntry(fat, l.fatType, last, eoc)
	}
	return fat
}
