package uki

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

// Section is a named payload to append to the stub.
type Section struct {
	// Name is 1 to 8 bytes without NUL, e.g. ".linux". Note that
	// systemd-stub matches names by prefix: it would take ".linux2" for
	// ".linux".
	Name string
	Data []byte
}

// Build returns a UKI: the stub with sections appended, in the given order.
// The stub is not modified. The output depends only on the inputs.
func Build(stub []byte, sections []Section) ([]byte, error) {
	p, err := parsePE(stub)
	if err != nil {
		return nil, fmt.Errorf("uki: parsing stub: %w", err)
	}
	fileAlign := p.opt32(ohFileAlignment)
	sectAlign := p.opt32(ohSectionAlignment)
	// The spec asks for a power of two from 512 to 64K; anything else means
	// we misread the headers, and padding with it could be absurd.
	if !isPow2(fileAlign) || fileAlign < 512 || fileAlign > 64<<10 {
		return nil, fmt.Errorf("uki: stub: unsupported FileAlignment %#x", fileAlign)
	}
	if !isPow2(sectAlign) || sectAlign < fileAlign || sectAlign > 64<<10 {
		return nil, fmt.Errorf("uki: stub: unsupported SectionAlignment %#x (FileAlignment %#x)", sectAlign, fileAlign)
	}
	fa, sa := uint64(fileAlign), uint64(sectAlign)
	// ukify page-aligns each payload (the Debian stub's SectionAlignment is
	// only 512): every section then starts on its own page, so firmware
	// can set per-section memory protections, and .linux starts page
	// aligned. A multiple of SectionAlignment is still valid PE.
	va := max(sa, pageSize)

	// systemd-stub refuses to look at images with more sections than this.
	if n := len(p.sections) + len(sections); n > maxSections {
		return nil, fmt.Errorf("uki: too many sections: %d, systemd-stub accepts at most %d", n, maxSections)
	}
	if err := checkNames(p, sections); err != nil {
		return nil, err
	}

	// Where the stub's data lives: [firstRaw, dataEnd) holds every
	// section's raw data; [dataEnd, fileEnd) is trailing data (the
	// Debian stub's COFF symbol table); a certificate table may follow.
	oldTableEnd := uint64(p.tableOff) + uint64(len(p.sections))*sectionHeaderSize
	sizeOfHeaders := uint64(p.opt32(ohSizeOfHeaders))
	firstRaw, dataEnd := uint64(math.MaxUint64), max(sizeOfHeaders, oldTableEnd)
	minVA, vaEnd := uint64(math.MaxUint64), uint64(p.opt32(ohSizeOfImage))
	for _, h := range p.sections {
		if h.SizeOfRawData > 0 {
			firstRaw = min(firstRaw, uint64(h.PointerToRawData))
			dataEnd = max(dataEnd, uint64(h.PointerToRawData)+uint64(h.SizeOfRawData))
		}
		minVA = min(minVA, uint64(h.VirtualAddress))
		vaEnd = max(vaEnd, h.end())
	}
	firstRaw = min(firstRaw, dataEnd) // no section has file data
	if firstRaw < oldTableEnd {
		return nil, fmt.Errorf("uki: stub: section data at %#x overlaps the section table (ends %#x)", firstRaw, oldTableEnd)
	}
	if dataEnd > uint64(len(stub)) {
		return nil, fmt.Errorf("uki: stub: truncated: headers claim %#x bytes, file has %#x", dataEnd, len(stub))
	}
	fileEnd := uint64(len(stub))
	certOff, certSize := p.dir(dirSecurity)
	if certOff != 0 || certSize != 0 {
		// A signature over the stub cannot cover the new sections, and
		// the certificate table must stay last in the file, so drop it
		// (the directory entry is cleared below). Sign the UKI instead.
		if uint64(certOff) < dataEnd || uint64(certOff)+uint64(certSize) != fileEnd {
			return nil, fmt.Errorf("uki: stub: certificate table [%#x, +%#x) is not at the end of the file (%#x)", certOff, certSize, fileEnd)
		}
		fileEnd = uint64(certOff)
	}
	trailer := stub[dataEnd:fileEnd]

	// New section headers go right after the stub's. The bytes they
	// overwrite must be unused header padding; other tools occasionally
	// park data there.
	tableEnd := oldTableEnd + uint64(len(sections))*sectionHeaderSize
	if !allZero(stub[oldTableEnd:firstRaw]) {
		return nil, fmt.Errorf("uki: stub: header area [%#x, %#x) after the section table is not empty", oldTableEnd, firstRaw)
	}
	newSizeOfHeaders := alignUp(tableEnd, fa)
	var shift uint64 // how far the stub's section data moves down
	if newSizeOfHeaders > firstRaw {
		// No room: move all section data down by whole file-alignment
		// units. Code refers to RVAs, not file offsets, so only header
		// fields holding file offsets need fixing (see fileOff).
		shift = alignUp(newSizeOfHeaders-firstRaw, fa)
	} else {
		newSizeOfHeaders = max(newSizeOfHeaders, sizeOfHeaders)
	}
	if newSizeOfHeaders > minVA {
		return nil, fmt.Errorf("uki: stub: no room for %d more section headers: headers would end at %#x, first section is mapped at %#x",
			len(sections), newSizeOfHeaders, minVA)
	}

	// Lay out the new sections, in memory and in the file.
	newHdrs := make([]sectionHeader, len(sections))
	var initData uint64
	cursor := dataEnd + shift // file offset of the next new section's data
	for i, s := range sections {
		h := &newHdrs[i]
		copy(h.Name[:], s.Name)
		addr := alignUp(vaEnd, va)
		raw := alignUp(uint64(len(s.Data)), fa)
		h.VirtualAddress = uint32(addr)
		h.VirtualSize = uint32(len(s.Data))
		h.SizeOfRawData = uint32(raw)
		h.Characteristics = scnCntInitializedData | scnMemRead
		if raw > 0 {
			cursor = alignUp(cursor, fa)
			h.PointerToRawData = uint32(cursor)
			cursor += raw
		}
		// Even an empty section gets an address of its own, so no two
		// sections share one.
		vaEnd = addr + max(uint64(len(s.Data)), 1)
		initData += raw
		if !fitsU32(vaEnd) || !fitsU32(cursor) || !fitsU32(uint64(len(s.Data))) {
			return nil, fmt.Errorf("uki: section %q: image exceeds 4 GiB", s.Name)
		}
	}
	trailerOff := cursor
	total := alignUp(trailerOff+uint64(len(trailer)), 8) // 8: see below
	if !fitsU32(total) {
		return nil, fmt.Errorf("uki: image exceeds 4 GiB")
	}

	// fileOff maps a file offset in the stub to one in the output.
	fileOff := func(off uint64) uint64 {
		switch {
		case off >= dataEnd:
			return off - dataEnd + trailerOff
		case off >= firstRaw:
			return off + shift
		default:
			return off
		}
	}

	// The length is padded to 8 bytes: Authenticode signers append the
	// certificate table at an 8-byte boundary anyway, and some checksum
	// implementations disagree about an odd trailing byte.
	out := make([]byte, total)
	copy(out, stub[:oldTableEnd])
	copy(out[firstRaw+shift:], stub[firstRaw:dataEnd])
	copy(out[trailerOff:], trailer)
	for i, s := range sections {
		copy(out[newHdrs[i].PointerToRawData:], s.Data)
	}

	// Patch the stub's section headers (file offsets only) and append ours.
	hdrs := append(append(make([]sectionHeader, 0, len(p.sections)+len(newHdrs)), p.sections...), newHdrs...)
	for i := range p.sections {
		h := &hdrs[i]
		if h.SizeOfRawData > 0 {
			h.PointerToRawData = uint32(fileOff(uint64(h.PointerToRawData)))
		}
		if h.PointerToRelocations != 0 {
			h.PointerToRelocations = uint32(fileOff(uint64(h.PointerToRelocations)))
		}
		if h.PointerToLinenumbers != 0 {
			h.PointerToLinenumbers = uint32(fileOff(uint64(h.PointerToLinenumbers)))
		}
	}
	for i := range hdrs {
		hdrs[i].encode(out[p.tableOff+i*sectionHeaderSize:])
	}

	// Debug directory entries point at their data by file offset.
	if rva, size := p.dir(dirDebug); size > 0 {
		off, ok := p.rvaToOffset(rva, size)
		if !ok {
			return nil, fmt.Errorf("uki: stub: debug directory [%#x, +%#x) is not inside a section's data", rva, size)
		}
		for e := uint64(off); e+debugEntrySize <= uint64(off)+uint64(size); e += debugEntrySize {
			ptr := fileOff(e) + debugEntryFileOff
			if v := binary.LittleEndian.Uint32(out[ptr:]); v != 0 {
				binary.LittleEndian.PutUint32(out[ptr:], uint32(fileOff(uint64(v))))
			}
		}
	}

	// File and optional header fields.
	fh, oh := out[p.fileHdr:], out[p.optHdr:]
	binary.LittleEndian.PutUint16(fh[fhNumberOfSections:], uint16(len(hdrs)))
	if sym := binary.LittleEndian.Uint32(fh[fhPointerToSymbolTable:]); sym != 0 {
		binary.LittleEndian.PutUint32(fh[fhPointerToSymbolTable:], uint32(fileOff(uint64(sym))))
	}
	binary.LittleEndian.PutUint32(oh[ohSizeOfHeaders:], uint32(newSizeOfHeaders))
	binary.LittleEndian.PutUint32(oh[ohSizeOfImage:], uint32(alignUp(vaEnd, sa)))
	// SizeOfInitializedData is advisory; like linkers, count the file
	// size of the new data sections, saturating rather than wrapping.
	initSize := min(uint64(binary.LittleEndian.Uint32(oh[ohSizeOfInitializedData:]))+initData, 1<<32-1)
	binary.LittleEndian.PutUint32(oh[ohSizeOfInitializedData:], uint32(initSize))
	if dirSecurity < p.numDirs {
		clear(out[p.dirOff+8*dirSecurity : p.dirOff+8*dirSecurity+8])
	}
	binary.LittleEndian.PutUint32(oh[ohCheckSum:], 0)
	binary.LittleEndian.PutUint32(oh[ohCheckSum:], peChecksum(out, p.optHdr+ohCheckSum))
	return out, nil
}

// checkNames rejects section names that the stub could not find or that
// would be ambiguous.
func checkNames(p *peImage, sections []Section) error {
	seen := make(map[string]bool, len(p.sections)+len(sections))
	for _, h := range p.sections {
		seen[h.name()] = true
	}
	for i, s := range sections {
		switch {
		case s.Name == "":
			return fmt.Errorf("uki: section %d: empty name", i)
		case len(s.Name) > 8:
			// Images have no string table for long names.
			return fmt.Errorf("uki: section %d: name %q longer than 8 bytes", i, s.Name)
		case bytes.IndexByte([]byte(s.Name), 0) >= 0:
			return fmt.Errorf("uki: section %d: name %q contains NUL", i, s.Name)
		case seen[s.Name]:
			// systemd-stub takes the last section with a matching
			// name; a duplicate would silently override or be ignored.
			return fmt.Errorf("uki: section %d: duplicate section name %q", i, s.Name)
		}
		seen[s.Name] = true
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
