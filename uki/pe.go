package uki

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// PE/COFF layout constants (Microsoft PE format specification).
const (
	dosHeaderSize     = 0x40
	lfanewOffset      = 0x3c // e_lfanew: file offset of the PE signature
	peSignatureSize   = 4
	fileHeaderSize    = 20
	sectionHeaderSize = 40

	// COFF file header fields, relative to the file header.
	fhNumberOfSections     = 2
	fhPointerToSymbolTable = 8
	fhNumberOfSymbols      = 12
	fhSizeOfOptionalHeader = 16

	magicPE32     = 0x10b
	magicPE32Plus = 0x20b

	// Optional header fields; these offsets are the same for PE32 and PE32+.
	ohSizeOfInitializedData = 8
	ohSectionAlignment      = 32
	ohFileAlignment         = 36
	ohSizeOfImage           = 56
	ohSizeOfHeaders         = 60
	ohCheckSum              = 64

	// Where NumberOfRvaAndSizes and the data directories start differ,
	// because PE32+ widens the image base and stack/heap sizes to 64 bits.
	ohNumberOfRvaAndSizes32     = 92
	ohNumberOfRvaAndSizes32Plus = 108

	dirSecurity       = 4 // certificate table; its "RVA" is a file offset
	dirDebug          = 6
	debugEntrySize    = 28
	debugEntryFileOff = 24 // PointerToRawData within a debug directory entry

	scnCntInitializedData = 0x00000040
	scnMemRead            = 0x40000000

	// pageSize is the minimum alignment of new sections in memory.
	pageSize = 4096

	// maxSections is systemd-stub's limit (MAX_SECTIONS in its pe.c).
	maxSections = 96
)

// ErrNotPE is returned (wrapped) when the input is not a PE/COFF image.
var ErrNotPE = errors.New("not a PE/COFF image")

// sectionHeader is one IMAGE_SECTION_HEADER.
type sectionHeader struct {
	Name                 [8]byte
	VirtualSize          uint32
	VirtualAddress       uint32
	SizeOfRawData        uint32
	PointerToRawData     uint32
	PointerToRelocations uint32
	PointerToLinenumbers uint32
	NumberOfRelocations  uint16
	NumberOfLinenumbers  uint16
	Characteristics      uint32
}

func decodeSectionHeader(b []byte) sectionHeader {
	var h sectionHeader
	copy(h.Name[:], b[0:8])
	h.VirtualSize = binary.LittleEndian.Uint32(b[8:])
	h.VirtualAddress = binary.LittleEndian.Uint32(b[12:])
	h.SizeOfRawData = binary.LittleEndian.Uint32(b[16:])
	h.PointerToRawData = binary.LittleEndian.Uint32(b[20:])
	h.PointerToRelocations = binary.LittleEndian.Uint32(b[24:])
	h.PointerToLinenumbers = binary.LittleEndian.Uint32(b[28:])
	h.NumberOfRelocations = binary.LittleEndian.Uint16(b[32:])
	h.NumberOfLinenumbers = binary.LittleEndian.Uint16(b[34:])
	h.Characteristics = binary.LittleEndian.Uint32(b[36:])
	return h
}

func (h *sectionHeader) encode(b []byte) {
	copy(b[0:8], h.Name[:])
	binary.LittleEndian.PutUint32(b[8:], h.VirtualSize)
	binary.LittleEndian.PutUint32(b[12:], h.VirtualAddress)
	binary.LittleEndian.PutUint32(b[16:], h.SizeOfRawData)
	binary.LittleEndian.PutUint32(b[20:], h.PointerToRawData)
	binary.LittleEndian.PutUint32(b[24:], h.PointerToRelocations)
	binary.LittleEndian.PutUint32(b[28:], h.PointerToLinenumbers)
	binary.LittleEndian.PutUint16(b[32:], h.NumberOfRelocations)
	binary.LittleEndian.PutUint16(b[34:], h.NumberOfLinenumbers)
	binary.LittleEndian.PutUint32(b[36:], h.Characteristics)
}

// name returns the section name up to the first NUL.
func (h *sectionHeader) name() string {
	n := 0
	for n < len(h.Name) && h.Name[n] != 0 {
		n++
	}
	return string(h.Name[:n])
}

// end returns the first RVA past the section in memory. A section occupies
// at least its VirtualSize; some linkers leave VirtualSize zero and rely on
// SizeOfRawData, so the larger of the two is used.
func (h *sectionHeader) end() uint64 {
	return uint64(h.VirtualAddress) + uint64(max(h.VirtualSize, h.SizeOfRawData))
}

// peImage is the parsed header structure of a PE/COFF image. Offsets are
// file offsets into b and have been bounds-checked by parsePE.
type peImage struct {
	b        []byte
	fileHdr  int // offset of the COFF file header
	optHdr   int // offset of the optional header
	tableOff int // offset of the section table
	numDirs  int // data directories actually present in the optional header
	dirOff   int // offset of the first data directory
	sections []sectionHeader
}

// parsePE validates the headers of b and decodes its section table. It
// checks that every header and every section's raw data lies inside b, so
// callers may slice b without further bounds checks.
func parsePE(b []byte) (*peImage, error) {
	if len(b) < dosHeaderSize || b[0] != 'M' || b[1] != 'Z' {
		return nil, fmt.Errorf("%w: no MZ header", ErrNotPE)
	}
	peOff := uint64(binary.LittleEndian.Uint32(b[lfanewOffset:]))
	if peOff+peSignatureSize+fileHeaderSize > uint64(len(b)) {
		return nil, fmt.Errorf("%w: PE header offset %#x beyond end of file", ErrNotPE, peOff)
	}
	if string(b[peOff:peOff+peSignatureSize]) != "PE\x00\x00" {
		return nil, fmt.Errorf("%w: no PE signature at %#x", ErrNotPE, peOff)
	}
	p := &peImage{b: b, fileHdr: int(peOff) + peSignatureSize}
	p.optHdr = p.fileHdr + fileHeaderSize
	optSize := int(binary.LittleEndian.Uint16(b[p.fileHdr+fhSizeOfOptionalHeader:]))
	nsec := int(binary.LittleEndian.Uint16(b[p.fileHdr+fhNumberOfSections:]))
	if p.optHdr+optSize > len(b) {
		return nil, fmt.Errorf("optional header (%d bytes at %#x) beyond end of file", optSize, p.optHdr)
	}
	if optSize < 2 {
		return nil, fmt.Errorf("%w: no optional header", ErrNotPE)
	}
	var nrOff int
	switch magic := binary.LittleEndian.Uint16(b[p.optHdr:]); magic {
	case magicPE32:
		nrOff = ohNumberOfRvaAndSizes32
	case magicPE32Plus:
		nrOff = ohNumberOfRvaAndSizes32Plus
	default:
		return nil, fmt.Errorf("%w: unknown optional header magic %#x", ErrNotPE, magic)
	}
	if optSize < nrOff+4 {
		return nil, fmt.Errorf("optional header too short: %d bytes", optSize)
	}
	p.dirOff = p.optHdr + nrOff + 4
	// Only directories that fit in SizeOfOptionalHeader exist, whatever
	// NumberOfRvaAndSizes claims.
	p.numDirs = int(min(uint64(binary.LittleEndian.Uint32(b[p.optHdr+nrOff:])), uint64(optSize-nrOff-4)/8))
	p.tableOff = p.optHdr + optSize
	if uint64(p.tableOff)+uint64(nsec)*sectionHeaderSize > uint64(len(b)) {
		return nil, fmt.Errorf("section table (%d sections at %#x) beyond end of file", nsec, p.tableOff)
	}
	p.sections = make([]sectionHeader, nsec)
	for i := range p.sections {
		off := p.tableOff + i*sectionHeaderSize
		h := decodeSectionHeader(b[off : off+sectionHeaderSize])
		if h.SizeOfRawData > 0 && uint64(h.PointerToRawData)+uint64(h.SizeOfRawData) > uint64(len(b)) {
			return nil, fmt.Errorf("section %d %q: raw data [%#x, +%#x) beyond end of file (%#x)",
				i, h.name(), h.PointerToRawData, h.SizeOfRawData, len(b))
		}
		p.sections[i] = h
	}
	return p, nil
}

func (p *peImage) opt32(field int) uint32 {
	return binary.LittleEndian.Uint32(p.b[p.optHdr+field:])
}

// dir returns data directory i, or zeros if the image does not have it.
func (p *peImage) dir(i int) (addr, size uint32) {
	if i >= p.numDirs {
		return 0, 0
	}
	off := p.dirOff + 8*i
	return binary.LittleEndian.Uint32(p.b[off:]), binary.LittleEndian.Uint32(p.b[off+4:])
}

// rvaToOffset maps an RVA to a file offset through the section containing
// it, and reports whether n bytes starting there lie in that section's raw
// data.
func (p *peImage) rvaToOffset(rva, n uint32) (uint32, bool) {
	for _, h := range p.sections {
		if rva < h.VirtualAddress {
			continue
		}
		rel := uint64(rva - h.VirtualAddress)
		if rel+uint64(n) <= uint64(h.SizeOfRawData) {
			return h.PointerToRawData + uint32(rel), true
		}
	}
	return 0, false
}

// Parse returns the contents of each section of the PE/COFF image b, keyed by
// section name. Each slice aliases b and is trimmed to the section's
// VirtualSize (the payload length systemd-stub uses); bytes beyond
// SizeOfRawData, which a loader would zero-fill, are not included. Duplicate
// section names are an error, since systemd-stub would silently pick one.
func Parse(b []byte) (map[string][]byte, error) {
	p, err := parsePE(b)
	if err != nil {
		return nil, fmt.Errorf("uki: parse: %w", err)
	}
	m := make(map[string][]byte, len(p.sections))
	for i, h := range p.sections {
		name := h.name()
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("uki: parse: section %d: duplicate section name %q", i, name)
		}
		n := h.VirtualSize
		if n == 0 || n > h.SizeOfRawData {
			n = h.SizeOfRawData
		}
		start := uint64(h.PointerToRawData)
		if n == 0 {
			start = 0 // no raw data; PointerToRawData is meaningless
		}
		m[name] = b[start : start+uint64(n) : start+uint64(n)]
	}
	return m, nil
}

// peChecksum computes the PE image checksum of b as the Windows loader and
// binutils do: the 16-bit one's-complement sum (end-around carry) of the file
// read as little-endian words, with the 4-byte CheckSum field at csOff
// treated as zero and a trailing odd byte as a word of its own, plus the
// file length.
func peChecksum(b []byte, csOff int) uint32 {
	var sum uint64
	i := 0
	// Summing four words per step into 64 bits cannot overflow for any
	// file below 2^45 bytes; carries are folded once at the end, which
	// gives the same result as folding after every word.
	for ; i+8 <= len(b); i += 8 {
		v := binary.LittleEndian.Uint64(b[i:])
		sum += v&0xffff + (v>>16)&0xffff + (v>>32)&0xffff + v>>48
	}
	for ; i+2 <= len(b); i += 2 {
		sum += uint64(binary.LittleEndian.Uint16(b[i:]))
	}
	if i < len(b) {
		sum += uint64(b[i])
	}
	// Take the CheckSum field back out. Each byte was added with the weight
	// of its position in its word, which is also right for an odd csOff.
	if csOff >= 0 && csOff+4 <= len(b) {
		for j := csOff; j < csOff+4; j++ {
			sum -= uint64(b[j]) << (8 * (j & 1))
		}
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return uint32(sum) + uint32(len(b))
}

// alignUp rounds v up to a multiple of a, which must be a power of two.
func alignUp(v, a uint64) uint64 {
	return (v + a - 1) &^ (a - 1)
}

func isPow2(v uint32) bool { return v != 0 && v&(v-1) == 0 }

// fitsU32 reports whether v can be stored in a 32-bit PE header field.
func fitsU32(v uint64) bool { return v <= math.MaxUint32 }
