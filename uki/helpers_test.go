package uki

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// debianStub is systemd-stub from Debian 12's systemd-boot-efi package.
const debianStub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"

// readStub returns the real stub. The tests are about that binary, so a
// missing stub is a failure, not a skip.
func readStub(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(debianStub)
	if err != nil {
		tb.Fatalf("systemd-stub is required for this test (apt-get install -y systemd-boot-efi): %v", err)
	}
	return b
}

// fake returns n deterministic pseudo-random bytes (xorshift), distinct per
// seed, so misplaced data cannot compare equal by accident.
func fake(n int, seed uint64) []byte {
	b := make([]byte, n)
	x := seed*0x9e3779b97f4a7c15 | 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x >> 32)
	}
	return b
}

// refChecksum is an independent, word-at-a-time implementation of the PE
// checksum (as in Windows' CheckSumMappedFile) for checking peChecksum.
func refChecksum(b []byte) uint32 {
	return refChecksumAt(b, int(binary.LittleEndian.Uint32(b[0x3c:]))+4+20+64)
}

// refChecksumAt is refChecksum with the CheckSum field at csOff.
func refChecksumAt(b []byte, csOff int) uint32 {
	c := bytes.Clone(b)
	clear(c[csOff : csOff+4])
	var sum uint32
	for i := 0; i < len(c); i += 2 {
		w := uint32(c[i])
		if i+1 < len(c) {
			w |= uint32(c[i+1]) << 8
		}
		sum += w
		sum = (sum & 0xffff) + (sum >> 16)
	}
	return sum + uint32(len(c))
}

type objSection struct {
	name          string
	size, vma, at uint64 // at: file offset
}

var objdumpLine = regexp.MustCompile(`(?m)^\s*\d+\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+2\*\*\d+\s*$`)

// objdumpSections runs objdump -h on b and returns the sections it lists.
func objdumpSections(t *testing.T, b []byte) []objSection {
	t.Helper()
	bin := testdisk.Tool(t, "objdump")
	path := filepath.Join(t.TempDir(), "uki.efi")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-h", path).CombinedOutput()
	if err != nil {
		t.Fatalf("objdump -h failed: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("warning")) || bytes.Contains(out, []byte("error")) {
		t.Errorf("objdump -h complained:\n%s", out)
	}
	var secs []objSection
	for _, m := range objdumpLine.FindAllStringSubmatch(string(out), -1) {
		hex := func(s string) uint64 {
			v, err := strconv.ParseUint(s, 16, 64)
			if err != nil {
				t.Fatalf("objdump output %q: %v", s, err)
			}
			return v
		}
		secs = append(secs, objSection{m[1], hex(m[2]), hex(m[3]), hex(m[4])})
	}
	return secs
}

func align(v, a uint64) uint64 { return (v + a - 1) / a * a }

// sectionBytes returns a debug/pe section's data trimmed to VirtualSize.
func sectionBytes(t *testing.T, s *pe.Section) []byte {
	t.Helper()
	if s.Size == 0 {
		return nil
	}
	d, err := s.Data()
	if err != nil {
		t.Fatalf("section %s: %v", s.Name, err)
	}
	return d[:min(uint32(len(d)), s.VirtualSize)]
}

// optional returns the optional header fields the tests check.
func optional(t *testing.T, f *pe.File) (sectAlign, fileAlign, sizeOfImage, sizeOfHeaders, initData, checksum uint32, dirs []pe.DataDirectory) {
	t.Helper()
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		return oh.SectionAlignment, oh.FileAlignment, oh.SizeOfImage, oh.SizeOfHeaders, oh.SizeOfInitializedData, oh.CheckSum, oh.DataDirectory[:oh.NumberOfRvaAndSizes]
	case *pe.OptionalHeader32:
		return oh.SectionAlignment, oh.FileAlignment, oh.SizeOfImage, oh.SizeOfHeaders, oh.SizeOfInitializedData, oh.CheckSum, oh.DataDirectory[:oh.NumberOfRvaAndSizes]
	}
	t.Fatalf("unexpected optional header %T", f.OptionalHeader)
	return
}

// verify checks out = Build(stub, secs) independently of the package: with
// objdump -h and debug/pe, and by recomputing every header field Build sets.
func verify(t *testing.T, stub []byte, secs []Section, out []byte) {
	t.Helper()
	sf, err := pe.NewFile(bytes.NewReader(stub))
	if err != nil {
		t.Fatalf("debug/pe cannot read stub: %v", err)
	}
	f, err := pe.NewFile(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("debug/pe cannot read output: %v", err)
	}
	_, _, sSizeOfImage, sSizeOfHeaders, sInit, _, _ := optional(t, sf)
	sectAlign, fileAlign, sizeOfImage, sizeOfHeaders, initData, checksum, dirs := optional(t, f)

	// Debug directory entries hold file offsets that Build must patch
	// when data moves; callers check them, so mask them here.
	debugPtrs := func(f *pe.File, data []byte, s *pe.Section) []byte {
		_, _, _, _, _, _, dirs := optional(t, f)
		if len(dirs) <= pe.IMAGE_DIRECTORY_ENTRY_DEBUG || len(data) == 0 {
			return data
		}
		d := dirs[pe.IMAGE_DIRECTORY_ENTRY_DEBUG]
		data = bytes.Clone(data)
		for rva := d.VirtualAddress; rva+28 <= d.VirtualAddress+d.Size; rva += 28 {
			if off := int(rva) - int(s.VirtualAddress) + 24; off >= 0 && off+4 <= len(data) {
				clear(data[off : off+4])
			}
		}
		return data
	}

	// Expected layout: stub sections unchanged, then each new one on
	// the next page after the previous end.
	type want struct {
		name      string
		data      []byte
		vma, size uint64
	}
	var wants []want
	end := uint64(sSizeOfImage)
	for _, s := range sf.Sections {
		wants = append(wants, want{s.Name, debugPtrs(sf, sectionBytes(t, s), s), uint64(s.VirtualAddress), uint64(s.VirtualSize)})
		end = max(end, uint64(s.VirtualAddress)+uint64(max(s.VirtualSize, s.Size)))
	}
	var wantInit = uint64(sInit)
	for _, s := range secs {
		vma := align(end, max(uint64(sectAlign), 4096))
		wants = append(wants, want{s.Name, s.Data, vma, uint64(len(s.Data))})
		end = vma + max(uint64(len(s.Data)), 1)
		wantInit += align(uint64(len(s.Data)), uint64(fileAlign))
	}

	// objdump's view.
	od := objdumpSections(t, out)
	if len(od) != len(wants) {
		t.Fatalf("objdump -h lists %d sections, want %d: %+v", len(od), len(wants), od)
	}
	for i, w := range wants {
		o := od[i]
		if o.name != w.name || o.size != w.size || o.vma != w.vma {
			t.Errorf("objdump section %d = %s size %#x vma %#x, want %s size %#x vma %#x",
				i, o.name, o.size, o.vma, w.name, w.size, w.vma)
		}
		if i >= len(sf.Sections) {
			if o.vma%4096 != 0 {
				t.Errorf("section %s at vma %#x is not page aligned", o.name, o.vma)
			}
			if o.size > 0 && o.at%uint64(fileAlign) != 0 {
				t.Errorf("section %s at file offset %#x is not aligned to %#x", o.name, o.at, fileAlign)
			}
		}
		if i > 0 {
			p := od[i-1]
			if p.vma+p.size > o.vma {
				t.Errorf("section %s [%#x,+%#x) overlaps %s at %#x", p.name, p.vma, p.size, o.name, o.vma)
			}
		}
	}

	// debug/pe's view: data, characteristics, file layout.
	if len(f.Sections) != len(wants) || int(f.NumberOfSections) != len(wants) {
		t.Fatalf("NumberOfSections = %d (%d parsed), want %d", f.NumberOfSections, len(f.Sections), len(wants))
	}
	var fileEnd uint64
	for i, s := range f.Sections {
		w := wants[i]
		got := sectionBytes(t, s)
		if i < len(sf.Sections) {
			got = debugPtrs(f, got, s)
		}
		if !bytes.Equal(got, w.data) {
			t.Errorf("section %s: data differs (got %d bytes, want %d)", s.Name, len(got), len(w.data))
		}
		if i < len(sf.Sections) {
			o := sf.Sections[i].SectionHeader
			n := s.SectionHeader
			n.Offset, o.Offset = 0, 0
			if n != o {
				t.Errorf("stub section %s header changed: %+v, was %+v", s.Name, n, o)
			}
			continue
		}
		if s.Characteristics != pe.IMAGE_SCN_CNT_INITIALIZED_DATA|pe.IMAGE_SCN_MEM_READ {
			t.Errorf("section %s characteristics %#x", s.Name, s.Characteristics)
		}
		if s.Size != uint32(align(uint64(len(w.data)), uint64(fileAlign))) {
			t.Errorf("section %s SizeOfRawData %#x for %d bytes", s.Name, s.Size, len(w.data))
		}
		if s.Size > 0 && uint64(s.Offset) < fileEnd {
			t.Errorf("section %s raw data at %#x overlaps previous data ending %#x", s.Name, s.Offset, fileEnd)
		}
		if s.Size > 0 {
			fileEnd = uint64(s.Offset) + uint64(s.Size)
		}
	}
	if want := align(end, uint64(sectAlign)); len(secs) > 0 && uint64(sizeOfImage) != want {
		t.Errorf("SizeOfImage = %#x, want %#x", sizeOfImage, want)
	}
	if sizeOfImage%sectAlign != 0 {
		t.Errorf("SizeOfImage %#x not a multiple of SectionAlignment %#x", sizeOfImage, sectAlign)
	}
	if uint64(initData) != wantInit {
		t.Errorf("SizeOfInitializedData = %#x, want %#x", initData, wantInit)
	}
	tableEnd := uint64(binary.LittleEndian.Uint32(out[0x3c:])) + 24 + uint64(f.SizeOfOptionalHeader) + 40*uint64(len(wants))
	if sizeOfHeaders < sSizeOfHeaders || uint64(sizeOfHeaders) < tableEnd || sizeOfHeaders%fileAlign != 0 {
		t.Errorf("SizeOfHeaders = %#x; stub had %#x, section table ends at %#x", sizeOfHeaders, sSizeOfHeaders, tableEnd)
	}
	for _, s := range f.Sections {
		if s.Size > 0 && s.Offset < sizeOfHeaders {
			t.Errorf("section %s data at %#x inside headers (%#x)", s.Name, s.Offset, sizeOfHeaders)
		}
	}
	if len(dirs) > pe.IMAGE_DIRECTORY_ENTRY_SECURITY && dirs[pe.IMAGE_DIRECTORY_ENTRY_SECURITY] != (pe.DataDirectory{}) {
		t.Errorf("certificate table still present: %+v", dirs[pe.IMAGE_DIRECTORY_ENTRY_SECURITY])
	}
	if want := refChecksum(out); checksum != want {
		t.Errorf("CheckSum = %#x, want %#x", checksum, want)
	}
	// The COFF symbol table (the Debian stub has one) survives the move.
	if len(f.COFFSymbols) != len(sf.COFFSymbols) || !bytes.Equal(f.StringTable, sf.StringTable) {
		t.Errorf("COFF symbols: %d symbols, %d-byte string table; stub had %d, %d",
			len(f.COFFSymbols), len(f.StringTable), len(sf.COFFSymbols), len(sf.StringTable))
	}
	for i := range min(len(f.COFFSymbols), len(sf.COFFSymbols)) {
		if f.COFFSymbols[i] != sf.COFFSymbols[i] {
			t.Errorf("COFF symbol %d = %+v, was %+v", i, f.COFFSymbols[i], sf.COFFSymbols[i])
			break
		}
	}

	// Our own reader agrees.
	m, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(output): %v", err)
	}
	for i, w := range wants {
		got := m[w.name]
		if i < len(sf.Sections) {
			got = debugPtrs(f, got, f.Sections[i])
		}
		if !bytes.Equal(got, w.data) {
			t.Errorf("Parse: section %s differs", w.name)
		}
	}
}

// testPE describes a small synthetic PE image for cases the Debian stub
// does not cover.
type testPE struct {
	pe32    bool // PE32 instead of PE32+
	debug   bool // .rdata holds a debug directory pointing at CodeView data
	cert    bool // signed: certificate table at the end
	symbols bool // COFF symbol table after the section data
}

const testDebugData = "RSDS-fake-codeview-record\x00"

// build returns the image: headers in 0x200 bytes (room for 2 more section
// headers), .text and .rdata, each one file-alignment unit.
func (o testPE) build() []byte {
	optSize := 240
	if o.pe32 {
		optSize = 224
	}
	b := make([]byte, 0x600)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x40)
	copy(b[0x40:], "PE\x00\x00")
	fh := b[0x44:]
	binary.LittleEndian.PutUint16(fh[0:], 0x8664)
	binary.LittleEndian.PutUint16(fh[2:], 2)
	binary.LittleEndian.PutUint16(fh[16:], uint16(optSize))
	binary.LittleEndian.PutUint16(fh[18:], 0x0206)
	oh := b[0x58:]
	dirs := oh[112:]
	if o.pe32 {
		binary.LittleEndian.PutUint16(fh[0:], 0x14c)
		binary.LittleEndian.PutUint16(oh[0:], 0x10b)
		binary.LittleEndian.PutUint32(oh[92:], 16)
		dirs = oh[96:]
	} else {
		binary.LittleEndian.PutUint16(oh[0:], 0x20b)
		binary.LittleEndian.PutUint32(oh[108:], 16)
	}
	binary.LittleEndian.PutUint32(oh[8:], 0x200)   // SizeOfInitializedData
	binary.LittleEndian.PutUint32(oh[16:], 0x1000) // AddressOfEntryPoint
	binary.LittleEndian.PutUint32(oh[32:], 0x1000) // SectionAlignment
	binary.LittleEndian.PutUint32(oh[36:], 0x200)  // FileAlignment
	binary.LittleEndian.PutUint32(oh[56:], 0x3000) // SizeOfImage
	binary.LittleEndian.PutUint32(oh[60:], 0x200)  // SizeOfHeaders
	binary.LittleEndian.PutUint16(oh[68:], 10)     // EFI application
	table := b[0x58+optSize:]
	sec := func(i int, name string, va, ptr, chars uint32) {
		h := table[40*i:]
		copy(h, name)
		binary.LittleEndian.PutUint32(h[8:], 0x100)
		binary.LittleEndian.PutUint32(h[12:], va)
		binary.LittleEndian.PutUint32(h[16:], 0x200)
		binary.LittleEndian.PutUint32(h[20:], ptr)
		binary.LittleEndian.PutUint32(h[36:], chars)
	}
	sec(0, ".text", 0x1000, 0x200, 0x60000020)
	sec(1, ".rdata", 0x2000, 0x400, 0x40000040)
	copy(b[0x200:], fake(0x100, 1))
	copy(b[0x400:], fake(0x100, 2))
	if o.debug {
		// One IMAGE_DEBUG_DIRECTORY at .rdata+0, its data at .rdata+0x40.
		e := b[0x400:]
		clear(e[:0x40+len(testDebugData)])
		binary.LittleEndian.PutUint32(e[12:], 2) // CODEVIEW
		binary.LittleEndian.PutUint32(e[16:], uint32(len(testDebugData)))
		binary.LittleEndian.PutUint32(e[20:], 0x2040)
		binary.LittleEndian.PutUint32(e[24:], 0x440)
		copy(e[0x40:], testDebugData)
		binary.LittleEndian.PutUint32(dirs[8*6:], 0x2000)
		binary.LittleEndian.PutUint32(dirs[8*6+4:], 28)
	}
	if o.symbols {
		// Two 18-byte symbols and a string table holding one name.
		binary.LittleEndian.PutUint32(fh[8:], uint32(len(b)))
		binary.LittleEndian.PutUint32(fh[12:], 2)
		syms := make([]byte, 36)
		copy(syms, "entry\x00\x00\x00")
		binary.LittleEndian.PutUint16(syms[12:], 1)
		syms[16] = 2 // external
		binary.LittleEndian.PutUint32(syms[18+4:], 4)
		binary.LittleEndian.PutUint16(syms[18+12:], 2)
		syms[18+16] = 3 // static
		strs := []byte("\x00\x00\x00\x00a_long_symbol_name\x00")
		binary.LittleEndian.PutUint32(strs, uint32(len(strs)))
		b = append(append(b, syms...), strs...)
	}
	if o.cert {
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		// Appending reallocates b, so write through offsets from here on.
		dir := 0x58 + optSize - 16*8 + 8*4
		cert := append([]byte{16, 0, 0, 0, 0, 2, 2, 0}, "fakesig!"...)
		binary.LittleEndian.PutUint32(b[dir:], uint32(len(b)))
		binary.LittleEndian.PutUint32(b[dir+4:], uint32(len(cert)))
		b = append(b, cert...)
	}
	binary.LittleEndian.PutUint32(b[0x58+64:], refChecksum(b))
	return b
}
