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
	b := &builder{stub: stub, pe: p, add: sections}
	for _, step := range []func() error{
		b.checkAlignment,
		b.checkNewSections,
		b.measureStub,
		b.dropCertificate,
		b.makeHeaderRoom,
		b.placeSections,
		b.assemble,
		b.writeSectionTable,
		b.patchDebugDirectory,
		b.patchHeaders,
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return b.out, nil
}

// builder holds what Build learns about the stub and decides about the
// output, one step at a time. All offsets are uint64 so that sums cannot
// wrap before they are checked against the 32-bit header fields.
type builder struct {
	stub []byte
	pe   *peImage
	add  []Section // the sections to append

	// Set by checkAlignment.
	fa, sa uint64 // the stub's FileAlignment and SectionAlignment
	va     uint64 // memory alignment of the new sections

	// Set by measureStub and dropCertificate. [firstRaw, dataEnd) holds
	// every stub section's raw data; [dataEnd, fileEnd) is trailing data
	// (the Debian stub's COFF symbol table); a certificate table may
	// follow.
	oldTableEnd   uint64 // end of the stub's section table
	sizeOfHeaders uint64 // the stub's SizeOfHeaders
	firstRaw      uint64
	dataEnd       uint64
	fileEnd       uint64
	minVA         uint64 // lowest RVA of any stub section
	vaEnd         uint64 // first RVA past the image; grows as sections are placed
	trailer       []byte // stub[dataEnd:fileEnd]

	// Set by makeHeaderRoom.
	newSizeOfHeaders uint64
	shift            uint64 // how far the stub's section data moves down

	// Set by placeSections.
	newHdrs    []sectionHeader
	initData   uint64 // file size of the new sections, for SizeOfInitializedData
	trailerOff uint64 // where the trailer goes in the output
	total      uint64 // output length

	out []byte
}

// checkAlignment reads the stub's alignments. The spec asks for a power of
// two from 512 to 64K; anything else means we misread the headers, and
// padding with it could be absurd.
func (b *builder) checkAlignment() error {
	fileAlign := b.pe.opt32(ohFileAlignment)
	sectAlign := b.pe.opt32(ohSectionAlignment)
	if !isPow2(fileAlign) || fileAlign < 512 || fileAlign > 64<<10 {
		return fmt.Errorf("uki: stub: unsupported FileAlignment %#x", fileAlign)
	}
	if !isPow2(sectAlign) || sectAlign < fileAlign || sectAlign > 64<<10 {
		return fmt.Errorf("uki: stub: unsupported SectionAlignment %#x (FileAlignment %#x)", sectAlign, fileAlign)
	}
	b.fa, b.sa = uint64(fileAlign), uint64(sectAlign)
	// ukify page-aligns each payload (the Debian stub's SectionAlignment is
	// only 512): every section then starts on its own page, so firmware
	// can set per-section memory protections, and .linux starts page
	// aligned. A multiple of SectionAlignment is still valid PE.
	b.va = max(b.sa, pageSize)
	return nil
}

// checkNewSections rejects sections systemd-stub would not find.
func (b *builder) checkNewSections() error {
	// systemd-stub refuses to look at images with more sections than this.
	if n := len(b.pe.sections) + len(b.add); n > maxSections {
		return fmt.Errorf("uki: too many sections: %d, systemd-stub accepts at most %d", n, maxSections)
	}
	return checkNames(b.pe, b.add)
}

// measureStub finds where the stub's section data lives in the file and
// in memory.
func (b *builder) measureStub() error {
	p := b.pe
	b.oldTableEnd = uint64(p.tableOff) + uint64(len(p.sections))*sectionHeaderSize
	b.sizeOfHeaders = uint64(p.opt32(ohSizeOfHeaders))
	b.firstRaw, b.dataEnd = uint64(math.MaxUint64), max(b.sizeOfHeaders, b.oldTableEnd)
	b.minVA, b.vaEnd = uint64(math.MaxUint64), uint64(p.opt32(ohSizeOfImage))
	for _, h := range p.sections {
		if h.SizeOfRawData > 0 {
			b.firstRaw = min(b.firstRaw, uint64(h.PointerToRawData))
			b.dataEnd = max(b.dataEnd, uint64(h.PointerToRawData)+uint64(h.SizeOfRawData))
		}
		b.minVA = min(b.minVA, uint64(h.VirtualAddress))
		b.vaEnd = max(b.vaEnd, h.end())
	}
	b.firstRaw = min(b.firstRaw, b.dataEnd) // no section has file data
	if b.firstRaw < b.oldTableEnd {
		return fmt.Errorf("uki: stub: section data at %#x overlaps the section table (ends %#x)", b.firstRaw, b.oldTableEnd)
	}
	if b.dataEnd > uint64(len(b.stub)) {
		return fmt.Errorf("uki: stub: truncated: headers claim %#x bytes, file has %#x", b.dataEnd, len(b.stub))
	}
	return nil
}

// dropCertificate leaves the stub's certificate table out of the trailer.
// A signature over the stub cannot cover the new sections, and the
// certificate table must stay last in the file, so it goes (patchHeaders
// clears the directory entry). Sign the UKI instead.
func (b *builder) dropCertificate() error {
	b.fileEnd = uint64(len(b.stub))
	certOff, certSize := b.pe.dir(dirSecurity)
	if certOff != 0 || certSize != 0 {
		if uint64(certOff) < b.dataEnd || uint64(certOff)+uint64(certSize) != b.fileEnd {
			return fmt.Errorf("uki: stub: certificate table [%#x, +%#x) is not at the end of the file (%#x)", certOff, certSize, b.fileEnd)
		}
		b.fileEnd = uint64(certOff)
	}
	b.trailer = b.stub[b.dataEnd:b.fileEnd]
	return nil
}

// makeHeaderRoom makes room for the new section headers right after the
// stub's. The bytes they overwrite must be unused header padding; other
// tools occasionally park data there.
func (b *builder) makeHeaderRoom() error {
	tableEnd := b.oldTableEnd + uint64(len(b.add))*sectionHeaderSize
	if !allZero(b.stub[b.oldTableEnd:b.firstRaw]) {
		return fmt.Errorf("uki: stub: header area [%#x, %#x) after the section table is not empty", b.oldTableEnd, b.firstRaw)
	}
	b.newSizeOfHeaders = alignUp(tableEnd, b.fa)
	if b.newSizeOfHeaders > b.firstRaw {
		// No room: move all section data down by whole file-alignment
		// units. Code refers to RVAs, not file offsets, so only header
		// fields holding file offsets need fixing (see fileOff).
		b.shift = alignUp(b.newSizeOfHeaders-b.firstRaw, b.fa)
	} else {
		b.newSizeOfHeaders = max(b.newSizeOfHeaders, b.sizeOfHeaders)
	}
	if b.newSizeOfHeaders > b.minVA {
		return fmt.Errorf("uki: stub: no room for %d more section headers: headers would end at %#x, first section is mapped at %#x",
			len(b.add), b.newSizeOfHeaders, b.minVA)
	}
	return nil
}

// placeSections lays out the new sections, in memory and in the file,
// after the stub's section data; the trailer follows them.
func (b *builder) placeSections() error {
	b.newHdrs = make([]sectionHeader, len(b.add))
	cursor := b.dataEnd + b.shift // file offset of the next new section's data
	for i, s := range b.add {
		h := &b.newHdrs[i]
		copy(h.Name[:], s.Name)
		addr := alignUp(b.vaEnd, b.va)
		raw := alignUp(uint64(len(s.Data)), b.fa)
		h.VirtualAddress = uint32(addr)
		h.VirtualSize = uint32(len(s.Data))
		h.SizeOfRawData = uint32(raw)
		h.Characteristics = scnCntInitializedData | scnMemRead
		if raw > 0 {
			cursor = alignUp(cursor, b.fa)
			h.PointerToRawData = uint32(cursor)
			cursor += raw
		}
		// Even an empty section gets an address of its own, so no two
		// sections share one.
		b.vaEnd = addr + max(uint64(len(s.Data)), 1)
		b.initData += raw
		if !fitsU32(b.vaEnd) || !fitsU32(cursor) || !fitsU32(uint64(len(s.Data))) {
			return fmt.Errorf("uki: section %q: image exceeds 4 GiB", s.Name)
		}
	}
	b.trailerOff = cursor
	// The length is padded to 8 bytes: Authenticode signers append the
	// certificate table at an 8-byte boundary anyway, and some checksum
	// implementations disagree about an odd trailing byte.
	b.total = alignUp(b.trailerOff+uint64(len(b.trailer)), 8)
	if !fitsU32(b.total) {
		return fmt.Errorf("uki: image exceeds 4 GiB")
	}
	return nil
}

// fileOff maps a file offset in the stub to one in the output.
func (b *builder) fileOff(off uint64) uint64 {
	switch {
	case off >= b.dataEnd:
		return off - b.dataEnd + b.trailerOff
	case off >= b.firstRaw:
		return off + b.shift
	default:
		return off
	}
}

// assemble copies the stub's headers, section data and trailer and the new
// sections' data to where they go in the output.
func (b *builder) assemble() error {
	b.out = make([]byte, b.total)
	copy(b.out, b.stub[:b.oldTableEnd])
	copy(b.out[b.firstRaw+b.shift:], b.stub[b.firstRaw:b.dataEnd])
	copy(b.out[b.trailerOff:], b.trailer)
	for i, s := range b.add {
		copy(b.out[b.newHdrs[i].PointerToRawData:], s.Data)
	}
	return nil
}

// writeSectionTable writes the stub's section headers, with their file
// offsets moved, followed by the new ones.
func (b *builder) writeSectionTable() error {
	p := b.pe
	hdrs := append(append(make([]sectionHeader, 0, len(p.sections)+len(b.newHdrs)), p.sections...), b.newHdrs...)
	for i := range p.sections {
		h := &hdrs[i]
		if h.SizeOfRawData > 0 {
			h.PointerToRawData = uint32(b.fileOff(uint64(h.PointerToRawData)))
		}
		if h.PointerToRelocations != 0 {
			h.PointerToRelocations = uint32(b.fileOff(uint64(h.PointerToRelocations)))
		}
		if h.PointerToLinenumbers != 0 {
			h.PointerToLinenumbers = uint32(b.fileOff(uint64(h.PointerToLinenumbers)))
		}
	}
	for i := range hdrs {
		hdrs[i].encode(b.out[p.tableOff+i*sectionHeaderSize:])
	}
	return nil
}

// patchDebugDirectory moves the file offsets in debug directory entries,
// which point at their data by file offset rather than RVA.
func (b *builder) patchDebugDirectory() error {
	rva, size := b.pe.dir(dirDebug)
	if size == 0 {
		return nil
	}
	off, ok := b.pe.rvaToOffset(rva, size)
	if !ok {
		return fmt.Errorf("uki: stub: debug directory [%#x, +%#x) is not inside a section's data", rva, size)
	}
	for e := uint64(off); e+debugEntrySize <= uint64(off)+uint64(size); e += debugEntrySize {
		ptr := b.fileOff(e) + debugEntryFileOff
		if v := binary.LittleEndian.Uint32(b.out[ptr:]); v != 0 {
			binary.LittleEndian.PutUint32(b.out[ptr:], uint32(b.fileOff(uint64(v))))
		}
	}
	return nil
}

// patchHeaders updates the file and optional header fields that describe
// the grown image, and finally the checksum over all of it.
func (b *builder) patchHeaders() error {
	p := b.pe
	fh, oh := b.out[p.fileHdr:], b.out[p.optHdr:]
	binary.LittleEndian.PutUint16(fh[fhNumberOfSections:], uint16(len(p.sections)+len(b.newHdrs)))
	if sym := binary.LittleEndian.Uint32(fh[fhPointerToSymbolTable:]); sym != 0 {
		binary.LittleEndian.PutUint32(fh[fhPointerToSymbolTable:], uint32(b.fileOff(uint64(sym))))
	}
	binary.LittleEndian.PutUint32(oh[ohSizeOfHeaders:], uint32(b.newSizeOfHeaders))
	binary.LittleEndian.PutUint32(oh[ohSizeOfImage:], uint32(alignUp(b.vaEnd, b.sa)))
	// SizeOfInitializedData is advisory; like linkers, count the file
	// size of the new data sections, saturating rather than wrapping.
	initSize := min(uint64(binary.LittleEndian.Uint32(oh[ohSizeOfInitializedData:]))+b.initData, 1<<32-1)
	binary.LittleEndian.PutUint32(oh[ohSizeOfInitializedData:], uint32(initSize))
	if dirSecurity < p.numDirs {
		clear(b.out[p.dirOff+8*dirSecurity : p.dirOff+8*dirSecurity+8])
	}
	binary.LittleEndian.PutUint32(oh[ohCheckSum:], 0)
	binary.LittleEndian.PutUint32(oh[ohCheckSum:], peChecksum(b.out, p.optHdr+ohCheckSum))
	return nil
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
